"""Evaluation of (policy, environment) pairs: episodes in the sandbox, one payoff cell per pair.

Episode seeds depend only on the environment, the base seed and the episode index (common random
numbers: every policy meets the same levels). Each episode is its own sandbox job; a cell's
episodes run in PROCESSES_PER_CELL consecutive chunks, each chunk in one fresh program process
(so a cell spreads over the workers, and the chunks do not depend on how many workers there
are). Cells are cached under (policy sha256, environment sha256, episodes, base seed).
"""
from __future__ import annotations

import hashlib
import importlib
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
    return_std: float = 0.0
    """Population standard deviation of the episode returns."""
    reused: int = 0
    """Episodes not played because an earlier episode of the pair had the same start and drew
    no randomness (their results are that episode's); ``episodes - reused`` were played."""


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


def aggregate(episodes: Sequence[EpisodeResult], reused: int = 0) -> CellResult:
    """One payoff cell from its episodes (``reused`` of them not played, but copied)."""
    n = len(episodes)
    steps = sum(e.steps for e in episodes)
    errors = [e.error for e in episodes if e.error]
    mean_return = sum(e.ret for e in episodes) / n
    return CellResult(
        success_rate=sum(bool(e.success) for e in episodes) / n,
        mean_return=mean_return,
        mean_steps=steps / n,
        episodes=n,
        errors=len(errors),
        first_error=errors[0] if errors else None,
        policy_seconds_per_step=sum(e.policy_seconds for e in episodes) / max(steps, 1),
        return_std=(sum((e.ret - mean_return) ** 2 for e in episodes) / n) ** 0.5,
        reused=reused,
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
        reuse: skip episodes whose outcome is already known (see :meth:`evaluate`).
    """

    def __init__(self, env_package: str, executor, episodes: int, seed: int,
                 cache: ResultCache | None = None, reuse: bool = True):
        if episodes < 1:
            raise ValueError("episodes must be at least 1")
        self.env_package = env_package
        self.executor = executor
        self.episodes = episodes
        self.seed = seed
        self.cache = cache if cache is not None else ResultCache()
        self.reuse = reuse and callable(getattr(importlib.import_module(env_package),
                                                "start_states", None))
        """Whether episodes are reused: asked for, and the domain can fingerprint its starts."""
        self._starts: dict[str, list] = {}
        self.played = 0
        """Episodes played so far."""
        self.reused = 0
        """Episodes whose result was reused instead of played, so far."""

    def key(self, policy: Program, env: Program) -> tuple:
        """Cache key of a cell."""
        return (policy.sha256, env.sha256, self.episodes, self.seed)

    def episode_job(self, policy: Program, env: Program, index: int, trace: bool = False,
                    fingerprint: bool = False) -> Job:
        """The sandbox job of one episode (``fingerprint``: have it report its start)."""
        kwargs = {"seed": episode_seed(env.sha256, self.seed, index)}
        if trace:
            kwargs["trace"] = True
        if fingerprint:
            kwargs["fingerprint"] = True
        group = episode_group(("trace" if trace else "play", policy.sha256, env.sha256), index,
                              self.episodes)
        return self.job(env.source, policy.source, kwargs, group)

    def job(self, env_source: str | None, policy_source: str, kwargs: dict, group=None) -> Job:
        """A ``run_episode`` job of this domain."""
        return Job(self.env_package, "run_episode", env_source, policy_source, kwargs,
                   group=group)

    def evaluate_jobs(self, cells: dict[tuple, list[Job]],
                      progress: Callable[[int, int], None] | None = None) -> dict:
        """One cell per key from its episode jobs, for cells of other shapes than a pair (a
        mixture on a held-out family); cells already in the cache are not played.

        ``progress(done, total)`` counts episodes.
        """
        missing = {key: jobs for key, jobs in cells.items() if self.cache.get(key) is None}
        jobs = [job for cell_jobs in missing.values() for job in cell_jobs]
        done = [0]

        def tick(_index, _result):
            done[0] += 1
            if progress is not None:
                progress(done[0], len(jobs))

        self.played += len(jobs)
        results = iter(self.executor.run(jobs, tick) if jobs else [])
        for key, cell_jobs in missing.items():
            self.cache.put(key, aggregate([as_episode(next(results)) for _ in cell_jobs]))
        return {key: self.cache.get(key) for key in cells}

    def evaluate(self, pairs: Sequence[tuple[Program, Program]],
                 progress: Callable[[int, int], None] | None = None) -> list[CellResult]:
        """One cell per (policy, env) pair; cached cells are not recomputed.

        With reuse, the episodes of a cell are grouped by the fingerprint of their start
        (the domain's ``start_states``). The first episode of each group is played; if it
        started where the fingerprint says and drew no randomness, the others of its group
        would replay it exactly, so its result stands for them; otherwise they are played too.
        ``progress(done, total)`` counts episodes, reused ones included.
        """
        missing = list(dict.fromkeys(self.key(p, e) for p, e in pairs
                                     if self.cache.get(self.key(p, e)) is None))
        by_key = {self.key(p, e): (p, e) for p, e in pairs}
        total, done = len(missing) * self.episodes, [0]

        def tick(_index=None, _result=None, count=1):
            done[0] += count
            if progress is not None:
                progress(done[0], total)

        if self.reuse:
            self._fetch_starts([by_key[key][1] for key in missing])
            classes = {key: self._classes(by_key[key][1]) for key in missing}
        else:
            classes = {key: [[i] for i in range(self.episodes)] for key in missing}
        first = [(key, group[0]) for key in missing for group in classes[key]]
        shared = {(key, group[0]) for key in missing for group in classes[key] if len(group) > 1}
        played = dict(zip(first, self._play(first, by_key, tick, shared)))
        rest = []
        for key in missing:
            for group in classes[key]:
                if len(group) > 1 and not self._stands_for(played[key, group[0]], key, group[0]):
                    rest += [(key, i) for i in group[1:]]
        played.update(zip(rest, self._play(rest, by_key, tick)))
        for key in missing:
            episodes = [None] * self.episodes
            for group in classes[key]:
                for i in group:
                    episodes[i] = played.get((key, i)) or played[key, group[0]]
            reused = self.episodes - sum((key, i) in played for i in range(self.episodes))
            tick(count=reused)
            self.reused += reused
            self.cache.put(key, aggregate(episodes, reused))
        return [self.cache.get(self.key(p, e)) for p, e in pairs]

    def _play(self, episodes: list[tuple], by_key: dict, tick,
              fingerprinted: set = frozenset()) -> list[EpisodeResult]:
        """Play (cell key, episode index) pairs in the sandbox; those in ``fingerprinted``
        report their start."""
        jobs = [self.episode_job(*by_key[key], index, fingerprint=(key, index) in fingerprinted)
                for key, index in episodes]
        self.played += len(jobs)
        return [as_episode(r) for r in (self.executor.run(jobs, tick) if jobs else [])]

    def _stands_for(self, result: EpisodeResult, key: tuple, index: int) -> bool:
        """Whether a played episode's result holds for every episode with its start."""
        env_sha = key[1]
        return (result.deterministic and result.start is not None
                and result.start == self._starts[env_sha][index])

    def _fetch_starts(self, envs: Sequence[Program]) -> None:
        """The start fingerprints of every episode of each new environment, in
        PROCESSES_PER_CELL jobs per environment (they spread over the workers)."""
        new = list({env.sha256: env for env in envs if env.sha256 not in self._starts}.values())
        per_job = -(-self.episodes // PROCESSES_PER_CELL)
        chunks = [(env, range(start, min(start + per_job, self.episodes)))
                  for env in new for start in range(0, self.episodes, per_job)]
        jobs = [Job(self.env_package, "start_states", env.source, None,
                    {"seeds": [episode_seed(env.sha256, self.seed, i) for i in indices]})
                for env, indices in chunks]
        results = self.executor.run(jobs) if jobs else []
        for env in new:
            self._starts[env.sha256] = [None] * self.episodes
        for (env, indices), result in zip(chunks, results):
            value = result.value if result.error is None else None
            if (isinstance(value, list) and len(value) == len(indices)
                    and all(v is None or isinstance(v, str) for v in value)):
                for i, start in zip(indices, value):
                    self._starts[env.sha256][i] = start

    def _classes(self, env: Program) -> list[list[int]]:
        """Episode indices grouped by start fingerprint, in order; unknown starts alone."""
        groups: dict = {}
        for index, start in enumerate(self._starts[env.sha256]):
            groups.setdefault(start if start is not None else ("unknown", index), []).append(index)
        return list(groups.values())

    def traces(self, policy: Program, env: Program) -> list[EpisodeResult]:
        """Every episode of a cell again, traced (for designers that read what went wrong)."""
        jobs = [self.episode_job(policy, env, index, trace=True) for index in range(self.episodes)]
        return [as_episode(result) for result in self.executor.run(jobs)]

