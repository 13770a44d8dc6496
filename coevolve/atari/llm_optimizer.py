"""The llm optimiser (the paper's method): a chat model rewrites the trainable functions.

Each proposal shows the model the game's facts, the program, the rendered trace of its
trainable calls, the staged feedback and the earlier attempts (prompt files
``coevolve/prompts/atari_*.md``). The conversations are the co-evolution llm designer's
(:class:`coevolve.designers.llm.LLMDesigner`): the K candidates are requested concurrently, and
a candidate that does not parse, fails static validation, or raises during a short rollout
(``request.check``) goes back to the model with the reason, up to ``repair_rounds`` times; every
candidate's fate is written to the transcript (``llm.jsonl``). Only the answer's functions that
replace trainable functions of the same names are spliced into the program, through ``ast``
(:func:`splice_trainable`).
"""
from __future__ import annotations

import ast
import copy
from collections.abc import Sequence

import numpy as np

from coevolve import prompts
from coevolve.atari.optimizers import AtariRequest
from coevolve.designers.base import NoCandidate
from coevolve.designers.llm import LLMDesigner
from coevolve.domains import Domain
from coevolve.llm import BudgetExhausted, ChatClient, ExtractionError, extract_program
from coevolve.program import Program
from coevolve.validate import validate_source
from envs.atari import ALLOWED_IMPORTS, POLICY_REQUIRED, policy_doc
from policies.atari.mutations import trainable_functions, trainable_names

ATARI = Domain("atari", "envs.atari", "policies.atari")
"""The Atari domain's packages (not a co-evolution domain: it has no environment programs)."""


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


class LLMOptimizer(LLMDesigner):
    """Asks a chat model for new trainable functions; see the module docstring.

    Args:
        game: the game being optimised.
        client: the chat client (budget, retries, concurrency cap, transcript).
        repair_rounds: follow-up requests quoting a candidate's problem.
    """

    system_prompt = "atari_system.md"
    repair_prompt = "atari_repair.md"

    def __init__(self, game: str, client: ChatClient, repair_rounds: int = 2):
        super().__init__(ATARI, client, repair_rounds)
        self.game = game

    def propose(self, request: AtariRequest,
                rng: np.random.Generator) -> list[Program | NoCandidate]:
        """``request.k`` conversations, concurrently, each asked for better trainable functions
        (the model sees the trace, the feedback and the history; not the elites).

        Raises:
            BudgetExhausted: the run's LLM budget is spent (before any request is sent).
        """
        reason = self.client.budget.exhausted_reason()
        if reason:
            raise BudgetExhausted(f"{reason}; the Atari run stops here (its finished iterations "
                                  "are saved; raise the budget and pass --resume to go on)")
        program = request.parent.source
        text = prompts.render("atari_optimizer.md", game=self.game,
                              names=", ".join(f"`{n}`" for n in trainable_names(program)),
                              doc=policy_doc(self.game).strip(), program=program.rstrip(),
                              trace=request.trace.strip(), feedback=request.feedback.text,
                              history=history_text(request.history))
        return self._propose("policy", request.parent, request.iteration, [text] * request.k,
                             request.check)

    def _read(self, kind: str, text: str, parent: Program) -> tuple[str, str | None, str | None]:
        """(spliced source, what was rewritten, None) or (the raw answer, None, why it is
        unusable)."""
        try:
            source, replaced = splice_trainable(
                parent.source, extract_program(text, trainable_names(parent.source)))
        except (ExtractionError, ValueError) as exc:
            return text, None, str(exc)
        problems = validate_source(source, POLICY_REQUIRED, ALLOWED_IMPORTS)
        if problems:
            return source, None, "; ".join(problems)
        if source == ast.unparse(ast.parse(parent.source)) + "\n":
            return source, None, "the functions are identical to the current ones; change them"
        return source, f"llm rewrote {', '.join(replaced)}", None

