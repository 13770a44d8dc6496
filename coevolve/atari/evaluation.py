"""Atari scores through the shared evaluator: policy Programs played under protocol programs.

An Atari "environment" is the evaluation protocol (:class:`envs.atari.Protocol`) written as a
program, so :class:`coevolve.evaluate.Evaluator` plays, seeds and caches Atari episodes exactly
as it does any pair: one sandbox job per episode, sha256 episode seeds from the protocol
program, and cells cached in the run's ``cache.jsonl`` under (policy sha256, protocol sha256,
episodes, seed) -- so a resumed run plays nothing it played before. An evaluation in which any
episode failed (the program raised, a job timed out or crashed) scores the game's worst score,
so a broken program never looks better than a weak one.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from coevolve.evaluate import CellResult, Evaluator, ResultCache
from coevolve.program import Origin, Program
from envs.atari import Protocol, get_game

DOMAIN = "atari"
"""The ``domain`` of Atari programs."""


@dataclass(frozen=True)
class Score:
    """A policy's score under one protocol."""

    mean: float
    """Mean episode return (the game score), or the game's worst score after a failure."""
    std: float
    """Population standard deviation of the episode returns (0 after a failure)."""
    steps: int
    """Environment steps the episodes took."""
    error: str | None = None
    """The first failed episode's reason, if one failed."""


def score_of(cell: CellResult, worst: float) -> Score:
    """The Atari score of an evaluated cell (``worst`` if any episode failed)."""
    steps = round(cell.mean_steps * cell.episodes)
    if cell.errors:
        return Score(worst, 0.0, steps, cell.first_error)
    return Score(cell.mean_return, cell.return_std, steps)


class AtariEvaluator:
    """Plays policies of one game under its protocols, through one executor and one cache.

    Args:
        executor: the executor (``coevolve.executors.make_executor``).
        game: the game's name.
        sticky: the repeat-action probability of every protocol.
        seed: base seed of the episode seeds.
        cache: the run's cell cache.
    """

    def __init__(self, executor, game: str, sticky: float, seed: int,
                 cache: ResultCache | None = None):
        self.executor, self.game, self.sticky, self.seed = executor, game, sticky, seed
        self.worst = get_game(game).worst
        self.cache = cache if cache is not None else ResultCache()
        self._evaluators: dict[int, Evaluator] = {}

    def protocol(self, purpose: str, max_steps: int, stop_score: float | None = None) -> Protocol:
        """The run's protocol for ``purpose`` (a purpose names its own episode seeds)."""
        return Protocol(self.game, self.sticky, int(max_steps), stop_score, purpose)

    def evaluator(self, episodes: int) -> Evaluator:
        """The shared evaluator of ``episodes`` episodes per cell."""
        if episodes not in self._evaluators:
            self._evaluators[episodes] = Evaluator("envs.atari", self.executor, episodes,
                                                   self.seed, self.cache, reuse=False)
        return self._evaluators[episodes]

    def scores(self, policies: Sequence[Program], protocol: Protocol, episodes: int,
               progress: Callable[[int, int], None] | None = None) -> list[Score]:
        """Every policy's score over ``episodes`` episodes of ``protocol`` (cached cells are
        not played again)."""
        env = protocol_program(protocol)
        cells = self.evaluator(episodes).evaluate([(p, env) for p in policies], progress)
        return [score_of(cell, self.worst) for cell in cells]

    def trace(self, policy: Program, protocol: Protocol) -> dict:
        """One traced episode of ``policy``: the rewards, every trainable call, the score."""
        episode = self.evaluator(1).traces(policy, protocol_program(protocol))[0]
        trace = episode.trace if isinstance(episode.trace, dict) else {}
        return {"game": self.game, "purpose": protocol.purpose, "horizon": protocol.max_steps,
                "score": self.worst if episode.error else episode.ret, "steps": episode.steps,
                "error": episode.error, "calls": trace.get("calls", []),
                "dropped": trace.get("dropped", 0), "rewards": trace.get("rewards", [])}


def protocol_program(protocol: Protocol) -> Program:
    """The protocol as the environment program of a pair."""
    return Program("env", DOMAIN, protocol.source(), origin=Origin("protocol"))
