"""Evaluation of (policy, environment) pairs: episodes in the sandbox, one payoff cell per pair.

Episode seeds depend only on the environment, the base seed and the episode index (common random
numbers: every policy meets the same levels). Each episode is its own sandbox job; a cell's
episodes run in PROCESSES_PER_CELL consecutive chunks, each chunk in one fresh program process
(so a cell spreads over the workers, and the chunks do not depend on how many workers there
are). Cells are cached under (policy sha256, environment sha256, episodes, base seed).
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from envs.api import EpisodeResult

from coevolve.program import Program
from coevolve.secrets import redact
from coevolve.sandbox import Job, JobResult

PROCESSES_PER_CELL = 4
"""A cell's episodes are cut into this many chunks, each played in one fresh program process."""


@dataclass(frozen=True)
class CellResult:
    """Aggregate of N episodes of one policy in one environment."""

    success_rate: float
    """Fraction of episodes solved: the payoff."""
    mean_return: float
    """Mean episode return."""
    mean_steps: float
    """Mean agent steps per episode."""
    episodes: int
    """Number of episodes played."""
    errors: int
    """Episodes that ended abnormally (exception, bad action, timeout, crash)."""
    first_error: str | None
    """The first abnormal ending's reason, if any."""
    policy_seconds_per_step: float
    """Mean wall-clock seconds inside the policy per step (a slow policy shows here)."""


def episode_seed(env_key: str, base_seed: int, index: int) -> int:
    """The seed of episode ``index`` in environment ``env_key`` (a sha256 or a name)."""
    digest = hashlib.sha256(f"{env_key}:{base_seed}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def episode_group(cell_key: tuple, index: int, episodes: int) -> tuple:
    """The program process (group) episode ``index`` of a cell of ``episodes`` plays in."""
    per_process = -(-episodes // PROCESSES_PER_CELL)
    return (*cell_key, index // per_process)


def as_episode(result: JobResult) -> EpisodeResult:
    """The episode a job produced; a failed job is a failed episode carrying the reason."""
    if result.error is not None or not isinstance(result.value, EpisodeResult):
        reason = result.error or f"runner returned {type(result.value).__name__}"
        return EpisodeResult(False, 0.0, 0, error=reason)
    return result.value


def aggregate(episodes: Sequence[EpisodeResult]) -> CellResult:
    """One payoff cell from its episodes."""
    n = len(episodes)
    steps = sum(e.steps for e in episodes)
    errors = [e.error for e in episodes if e.error]
    return CellResult(
        success_rate=sum(bool(e.success) for e in episodes) / n,
        mean_return=sum(e.ret for e in episodes) / n,
        mean_steps=steps / n,
        episodes=n,
        errors=len(errors),
        first_error=errors[0] if errors else None,
        policy_seconds_per_step=sum(e.policy_seconds for e in episodes) / max(steps, 1),
    )


class ResultCache:
    """Payoff cells by (policy sha256, env sha256, episodes, seed), optionally kept in a file.

    The file is JSON lines, appended to and flushed per cell; a torn last line (a crash while
    writing) is ignored on loading.
    """

    def __init__(self, path: str | None = None):
        self.path = path
        self._cells: dict[tuple, CellResult] = {}
        if path and os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                for line in handle:
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError:
                        continue
                    self._cells[tuple(record["key"])] = CellResult(**record["cell"])

    def __len__(self) -> int:
        return len(self._cells)

    def get(self, key: tuple) -> CellResult | None:
        """The cached cell, or None."""
        return self._cells.get(key)

    def put(self, key: tuple, cell: CellResult) -> None:
        """Remember (and persist) a cell."""
        self._cells[key] = cell
        if self.path:
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(redact(json.dumps({"key": list(key), "cell": asdict(cell)})) + "\n")
                handle.flush()
                os.fsync(handle.fileno())


class Evaluator:
    """Plays policies against environments of one domain through an executor.

    Args:
        env_package: module path of the domain's environment side (its ``run_episode`` runs in
            the workers), e.g. "envs.minigrid".
        executor: anything with ``run(jobs, progress) -> list[JobResult]`` (a SandboxPool).
        episodes: episodes per cell.
        seed: base seed of the episode seeds.
        cache: cell cache; a fresh in-memory one by default.
        episode_seconds: wall-clock limit per episode; None uses the executor's.
        options: extra keyword arguments for every ``run_episode`` call.
    """

    def __init__(self, env_package: str, executor, episodes: int, seed: int,
                 cache: ResultCache | None = None, episode_seconds: float | None = None,
                 options: dict | None = None):
        if episodes < 1:
            raise ValueError("episodes must be at least 1")
        self.env_package = env_package
        self.executor = executor
        self.episodes = episodes
        self.seed = seed
        self.cache = cache if cache is not None else ResultCache()
        self.episode_seconds = episode_seconds
        self.options = dict(options or {})

    def key(self, policy: Program, env: Program) -> tuple:
        """Cache key of a cell."""
        return (policy.sha256, env.sha256, self.episodes, self.seed)

    def episode_job(self, policy: Program, env: Program, index: int, trace: bool = False) -> Job:
        """The sandbox job of one episode."""
        kwargs = {"seed": episode_seed(env.sha256, self.seed, index), **self.options}
        if trace:
            kwargs["trace"] = True
        group = episode_group(("trace" if trace else "play", policy.sha256, env.sha256), index,
                              self.episodes)
        return Job(self.env_package, "run_episode", env.source, policy.source, kwargs,
                   self.episode_seconds, group)

    def evaluate(self, pairs: Sequence[tuple[Program, Program]],
                 progress: Callable[[int, int], None] | None = None) -> list[CellResult]:
        """One cell per (policy, env) pair; cached cells are not recomputed.

        ``progress(done, total)`` counts episodes as they finish.
        """
        missing = list(dict.fromkeys(self.key(p, e) for p, e in pairs
                                     if self.cache.get(self.key(p, e)) is None))
        by_key = {self.key(p, e): (p, e) for p, e in pairs}
        jobs = [self.episode_job(*by_key[key], index)
                for key in missing for index in range(self.episodes)]
        done = [0]

        def tick(_index, _result):
            done[0] += 1
            if progress is not None:
                progress(done[0], len(jobs))

        results = self.executor.run(jobs, tick) if jobs else []
        for n, key in enumerate(missing):
            chunk = results[n * self.episodes:(n + 1) * self.episodes]
            self.cache.put(key, aggregate([as_episode(r) for r in chunk]))
        return [self.cache.get(self.key(p, e)) for p, e in pairs]

    def traces(self, policy: Program, env: Program) -> list[EpisodeResult]:
        """Every episode of a cell again, traced (for designers that read what went wrong)."""
        jobs = [self.episode_job(policy, env, index, trace=True) for index in range(self.episodes)]
        return [as_episode(result) for result in self.executor.run(jobs)]

