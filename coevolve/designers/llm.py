"""The llm designer: candidates written by a chat model, repaired from the checker's reasons.

For each of the K candidates of an iteration (requested concurrently, returned in index
order) the model gets the domain's contract, the parent program and what the designer responds
to (see :mod:`coevolve.prompts`). Its answer is trimmed to a program
(:func:`coevolve.llm.extract.extract_program`) and checked with ``request.check``; a syntax
error, a failed check, a run-time exception or an infeasible level goes back to the model as a
repair request quoting the reason, up to ``repair_rounds`` times. Every candidate's fate is
written to llm.jsonl and into its :class:`~coevolve.program.Origin` note ("first answer
accepted", "repaired after 1 round (...)", "rejected after 2 failed repairs: ..."); a candidate
that still fails is returned anyway, so the loop records its rejection with the reason.

The run stops at an iteration boundary once the LLM budget is spent: a candidate that would
exceed it mid-iteration is left out (or returned as it stands), and the next iteration raises
:class:`~coevolve.llm.budget.BudgetExhausted` before it starts.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from coevolve import prompts
from coevolve.designers.base import EnvRequest, PolicyRequest
from coevolve.errors import UserInputError
from coevolve.designers.base import NoCandidate
from coevolve.llm import BudgetExhausted, ChatClient, ExtractionError, open_client
from coevolve.llm.client import CHARS_PER_TOKEN, settings_from
from coevolve.llm.extract import read_program
from coevolve.llm.repair import converse
from coevolve.llm.transcript import CANDIDATE
from coevolve.program import Origin, Program


class LLMDesigner:
    """Asks a chat model for candidate programs; see the module docstring."""

    name = "llm"
    system_prompt = "system.md"
    """The system message of every conversation (a prompt file)."""
    repair_prompt = "repair.md"
    """The follow-up quoting why a candidate was rejected (a prompt file with ``$reason``)."""

    def __init__(self, domain, client: ChatClient, repair_rounds: int = 2):
        if repair_rounds < 0:
            raise UserInputError(f"--repair-rounds cannot be negative, got {repair_rounds}")
        self.domain = domain
        self.client = client
        self.repair_rounds = repair_rounds

    @classmethod
    def from_config(cls, domain, config) -> "LLMDesigner":
        """The designer of a RunConfig (model, endpoint, budget, replay, repair rounds)."""
        return cls(domain, open_client(settings_from(config), seed=config.seed),
                   config.repair_rounds)

    def attach_transcript(self, path: str) -> None:
        """Record requests and candidates' fates into the run's llm.jsonl at ``path``."""
        self.client.attach_transcript(path)

    def usage(self) -> dict:
        """Requests and tokens used by the run so far."""
        return self.client.usage.to_dict()

    # -- the designer protocol ------------------------------------------------------------
    def propose_envs(self, request: EnvRequest, rng: np.random.Generator) -> list[Program]:
        """K environments meant to be harder for the current mixture, still solvable."""
        reason = self.client.budget.exhausted_reason()
        if reason:
            raise BudgetExhausted(f"{reason}; the run stops before iteration {request.iteration} "
                                  f"(iterations up to {request.iteration - 1} are complete)")
        common = dict(domain=self.domain.name, iteration=request.iteration,
                      doc=self.domain.spec.doc_env.strip(),
                      notes=self.domain.notes("env"),
                      imports=imports_text(self.domain.spec.allowed_imports),
                      program=request.parent.source.rstrip(),
                      measures=measures_text(request.measures),
                      helpers=helpers_text(request.parent.source),
                      mixture=mixture_text(request.mixture_success),
                      trace=clip(request.trace.strip() or "(no trace)", TRACE_LINES))
        texts = [within_budget("env_designer.md", common, idea)
                 for idea in self._ideas("env", request.k, rng)]
        return self._propose("env", request.parent, request.iteration, texts, request.check)

    def propose_policies(self, request: PolicyRequest, rng: np.random.Generator) -> list[Program]:
        """K policies meant to do better on the new environment."""
        trace = (request.trace.strip()
                 or "(none: the current policy did not fail in the episodes played)")
        common = dict(domain=self.domain.name, iteration=request.iteration,
                      doc=self.domain.spec.doc_policy.strip(),
                      notes=self.domain.notes("policy"),
                      imports=imports_text(self.domain.spec.allowed_imports),
                      program=request.parent.source.rstrip(),
                      scores=scores_text(request.scores),
                      env_program=request.env.source.rstrip(),
                      success=f"{request.success:.0%}", trace=clip(trace, TRACE_LINES),
                      level=request.level.strip() or "(not available)")
        texts = [within_budget("policy_designer.md", common, idea)
                 for idea in self._ideas("policy", request.k, rng)]
        return self._propose("policy", request.parent, request.iteration, texts, request.check)

    # -- candidates -----------------------------------------------------------------------
    def _ideas(self, role: str, k: int, rng: np.random.Generator) -> list[str]:
        """One steering sentence per candidate, a different idea each while they last."""
        ideas = self.domain.ideas(role)
        if not ideas:
            return [""] * k
        order = rng.permutation(len(ideas))
        return [f"For this version, focus on this change: {ideas[order[n % len(ideas)]]}"
                for n in range(k)]

    def _propose(self, kind: str, parent: Program, t: int, texts: list[str],
                 check) -> list[Program | NoCandidate]:
        """Every candidate's conversation, concurrently (the client caps requests in flight).

        All conversations finish before a failure is raised, so every answer received is in
        llm.jsonl (and a resumed run takes it from there).
        """
        with ThreadPoolExecutor(max_workers=max(1, len(texts))) as pool:
            futures = [pool.submit(self._candidate, kind, parent, t, n, text, check)
                       for n, text in enumerate(texts)]
            outcomes = []
            for future in futures:
                try:
                    outcomes.append(future.result())
                except Exception as exc:  # noqa: BLE001 - re-raised below, after the others
                    outcomes.append(exc)
        for outcome in outcomes:
            if isinstance(outcome, Exception):
                raise outcome
        return outcomes

    def _candidate(self, kind: str, parent: Program, t: int, n: int, text: str,
                   check) -> Program | NoCandidate:
        """One candidate's conversation: the request, then up to R repairs."""
        slot = f"iter{t:04d}/{kind}/{n}"

        def attempt(answer: str) -> tuple[Program, str | None]:
            source, note, reason = self._read(kind, answer, parent)
            program = Program(kind, self.domain.name, source, parent.sha256,
                              Origin("llm", self.client.model, t, note))
            if reason is None and program.sha256 == parent.sha256:
                reason = "the program is identical to the current one; change it as asked"
            return program, reason or (check(program) if check is not None else None)

        talk = converse(self.client, prompts.render(self.system_prompt), text, slot=slot,
                        rounds=self.repair_rounds, attempt=attempt,
                        repair=lambda reason: prompts.render(self.repair_prompt, reason=reason))
        reasons = list(talk.reasons)
        if talk.accepted:
            return self._settle(talk.value, slot, accepted_note(reasons, talk.value), reasons)
        if talk.value is None:
            why = talk.stopped or (reasons[-1] if reasons else "no answer")
            self.client.record({"type": CANDIDATE, "slot": slot, "sha256": None,
                                "fate": f"not written: {why}", "reasons": reasons})
            return NoCandidate(kind, slot, f"not written: {why}", tuple(reasons))
        return self._settle(talk.value, slot, rejected_note(reasons, talk.stopped), reasons)

    def _read(self, kind: str, text: str, parent: Program) -> tuple[str, str | None, str | None]:
        """(program source, how it was assembled, None) or (the raw answer, None, why no
        program could be taken from it)."""
        spec = self.domain.spec
        required = spec.env_required if kind == "env" else spec.policy_required
        try:
            found = read_program(text, required, parent.source)
        except ExtractionError as exc:
            return text, None, str(exc)
        return found.source, found.note, None

    def _settle(self, program: Program, slot: str, note: str, reasons: list[str]) -> Program:
        self.client.record({"type": CANDIDATE, "slot": slot, "sha256": program.sha256,
                            "fate": note, "reasons": reasons})
        origin = Origin("llm", program.origin.model, program.origin.iteration, note)
        return Program(program.kind, program.domain, program.source, program.parent, origin)


def accepted_note(reasons: list[str], program: Program | None = None) -> str:
    """Origin note of an accepted candidate after ``len(reasons)`` repair rounds."""
    assembled = f"; {program.origin.note}" if program is not None and program.origin.note else ""
    if not reasons:
        return "first answer accepted" + assembled
    rounds = len(reasons)
    return (f"repaired after {rounds} round{'s' if rounds > 1 else ''} "
            f"(first problem: {reasons[0]})" + assembled)


def rejected_note(reasons: list[str], stopped: str | None) -> str:
    """Origin note of a candidate still failing after its repairs."""
    repairs = len(reasons) - 1
    head = (f"rejected after {repairs} failed repair{'s' if repairs != 1 else ''}" if repairs
            else "rejected")
    if stopped:
        head += f" (no further repair: {stopped})"
    return f"{head}: {reasons[-1]}"


TRACE_LINES = 60
"""Lines of an episode trace shown in a prompt (its head and tail are kept)."""
PROMPT_TOKEN_BUDGET = 8000
"""Estimated tokens (characters / 4) a first prompt may take; a longer one shows a shorter
trace and no level drawing. Measured prompts are 4.7k-5.9k tokens (o200k_base) with the seed
programs: more than Ollama's default context, so raise it (``--llm-extra
'{"options": {"num_ctx": 16384}}'``)."""


def within_budget(template: str, values: dict, idea: str) -> str:
    """The rendered prompt, its trace and level drawing shortened if it exceeds the budget."""
    text = prompts.render(template, **values, idea=idea)
    if len(text) // CHARS_PER_TOKEN <= PROMPT_TOKEN_BUDGET:
        return text
    shorter = {**values, "trace": clip(values["trace"], 16)}
    if "level" in shorter:
        shorter["level"] = "(left out: the prompt would exceed its token budget)"
    return prompts.render(template, **shorter, idea=idea)


def mixture_text(mixture: dict) -> str:
    """The MSNE mixture's success (and mean return) on the parent, one policy per line,
    heaviest first."""
    if not mixture:
        return "(no policy mixture yet)"
    rows = sorted(mixture.items(), key=lambda item: -item[1][0])
    lines = [f"- {label}: MSNE weight {v[0]:.2f}, succeeds in {v[1]:.0%} of episodes"
             + (f", mean return {v[2]:.3f}" if len(v) > 2 else "") for label, v in rows]
    total = sum(v[0] * v[1] for v in mixture.values())
    tail = f"The mixture as a whole succeeds in {total:.0%} of episodes"
    if all(len(v) > 2 for v in mixture.values()):
        tail += f", with mean return {sum(v[0] * v[2] for v in mixture.values()):.3f}"
    return "\n".join(lines + [tail + "."])


def scores_text(scores: dict) -> str:
    """The parent policy's success per archived environment, on one line."""
    if not scores:
        return "(no earlier environments)"
    return ", ".join(f"{label} {value:.0%}" for label, value in scores.items()) + "."


def measures_text(measures: dict) -> str:
    """Level measures on one line, e.g. "width 8, solution_length 12"."""
    if not measures:
        return "(none recorded)"
    return ", ".join(f"{k} {v:g}" if isinstance(v, (int, float)) else f"{k} {v}"
                     for k, v in measures.items()) + "."


def imports_text(allowed) -> str:
    """The exact import allow-list the validator enforces."""
    from coevolve.validate import SAFE_STDLIB
    stdlib = sorted(SAFE_STDLIB - {"numpy", "__future__"})
    return (f"only numpy, {', '.join(sorted(allowed))} and these standard-library modules: "
            f"{', '.join(stdlib)}. Any other import (os, sys, this project's envs or coevolve "
            f"packages, ...) is rejected: copy a helper into the program instead of importing it.")


def helpers_text(source: str) -> str:
    """The documented functions and methods of a program, one line each: the helpers a new
    version can call (or copy) to keep its level feasible."""
    import ast
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and ast.get_docstring(node):
            args = ", ".join([a.arg for a in node.args.args if a.arg != "self"]
                             + ([f"*{node.args.vararg.arg}"] if node.args.vararg else []))
            first = ast.get_docstring(node).strip().splitlines()[0]
            lines.append(f"- `{node.name}({args})`: {first}")
    if not lines:
        return "(the current program documents no helpers)"
    return ("These are part of the current program (inlined, so it runs on its own): keep the "
            "ones you call, and build the level through them where they fit, since they keep "
            "it solvable.\n" + "\n".join(lines))


def clip(text: str, lines: int) -> str:
    """``text`` cut to its first and last ``lines // 2`` lines when longer."""
    rows = text.splitlines()
    if len(rows) <= lines:
        return text
    half = lines // 2
    return "\n".join(rows[:half] + [f"... {len(rows) - 2 * half} lines omitted ..."] + rows[-half:])
