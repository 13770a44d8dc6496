"""Optimisers of Atari policy programs behind one interface.

An optimiser's ``propose(program, trace_text, feedback, rng, elites)`` returns candidate
programs. ``offline`` is genetic programming over the trainable functions' ASTs
(:mod:`policies.atari.mutations`); an ``llm`` optimiser reads the same trace text and feedback
and will be registered in :data:`OPTIMIZERS` by the LLM designer work.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from coevolve.atari.feedback import Feedback
from coevolve.errors import UserInputError
from policies.atari import OBJECTS
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
                rng: np.random.Generator, elites: Sequence[str] = ()) -> list[Candidate]:
        """Candidates derived from ``program`` (and the ``elites``, best first)."""


@dataclass(frozen=True)
class OfflineOptimizer:
    """Genetic programming: mutation of the program, sometimes after crossover with an elite.

    It ignores the trace text and the feedback: selection by score does its learning.
    """

    game: str
    """The game (sets the object names of new primitives)."""
    candidates: int = 8
    """Candidates per proposal."""
    crossover_rate: float = 0.25
    """Probability that a candidate starts from crossover with another elite."""
    extra_mutation_rate: float = 0.3
    """Probability of each further mutation stacked on a candidate (geometric)."""
    name: str = "offline"

    def propose(self, program, trace_text, feedback, rng, elites=()) -> list[Candidate]:
        """Up to ``candidates`` distinct offspring of ``program``."""
        seen, out = {program}, []
        others = [e for e in elites if e != program]
        for _ in range(self.candidates * 4):
            if len(out) == self.candidates:
                break
            source, notes = program, []
            if others and rng.random() < self.crossover_rate:
                try:
                    source, note = crossover(source, others[int(rng.integers(len(others)))], rng)
                    notes.append(note)
                except ValueError:
                    pass
            while True:
                source, note = mutate_policy(source, rng, OBJECTS[self.game])
                notes.append(note)
                if rng.random() >= self.extra_mutation_rate:
                    break
            if source not in seen:
                seen.add(source)
                out.append(Candidate(source, "; ".join(notes)))
        return out


OPTIMIZERS = {"offline": OfflineOptimizer}
"""Optimiser classes by designer name; each is constructed as ``cls(game=..., candidates=...)``."""


def make_optimizer(name: str, game: str, candidates: int) -> Optimizer:
    """The optimiser called ``name``; raises UserInputError for unknown or unavailable ones."""
    if name == "llm" and name not in OPTIMIZERS:
        raise UserInputError("the llm designer is not available for Atari yet; "
                             "use --designer offline")
    if name not in OPTIMIZERS:
        raise UserInputError(f"unknown designer {name!r}; choose one of offline, llm")
    return OPTIMIZERS[name](game=game, candidates=candidates)
