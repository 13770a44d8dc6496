"""Episodes of Atari policy programs in sandboxed worker processes.

An :class:`Evaluator` turns (program, seeds, step budget) into :class:`Evaluation` values,
running every episode of a batch of programs as one parallel ``SandboxPool.run`` call. An episode
whose program raised, or whose job failed (timeout, crash), scores the game's worst score, so a
broken program never looks better than a weak one.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from coevolve.atari.feedback import worst_score
from coevolve.evaluate import PROCESSES_PER_CELL
from coevolve.sandbox import Job, JobResult


@dataclass(frozen=True)
class Evaluation:
    """Scores of one program over a set of episodes."""

    scores: tuple[float, ...]
    """Game score per episode, in seed order."""
    steps: int
    """Environment steps used, summed over the episodes."""
    errors: tuple[str, ...] = ()
    """Distinct error messages of failed episodes."""

    @property
    def mean(self) -> float:
        """Mean score."""
        return float(np.mean(self.scores))

    @property
    def std(self) -> float:
        """Population standard deviation of the scores."""
        return float(np.std(self.scores))


class Evaluator:
    """Runs Atari episodes of policy sources on a sandbox pool.

    Args:
        pool: a ``coevolve.sandbox.SandboxPool`` (or any object with the same ``run``).
        game: an Atari game name (see :func:`envs.atari.get_game`).
        sticky: probability of repeating the previous action (standard 0.25, or 0.0).
        seconds: wall-clock limit of one episode job.
    """

    def __init__(self, pool, game: str, sticky: float = 0.25, seconds: float = 600.0):
        self.pool, self.game, self.sticky, self.seconds = pool, game, sticky, seconds

    def batch(self, sources: Sequence[str], seeds: Sequence[int], max_steps: int,
              progress: Callable[[int, JobResult], None] | None = None,
              stop_score: float | None = None) -> list[Evaluation]:
        """Every source on every seed, in parallel; one Evaluation per source.

        A source's episodes play in PROCESSES_PER_CELL program processes, so the emulator is
        built once per process, not once per episode.
        """
        per_process = -(-len(seeds) // PROCESSES_PER_CELL)
        jobs = [Job(module="envs.atari", function="run_episode", policy_source=source,
                    kwargs={"seed": int(seed), "game": self.game, "max_steps": int(max_steps),
                            "sticky": self.sticky, "stop_score": stop_score},
                    seconds=self.seconds, group=("atari", n, k // per_process))
                for n, source in enumerate(sources) for k, seed in enumerate(seeds)]
        results = self.pool.run(jobs, progress=progress)
        evaluations = []
        for i in range(len(sources)):
            chunk = results[i * len(seeds):(i + 1) * len(seeds)]
            scores, steps, errors = [], 0, []
            for result in chunk:
                episode = result.value
                error = result.error or (episode.error if episode is not None else None)
                steps += episode.steps if episode is not None else 0
                scores.append(worst_score(self.game) if error else float(episode.ret))
                if error and error not in errors:
                    errors.append(error)
            evaluations.append(Evaluation(tuple(scores), steps, tuple(errors)))
        return evaluations

    def trace(self, source: str, seed: int, horizon: int) -> dict:
        """A traced short rollout (see :func:`coevolve.atari.tracing.traced_rollout`)."""
        job = Job(module="coevolve.atari.tracing", function="traced_rollout",
                  policy_source=source, seconds=self.seconds,
                  kwargs={"seed": int(seed), "game": self.game, "horizon": int(horizon),
                          "sticky": self.sticky})
        result = self.pool.run([job])[0]
        if result.error is not None:
            return {"game": self.game, "seed": seed, "horizon": horizon, "score": worst_score(self.game),
                    "steps": 0, "error": result.error, "calls": [], "dropped": 0, "rewards": []}
        return result.value
