"""Optimisers of Atari policy programs behind one interface.

An optimiser's ``propose(program, trace_text, feedback, rng, elites, stalled)`` returns candidate
programs (``stalled``: iterations since the best program last improved). ``offline`` is genetic programming over the trainable functions' ASTs
(:mod:`policies.atari.mutations`); ``llm`` (:mod:`coevolve.atari.llm_optimizer`) has a chat
model rewrite the trainable functions from the same trace text and feedback.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from coevolve.atari.feedback import Feedback
from coevolve.errors import UserInputError
from policies.atari import OBJECTS, PRIMITIVES
from policies.atari.mutations import crossover, mutate_policy


@dataclass(frozen=True)
class Candidate:
    """A proposed program and how it was made."""

    source: str
    """The full program source."""
    note: str
    """What changed, in a line."""


class Optimizer(Protocol):
    """Proposes improved versions of a policy program."""

    name: str

    def propose(self, program: str, trace_text: str, feedback: Feedback,
                rng: np.random.Generator, elites: Sequence[str] = (),
                stalled: int = 0) -> list[Candidate]:
        """Candidates derived from ``program`` (and the ``elites``, best first)."""


@dataclass(frozen=True)
class OfflineOptimizer:
    """Genetic programming: mutation of the program, sometimes after crossover with an elite.

    Each candidate draws its own mutation strength from ``strengths`` (fine tuning and large
    jumps in the same proposal); the longer the search has ``stalled``, the larger the steps and
    the more mutations are stacked on a candidate (adaptive mutation strength) and may use the game's primitives (``policies.atari.PRIMITIVES``,
    e.g. ball extrapolation with wall bounces). It ignores the trace text and the feedback:
    selection by score does its learning.
    """

    game: str
    """The game (sets the object names of new primitives)."""
    candidates: int = 8
    """Candidates per proposal."""
    crossover_rate: float = 0.25
    """Probability that a candidate starts from crossover with another elite."""
    extra_mutation_rate: float = 0.3
    """Probability of each further mutation stacked on a candidate (geometric)."""
    strengths: tuple = (0.3, 1.0, 3.0)
    """Scales of constant perturbation; each candidate draws one."""
    name: str = "offline"

    stall_growth: float = 0.25
    """Growth of the strength and of the stacking rate per stalled iteration."""

    def propose(self, program, trace_text, feedback, rng, elites=(),
                stalled=0) -> list[Candidate]:
        """Up to ``candidates`` distinct offspring of ``program``."""
        boost = 1.0 + self.stall_growth * stalled
        stacking = min(0.75, self.extra_mutation_rate * boost)
        seen, out = {program}, []
        others = [e for e in elites if e != program]
        for _ in range(self.candidates * 4):
            if len(out) == self.candidates:
                break
            source, notes = program, []
            strength = float(self.strengths[int(rng.integers(len(self.strengths)))]) * boost
            if others and rng.random() < self.crossover_rate:
                try:
                    source, note = crossover(source, others[int(rng.integers(len(others)))], rng)
                    notes.append(note)
                except ValueError as exc:  # no compatible function pair: mutate alone
                    notes.append(f"crossover refused: {exc}")
            while True:
                source, note = mutate_policy(source, rng, OBJECTS[self.game],
                                             PRIMITIVES[self.game], strength)
                notes.append(note)
                if rng.random() >= stacking:
                    break
            if source not in seen:
                seen.add(source)
                out.append(Candidate(source, "; ".join(notes)))
        return out


DESIGNERS = ("offline", "llm")
"""Optimiser names accepted by ``--designer``."""


def make_optimizer(name: str, game: str, candidates: int, **options) -> Optimizer:
    """The optimiser called ``name``; raises UserInputError for an unknown one.

    Args:
        name: "offline" or "llm".
        game: the game being optimised.
        candidates: candidates per proposal.
        **options: the llm optimiser's ``client`` (required), ``check`` and ``repair_rounds``.
    """
    if name == "offline":
        return OfflineOptimizer(game=game, candidates=candidates)
    if name == "llm":
        from coevolve.atari.llm_optimizer import LLMOptimizer  # it imports Candidate

        return LLMOptimizer(game, candidates, **options)
    raise UserInputError(f"unknown designer {name!r}; choose one of {', '.join(DESIGNERS)}")
