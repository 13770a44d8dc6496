"""The state of a co-evolution run and the machinery the loop calls.

:class:`RunState` owns the archive (environments and policies), the payoff matrix, the current
MSNE, the sandbox, the evaluator and the run directory. It can be created fresh or rebuilt from
a run directory, in which case every cell comes back from the evaluation cache.
"""
from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import replace

import numpy as np
from solvers.nash import nash

from coevolve.config import RunConfig
from coevolve.designers import designer_for
from coevolve.designers.base import NoCandidate
from coevolve.domains import domain_of
from coevolve.errors import UserInputError
from coevolve.evaluate import CellResult, Evaluator, ResultCache
from coevolve.executors import make_executor
from coevolve.payoff import PayoffMatrix
from coevolve.program import Origin, Program
from coevolve.progress import Progress
from coevolve.sandbox import Job, Limits
from coevolve.scores import archive_scores
from coevolve.store import RunStore


class RunState:
    """Everything a run knows; see the module docstring."""

    def __init__(self, config: RunConfig, store: RunStore, progress: Progress | None = None,
                 executor=None, designer=None):
        self.config = config
        self.store = store
        self.domain = domain_of(config)
        self.progress = progress or Progress()
        self.designer = designer or designer_for(self.domain, config)
        if hasattr(self.designer, "attach_transcript"):  # the llm designer's llm.jsonl
            self.designer.attach_transcript(store.path("llm.jsonl"))
        self.pool = executor or executor_for(config)
        self.evaluator = Evaluator(self.domain.env_package, self.pool, config.episodes,
                                   config.seed, ResultCache(store.path("cache.jsonl")),
                                   reuse=config.reuse)
        self._episodes_logged = (0, 0)
        self.envs: list[Program] = []
        self.policies: list[Program] = []
        self.measures: list[dict] = []
        self.payoffs = PayoffMatrix()
        self.msne = None
        self.next_iteration = 0
        self._new_cells: list[dict] = []
        self._checks: dict[str, dict] = {}
        self._probes: dict[tuple, str | None] = {}

    # -- creating and reopening -----------------------------------------------------------
    @classmethod
    def create(cls, config: RunConfig, root: str, **kwargs) -> "RunState":
        """A new run in ``root`` (which must not hold a run yet)."""
        # a bad domain, designer or executor is a user error before anything is written
        designer = designer_for(domain_of(config), config)
        executor = kwargs.pop("executor", None) or executor_for(config)
        config = replace(config, sandbox=getattr(executor, "sandbox_mode", config.sandbox))
        try:
            store = RunStore(root)
            store.create(config.to_dict())
        except BaseException:
            executor.close()
            raise
        return cls(config, store, designer=designer, executor=executor, **kwargs)

    @classmethod
    def reopen(cls, root: str, iterations: int | None = None, changes: dict | None = None,
               **kwargs) -> "RunState":
        """Rebuild a run from its directory; cells come back from the cache.

        ``changes`` are settings that differ from here on (a designer switch, LLM options);
        they are recorded in resumes.jsonl, so later resumes keep them.
        """
        store = RunStore(root)
        config = RunConfig.from_dict(store.load_config())
        for change in store.config_changes():
            config = RunConfig.from_dict({**config.to_dict(), **change["changes"]})
        if iterations is not None:
            config = RunConfig.from_dict({**config.to_dict(), "iterations": iterations})
        changes = {k: v for k, v in (changes or {}).items() if getattr(config, k) != v}
        if changes:  # a designer switch or new LLM options: built first, so a bad one writes nothing
            config = RunConfig.from_dict({**config.to_dict(), **changes})
            kwargs.setdefault("designer", designer_for(domain_of(config), config))
        state = cls(config, store, **kwargs)
        for record in store.iterations():
            for kind in ("env", "policy"):
                entry = record.get(kind)
                if not entry:
                    continue
                program = state._load_archived(kind, entry)
                if kind == "env":
                    state.add_env(program, record["iteration"], entry.get("measures", {}))
                else:
                    state.add_policy(program, record["iteration"])
            state.next_iteration = record["iteration"] + 1
        if changes:
            store.record_config_change(state.next_iteration, changes)
        if state.next_iteration:
            state.fill_unknown_cells("resume: reloading cells")
            state._new_cells = []  # reloaded, not new: the next record lists only its own cells
            state.msne = nash(state.payoffs.complete())
        return state

    def _load_archived(self, kind: str, entry: dict) -> Program:
        source = self.store.read(entry["file"])
        program = Program(kind, self.domain.name, source, entry.get("parent"),
                          Origin(**entry.get("origin", {})))
        if program.sha256 != entry["sha256"]:
            raise UserInputError(f"{entry['file']} was modified after it was archived "
                                 f"(sha256 differs); cannot resume")
        return program

    def close(self) -> None:
        """Stop the workers."""
        self.pool.close()

    # -- archive and payoffs --------------------------------------------------------------
    def start(self) -> None:
        """Iteration 0: the seed environment and policy."""
        env, policy = self.domain.seed_env(), self.domain.seed_policy()
        check = self.check_env(env)
        if not check.get("feasible"):
            raise RuntimeError(f"the seed environment of {self.domain.name} fails its check: "
                               f"{check.get('reason')}")
        self.add_env(env, 0, check["measures"])
        self.add_policy(policy, 0)
        self.fill_unknown_cells("iter 0: seed")
        self.msne = nash(self.payoffs.complete())
        self.log_iteration(self.iteration_record(0, env, policy, [], {}))

    def add_env(self, program: Program, iteration: int, measures: dict | None = None) -> None:
        """Append an environment to the archive (a new column of unknown cells)."""
        self.envs.append(program)
        self.measures.append(measures or {})
        self.payoffs.add_env(f"env_{iteration:04d}")

    def add_policy(self, program: Program, iteration: int) -> None:
        """Append a policy to the archive (a new row of unknown cells)."""
        self.policies.append(program)
        self.payoffs.add_policy(f"policy_{iteration:04d}")

    def fill_unknown_cells(self, description: str) -> None:
        """Evaluate exactly the unknown cells of the payoff matrix."""
        unknown = self.payoffs.unknown()
        cells = self.evaluate([(self.policies[i], self.envs[j]) for i, j in unknown], description)
        for (i, j), cell in zip(unknown, cells):
            self.payoffs.set(i, j, cell.success_rate)
            self._new_cells.append(_cell_entry(self.payoffs.policy_labels[i],
                                               self.payoffs.env_labels[j], cell))

    def evaluate(self, pairs, description: str) -> list[CellResult]:
        """Cells of (policy, env) pairs, with a progress bar."""
        return self.evaluator.evaluate(pairs, self.progress.counter(description))

    def success_on(self, env: Program):
        """A ``score(policy) -> success rate on env`` callback for searching designers."""
        def score(policy: Program) -> float:
            if self.domain.validate(policy):
                return -1.0
            cell = self.evaluator.evaluate([(policy, env)])[0]
            return -1.0 if cell.errors and not cell.success_rate else cell.success_rate
        return score

    def failure_trace(self, policy: Program, env: Program, any_episode: bool = False) -> str:
        """Text trace of the first failed episode of ``policy`` on ``env`` (for designers); with
        ``any_episode``, of the first episode when none failed."""
        return self.failed_episode(policy, env, any_episode)[1]

    def failed_episode(self, policy: Program, env: Program,
                       any_episode: bool = False) -> tuple[int | None, str]:
        """(seed, text trace) of the first failed episode, ``(None, "")`` if none failed."""
        episodes = self.evaluator.traces(policy, env)
        failed = [i for i, e in enumerate(episodes) if not e.success]
        if not failed and not (any_episode and episodes):
            return None, ""
        index = failed[0] if failed else 0
        episode = episodes[index]
        seed = self.evaluator.episode_job(policy, env, index).kwargs["seed"]
        body = self.domain.format_trace(episode.trace)
        return seed, f"episode {index} (seed {seed}): error={episode.error}\n{body}".strip()

    def draw_level(self, policy: Program, env: Program, seed: int) -> str:
        """The seeded level drawn as text with the policy's path ("" if the domain cannot)."""
        if not self.domain.draws_levels:
            return ""
        [result] = self.pool.run([Job(self.domain.env_package, "draw_level", env.source,
                                      policy.source, {"seed": seed})])
        return result.value if isinstance(result.value, str) else ""

    # -- screening candidates -------------------------------------------------------------
    def check_env(self, program: Program) -> dict:
        """Static validation, then the domain's feasibility check in the sandbox."""
        return self.check_envs([program])[0]

    def check_envs(self, programs: list[Program]) -> list[dict]:
        """:meth:`check_env` for several programs at once (the checks share the workers).

        Checks are deterministic, so each program's result is remembered by its sha256.
        """
        todo = {}
        for program in programs:
            if program.sha256 in self._checks or program.sha256 in todo:
                continue
            reasons = self.domain.validate(program)
            if reasons:
                self._checks[program.sha256] = {"feasible": False, "category": "invalid",
                                                "reason": "; ".join(reasons)}
            else:
                todo[program.sha256] = Job(self.domain.env_package, "check_env", program.source,
                                           None, {"seeds": list(range(self.config.check_seeds))})
        for sha, result in zip(todo, self.pool.run(list(todo.values()))):
            self._checks[sha] = _check_entry(result)
        return [self._checks[program.sha256] for program in programs]

    def env_rejection(self, program: Program) -> str | None:
        """Why an environment candidate would be rejected; None if it would be accepted."""
        check = self.check_env(program)
        return None if check["feasible"] else check["reason"]

    def policy_rejection(self, program: Program, env: Program | None = None) -> str | None:
        """Why a policy candidate would be rejected: static checks, then (with ``env``) a short
        episode on that level in the sandbox; None if it would be accepted."""
        return self.probe_policies([program], env)[0] if env is not None else \
            "; ".join(self.domain.validate(program)) or None

    def policy_check(self, env: Program):
        """The ``check(policy)`` callback of a policy request on ``env``."""
        return lambda program: self.policy_rejection(program, env)

    def probe_policies(self, programs: list[Program], env: Program) -> list[str | None]:
        """Why each policy fails its checks on ``env`` (None: it passes), the short episodes
        run as one batch (a policy whose cell on ``env`` is known is judged by it instead);
        results are remembered by (policy, environment) sha256."""
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
                                     f"the policy failed at run time on the new level: "
                                     f"{cell.first_error}")
                continue
            job = self.evaluator.episode_job(program, env, 0)
            steps = self.domain.probe_steps
            if steps:
                job = Job(job.module, job.function, job.env_source, job.policy_source,
                          {**job.kwargs, "max_steps": steps}, job.seconds)
            todo[key] = job
        for key, result in zip(todo, self.pool.run(list(todo.values()))):
            error = result.error or getattr(result.value, "error", None)
            self._probes[key] = (None if error is None else
                                 f"the policy failed at run time in a short episode on the new "
                                 f"level (seed {todo[key].kwargs['seed']}): {error}")
        return [self._probes[(p.sha256, env.sha256)] for p in programs]

    def screen_envs(self, proposed: list, t: int) -> list[dict]:
        """Records of environment candidates: accepted, or rejected with a reason."""
        archived = {e.sha256 for e in self.envs}
        programs = [p for p in proposed if isinstance(p, Program)]
        checks = self.check_envs([p for p in programs if p.sha256 not in archived])
        records = []
        for n, program in enumerate(proposed):
            if isinstance(program, NoCandidate):
                records.append(_not_written(program))
                continue
            entry = self._candidate("env", program, t, n)
            if program.sha256 in archived:
                records.append({**entry, "status": "rejected", "category": "duplicate",
                                "reason": "identical to an archived environment"})
                continue
            check = checks.pop(0)
            records.append({**entry, "status": "accepted" if check["feasible"] else "rejected",
                            "category": check["category"], "reason": check["reason"],
                            "measures": check.get("measures", {})})
        return records

    def screen_policies(self, proposed: list, env: Program, t: int) -> list[dict]:
        """Records of policy candidates: accepted (to be evaluated), or rejected with a reason
        (static checks, then a short episode on ``env``)."""
        archived = {p.sha256 for p in self.policies}
        fresh = [p for p in proposed if isinstance(p, Program) and p.sha256 not in archived]
        reasons = dict(zip((p.sha256 for p in fresh), self.probe_policies(fresh, env)))
        records = []
        for n, program in enumerate(proposed):
            if isinstance(program, NoCandidate):
                records.append(_not_written(program))
                continue
            entry = self._candidate("policy", program, t, n)
            reason = reasons.get(program.sha256)
            if program.sha256 in archived:
                records.append({**entry, "status": "rejected", "category": "duplicate",
                                "reason": "identical to an archived policy"})
            elif reason:
                category = "runtime" if reason.startswith("the policy failed at run") else "invalid"
                records.append({**entry, "status": "rejected", "category": category,
                                "reason": reason})
            else:
                records.append({**entry, "status": "accepted", "category": None, "reason": None})
        return records

    def _candidate(self, kind: str, program: Program, t: int, n: int) -> dict:
        name = f"iter{t:04d}_{kind}_{n}_{program.short}.py"
        return {"kind": kind, "program": program, "sha256": program.sha256,
                "file": self.store.save_candidate(name, program.source),
                "note": program.origin.note}

    # -- records --------------------------------------------------------------------------
    def rng(self, t: int, role: str) -> np.random.Generator:
        """The designer's generator for iteration ``t``: a function of (seed, t, role) only."""
        return np.random.default_rng([self.config.seed, t, 0 if role == "env" else 1])

    def iteration_record(self, t: int, env, policy, candidates: list[dict],
                         timings: dict) -> dict:
        """The iterations.jsonl line of iteration ``t``."""
        values = self.payoffs.complete()
        weights = self.msne.row_strategy
        record = {
            "iteration": t,
            "env": self._archive_entry("env", env, t) if env is not None else None,
            "policy": self._archive_entry("policy", policy, t) if policy is not None else None,
            "msne": {label: float(w) for label, w in zip(self.payoffs.policy_labels, weights)},
            "env_mixture": {label: float(w) for label, w in
                            zip(self.payoffs.env_labels, self.msne.column_strategy)},
            "value": float(self.msne.value),
            "scores": archive_scores(values, weights),
            "counts": _counts(candidates),
            "candidates": [{k: v for k, v in c.items() if k != "program"} for c in candidates],
            "new_cells": self._new_cells,
            "episodes": self._episode_counts(),
            "timings": {k: round(v, 3) for k, v in timings.items()},
            "payoff_shape": list(values.shape),
            "seconds": round(sum(timings.values()), 3),
            "wall_time": time.time(),
        }
        if hasattr(self.designer, "usage"):  # LLM requests and tokens so far
            record["llm"] = self.designer.usage()
        self._new_cells = []
        return record

    def _episode_counts(self) -> dict:
        """Episodes played and reused since the previous record."""
        now = (self.evaluator.played, self.evaluator.reused)
        counts = {"played": now[0] - self._episodes_logged[0],
                  "reused": now[1] - self._episodes_logged[1]}
        self._episodes_logged = now
        return counts

    def _archive_entry(self, kind: str, program: Program, t: int) -> dict:
        entry = {"label": f"{kind}_{t:04d}", "file": self.store.save_program(kind, t, program.source),
                 "sha256": program.sha256, "parent": program.parent,
                 "origin": {"designer": program.origin.designer, "model": program.origin.model,
                            "iteration": program.origin.iteration, "note": program.origin.note}}
        if kind == "env":
            entry["measures"] = self.measures[self.envs.index(program)]
        return entry

    def log_iteration(self, record: dict) -> None:
        """Write payoff.csv, then the iteration line: from here on the iteration counts."""
        self.payoffs.save_csv(self.store.path("payoff.csv"))
        self.store.append_iteration(record)
        self.next_iteration = record["iteration"] + 1


def _not_written(missing: NoCandidate) -> dict:
    """The record of a candidate slot without a program (its requests failed)."""
    return {"kind": missing.kind, "sha256": None, "file": None, "note": missing.reason,
            "slot": missing.slot, "status": "rejected", "category": "not_written",
            "reason": missing.reason}


def _check_entry(result) -> dict:
    """A check_env job's result as a record entry."""
    if result.error:
        return {"feasible": False, "category": "check_failed", "reason": result.error}
    check = result.value
    return {"feasible": check.feasible, "category": None if check.feasible else "infeasible",
            "reason": check.reason, "measures": dict(check.measures)}


def executor_for(config: RunConfig):
    """The executor a run's configuration asks for, with its domain's limits and preload."""
    domain = domain_of(config)
    seconds = config.episode_seconds or domain.default_max_seconds
    return make_executor(config.executor, config.workers,
                         Limits(seconds=seconds, memory_mb=config.memory_mb,
                                sandbox=config.sandbox),
                         preload=(domain.env_package,), address=config.ray_address)


def _cell_entry(policy_label: str, env_label: str, cell: CellResult) -> dict:
    return {"policy": policy_label, "env": env_label, "success": cell.success_rate,
            "mean_return": round(cell.mean_return, 4), "mean_steps": round(cell.mean_steps, 1),
            "errors": cell.errors, "first_error": cell.first_error,
            "policy_seconds_per_step": round(cell.policy_seconds_per_step, 6),
            "reused": cell.reused}


def _counts(candidates: list[dict]) -> dict:
    counts = {}
    for kind in ("env", "policy"):
        mine = [c for c in candidates if c["kind"] == kind]
        rejected = Counter(c["category"] for c in mine if c["status"] == "rejected")
        counts[kind] = {"proposed": len(mine),
                        "accepted": sum(c["status"] != "rejected" for c in mine),
                        "rejected": dict(rejected)}
    return counts


def default_run_dir(config: RunConfig) -> str:
    """runs/<domain>-<designer>-s<seed>-<timestamp>."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return os.path.join("runs", f"{config.domain}-{config.designer}-s{config.seed}-{stamp}")
