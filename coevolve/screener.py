"""Screening candidates: static validation, the domain's checks in the sandbox, their records.

Environment candidates pass the static checks, then the domain's ``check_env`` (feasibility,
over ``check_seeds`` seeded resets); policy candidates pass the static checks, then a short
probe episode on the new level. Checks are deterministic, so their results are remembered by
sha256 (a designer's repair loop and the loop's screening ask about the same programs). The
screener is safe to call from a designer's threads: one check runs at a time, since the checks
share the run's executor.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from coevolve.designers.base import NoCandidate
from coevolve.program import Program
from coevolve.records import Candidate, Category, Status
from coevolve.sandbox import Job
from coevolve.store import candidate_file

RUNTIME_FAILURE = "the policy failed at run time"
"""How a probe's or a cell's run-time failure reason begins."""


@dataclass(frozen=True)
class EnvCheck:
    """The outcome of an environment's checks."""

    feasible: bool
    category: Category | None = None
    """Why it is not feasible (None if it is)."""
    reason: str | None = None
    measures: dict = field(default_factory=dict)
    """The level's measures (feasibility checks that ran only)."""


class Screener:
    """Checks candidates for a run; see the module docstring."""

    def __init__(self, domain, executor, evaluator, check_seeds: int):
        self.domain = domain
        self.executor = executor
        self.evaluator = evaluator
        self.check_seeds = check_seeds
        self._lock = threading.RLock()
        self._checks: dict[str, EnvCheck] = {}
        self._probes: dict[tuple, str | None] = {}

    # -- environments ---------------------------------------------------------------------
    def check_env(self, program: Program) -> EnvCheck:
        """Static validation, then the domain's feasibility check in the sandbox."""
        return self.check_envs([program])[0]

    def check_envs(self, programs: list[Program]) -> list[EnvCheck]:
        """:meth:`check_env` of several programs, the sandbox checks run as one batch."""
        with self._lock:
            todo = {}
            for program in programs:
                if program.sha256 in self._checks or program.sha256 in todo:
                    continue
                reasons = self.domain.validate(program)
                if reasons:
                    self._checks[program.sha256] = EnvCheck(False, Category.INVALID,
                                                            "; ".join(reasons))
                else:
                    todo[program.sha256] = Job(self.domain.env_package, "check_env",
                                               program.source, None,
                                               {"seeds": list(range(self.check_seeds))})
            for sha, result in zip(todo, self.executor.run(list(todo.values()))):
                self._checks[sha] = _env_check(result)
            return [self._checks[program.sha256] for program in programs]

    def env_rejection(self, program: Program) -> str | None:
        """Why an environment candidate would be rejected; None if it would be accepted."""
        check = self.check_env(program)
        return None if check.feasible else check.reason

    # -- policies -------------------------------------------------------------------------
    def policy_rejection(self, program: Program, env: Program | None = None) -> str | None:
        """Why a policy candidate would be rejected: static checks, then (with ``env``) a short
        episode on that level in the sandbox; None if it would be accepted."""
        if env is None:
            return "; ".join(self.domain.validate(program)) or None
        return self.probe_policies([program], env)[0]

    def probe_policies(self, programs: list[Program], env: Program) -> list[str | None]:
        """Why each policy fails its checks on ``env`` (None: it passes), the short episodes
        run as one batch (a policy whose cell on ``env`` is known is judged by it instead)."""
        with self._lock:
            todo = {}
            for program in programs:
                key = (program.sha256, env.sha256)
                if key in self._probes or key in todo:
                    continue
                reasons = self.domain.validate(program)
                if reasons:
                    self._probes[key] = "; ".join(reasons)
                    continue
                cell = self.evaluator.cache.get(self.evaluator.key(program, env))
                if cell is not None:  # already played on env (a hill-climb's score): no probe
                    self._probes[key] = (None if not (cell.errors and not cell.success_rate) else
                                         f"{RUNTIME_FAILURE} on the new level: {cell.first_error}")
                    continue
                todo[key] = self._probe_job(program, env)
            for key, result in zip(todo, self.executor.run(list(todo.values()))):
                error = result.error or getattr(result.value, "error", None)
                self._probes[key] = (None if error is None else
                                     f"{RUNTIME_FAILURE} in a short episode on the new level "
                                     f"(seed {todo[key].kwargs['seed']}): {error}")
            return [self._probes[(p.sha256, env.sha256)] for p in programs]

    def _probe_job(self, program: Program, env: Program) -> Job:
        """The cell's first episode, cut to the domain's probe length."""
        job = self.evaluator.episode_job(program, env, 0)
        steps = self.domain.probe_steps
        if not steps:
            return job
        return Job(job.module, job.function, job.env_source, job.policy_source,
                   {**job.kwargs, "max_steps": steps}, job.seconds)

    # -- candidate records ----------------------------------------------------------------
    def screen_envs(self, proposed: list, archive, t: int) -> list[Candidate]:
        """Records of environment candidates: accepted, or rejected with a reason."""
        fresh = [p for p in proposed if isinstance(p, Program) and not archive.holds(p)]
        checks = dict(zip((p.sha256 for p in fresh), self.check_envs(fresh)))

        def judge(program: Program) -> tuple:
            check = checks[program.sha256]
            status = Status.ACCEPTED if check.feasible else Status.REJECTED
            return status, check.category, check.reason, check.measures

        return _records(proposed, archive, t, "environment", judge)

    def screen_policies(self, proposed: list, env: Program, archive, t: int) -> list[Candidate]:
        """Records of policy candidates: accepted (to be evaluated), or rejected with a reason
        (static checks, then a short episode on ``env``)."""
        fresh = [p for p in proposed if isinstance(p, Program) and not archive.holds(p)]
        reasons = dict(zip((p.sha256 for p in fresh), self.probe_policies(fresh, env)))

        def judge(program: Program) -> tuple:
            reason = reasons[program.sha256]
            if not reason:
                return Status.ACCEPTED, None, None, None
            runtime = reason.startswith(RUNTIME_FAILURE)
            return Status.REJECTED, Category.RUNTIME if runtime else Category.INVALID, reason, None

        return _records(proposed, archive, t, "policy", judge)


def _records(proposed: list, archive, t: int, noun: str, judge) -> list[Candidate]:
    """One record per proposed slot: not written, a duplicate, or ``judge(program)``'s
    (status, category, reason, measures)."""
    records = []
    for n, program in enumerate(proposed):
        if isinstance(program, NoCandidate):
            records.append(not_written(program))
        elif archive.holds(program):
            records.append(_candidate(program, t, n, Status.REJECTED, Category.DUPLICATE,
                                      f"identical to an archived {noun}"))
        else:
            records.append(_candidate(program, t, n, *judge(program)))
    return records


def _candidate(program: Program, t: int, n: int, status: Status, category=None, reason=None,
               measures=None) -> Candidate:
    name = f"iter{t:04d}_{program.kind}_{n}_{program.short}.py"
    return Candidate(program.kind, program.sha256, candidate_file(name), program.origin.note,
                     status, category, reason, measures=measures, program=program)


def not_written(missing: NoCandidate) -> Candidate:
    """The record of a candidate slot without a program (its requests failed)."""
    return Candidate(missing.kind, None, None, missing.reason, Status.REJECTED,
                     Category.NOT_WRITTEN, missing.reason, slot=missing.slot)


def _env_check(result) -> EnvCheck:
    """A check_env job's result."""
    if result.error:
        return EnvCheck(False, Category.CHECK_FAILED, result.error)
    check = result.value
    return EnvCheck(check.feasible, None if check.feasible else Category.INFEASIBLE,
                    check.reason, dict(check.measures))
