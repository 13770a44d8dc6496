"""The llm optimiser (the paper's method): a chat model rewrites the trainable functions.

Each proposal shows the model the game's facts, the program, the rendered trace of its
trainable calls and the staged feedback (prompt files ``coevolve/prompts/atari_*.md``). The
answer's functions are taken out with :func:`coevolve.llm.extract.extract_program` and spliced
into the program through ``ast``, replacing only the trainable functions of the same names
(:func:`splice_trainable`). A candidate that does not parse, fails static validation, or raises
during a short rollout (the ``check`` callable) goes back to the model with the reason, up to
``repair_rounds`` times; every candidate's fate is written to the transcript (``llm.jsonl``).
"""
from __future__ import annotations

import ast
import copy
from collections.abc import Callable, Sequence

import numpy as np

from coevolve import prompts
from coevolve.atari.feedback import Feedback
from coevolve.atari.optimizers import Candidate
from coevolve.llm import BudgetExhausted, ChatClient, ExtractionError, extract_program
from coevolve.llm.repair import converse
from coevolve.llm.transcript import CANDIDATE
from coevolve.validate import validate_source
from envs.atari import ALLOWED_IMPORTS, POLICY_REQUIRED, policy_doc
from policies.atari.mutations import trainable_functions


def splice_trainable(program: str, answer: str) -> tuple[str, list[str]]:
    """``program`` with its trainable functions replaced by the answer's functions of those names.

    The replaced functions keep the program's decorators; the answer's top-level imports that
    the program lacks are added after the program's own imports; everything else in the answer
    is ignored.

    Returns:
        ``(new source, names of the replaced functions)``.

    Raises:
        ValueError: the answer does not parse or defines none of the trainable functions.
    """
    tree = ast.parse(program)
    try:
        given = ast.parse(answer)
    except SyntaxError as exc:
        raise ValueError(f"syntax error at line {exc.lineno}: {exc.msg}") from None
    targets = {f.name: f for f in trainable_functions(tree)}
    functions = [node for node in given.body
                 if isinstance(node, ast.FunctionDef) and node.name in targets]
    if not functions:
        raise ValueError("the answer defines none of the trainable functions ("
                         + ", ".join(targets) + "); answer with their new definitions")
    for function in functions:
        old = targets[function.name]
        function.decorator_list = copy.deepcopy(old.decorator_list)
        tree.body[tree.body.index(old)] = function
    present = {ast.dump(node) for node in tree.body
               if isinstance(node, (ast.Import, ast.ImportFrom))}
    imports = [node for node in given.body if isinstance(node, (ast.Import, ast.ImportFrom))
               and ast.dump(node) not in present]
    last = max((i for i, node in enumerate(tree.body)
                if isinstance(node, (ast.Import, ast.ImportFrom))), default=0)
    tree.body[last + 1:last + 1] = imports
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n", [f.name for f in functions]


def history_text(history: Sequence[dict], rows: int = 8) -> str:
    """Earlier attempts and their scores, the latest ``rows`` iterations, oldest first."""
    if not history:
        return "(none yet: this is the first attempt)"
    lines = []
    for row in list(history)[-rows:]:
        score = (f"{row['candidate_mean']:.1f} +- {row['candidate_std']:.1f}"
                 if row.get("candidate_mean") is not None else "no candidate passed screening")
        tried = "; ".join(row.get("notes") or []) or "the starter program"
        lines.append(f"- iteration {row['iteration']}: {tried[:160]} -> {score} "
                     f"(best so far {row['best_mean']:.1f})")
    return "\n".join(lines)


class LLMOptimizer:
    """Asks a chat model for new trainable functions; see the module docstring.

    Args:
        game: "Pong", "Breakout" or "SpaceInvaders".
        candidates: conversations (candidates) per proposal.
        client: the chat client (budget, retries, transcript).
        check: returns why a program fails at run time (a short rollout), or None.
        repair_rounds: follow-up requests quoting a candidate's problem.
    """

    name = "llm"

    def __init__(self, game: str, candidates: int, client: ChatClient,
                 check: Callable[[str], str | None] | None = None, repair_rounds: int = 2):
        if repair_rounds < 0:
            raise ValueError(f"repair_rounds cannot be negative, got {repair_rounds}")
        self.game, self.candidates, self.client = game, candidates, client
        self.check, self.repair_rounds = check, repair_rounds
        self.step = 0
        self.history: tuple = ()

    def observe(self, iteration: int, history: Sequence[dict]) -> None:
        """The iteration about to be proposed for (it names the transcript slots, so a resumed
        run finds its answers) and the run's history (shown to the model)."""
        self.step = iteration - 1
        self.history = tuple(history)

    def propose(self, program: str, trace_text: str, feedback: Feedback,
                rng: np.random.Generator, elites: Sequence[str] = (),
                stalled: int = 0, known=frozenset()) -> list[Candidate]:
        """Up to ``candidates`` programs with rewritten trainable functions (the model sees the
        trace and the feedback; ``elites`` and ``stalled`` are not shown to it).

        Raises:
            BudgetExhausted: the run's LLM budget is spent (before any request is sent).
        """
        reason = self.client.budget.exhausted_reason()
        if reason:
            raise BudgetExhausted(f"{reason}; the Atari run stops here (its finished iterations "
                                  "are saved; raise the budget and pass --resume to go on)")
        self.step += 1
        names = [f.name for f in trainable_functions(ast.parse(program))]
        text = prompts.render("atari_optimizer.md", game=self.game,
                              names=", ".join(f"`{n}`" for n in names),
                              doc=policy_doc(self.game).strip(), program=program.rstrip(),
                              trace=trace_text.strip(), feedback=feedback.text,
                              history=history_text(self.history))
        out = []
        for n in range(self.candidates):
            candidate = self._candidate(program, names, text, f"step{self.step:04d}/{n}")
            if candidate is not None and candidate.source not in {c.source for c in out}:
                out.append(candidate)
        return out

    def _candidate(self, program: str, names: list[str], text: str,
                   slot: str) -> Candidate | None:
        """One conversation: the request, then up to ``repair_rounds`` repairs."""
        def attempt(answer: str):
            source, replaced, reason = self._read(program, names, answer)
            return (source, replaced), reason

        talk = converse(self.client, prompts.render("atari_system.md"), text, slot=slot,
                        rounds=self.repair_rounds, attempt=attempt,
                        repair=lambda reason: prompts.render("atari_repair.md", reason=reason))
        reasons = list(talk.reasons)
        if talk.accepted:
            source, replaced = talk.value
            note = (f"llm rewrote {', '.join(replaced)}"
                    + (f" (repaired after {len(reasons)} round{'s' * (len(reasons) > 1)}: "
                       f"{reasons[0]})" if reasons else ""))
            self.client.record({"type": CANDIDATE, "slot": slot, "fate": note,
                                "reasons": reasons})
            return Candidate(source, note)
        fate = "rejected" + (f" (no further request: {talk.stopped})" if talk.stopped else "")
        self.client.record({"type": CANDIDATE, "slot": slot, "fate": fate, "reasons": reasons})
        return None

    def _read(self, program: str, names: list[str], text: str):
        """``(source, replaced names, None)`` or ``(None, None, why the answer is unusable)``."""
        try:
            source, replaced = splice_trainable(program, extract_program(text, names))
        except (ExtractionError, ValueError) as exc:
            return None, None, str(exc)
        problems = validate_source(source, POLICY_REQUIRED, ALLOWED_IMPORTS)
        if problems:
            return None, None, "; ".join(problems)
        if source == ast.unparse(ast.parse(program)) + "\n":
            return None, None, "the functions are identical to the current ones; change them"
        error = self.check(source) if self.check else None
        if error:
            return None, None, error
        return source, replaced, None

    def usage(self) -> dict:
        """Requests and tokens used so far (a resumed run's earlier usage included)."""
        return self.client.usage.to_dict()
