"""Optimisers of Atari policy programs behind one interface.

An optimiser's ``propose(program, trace_text, feedback, rng, elites, stalled)`` returns candidate
programs (``stalled``: iterations since the best program last improved). ``offline`` is genetic programming over the trainable functions' ASTs
(:mod:`policies.atari.mutations`); ``llm`` (:mod:`coevolve.atari.llm_optimizer`) has a chat
model rewrite the trainable functions from the same trace text and feedback.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from coevolve.atari.feedback import Feedback
from coevolve.errors import UserInputError
from policies.atari import game_macros, game_objects, game_primitives
from policies.atari.mutations import PolicyMutator, apply_macro, crossover


def program_key(source: str) -> str:
    """The sha256 of a program's source: the key of its evaluations."""
    return hashlib.sha256(source.encode()).hexdigest()


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
                stalled: int = 0, known=frozenset()) -> list[Candidate]:
        """Candidates derived from ``program`` (and the ``elites``, best first); ``known``
        holds the :func:`program_key` of programs already evaluated."""


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
    macro_rate: float = 0.15
    """Probability that a candidate starts with a macro mutation (a whole trainable function
    rebuilt from the typed primitives, :data:`policies.atari.MACROS`)."""
    restart_after: int = 2
    """Stalled iterations after which half the candidates descend from another elite."""

    def propose(self, program, trace_text, feedback, rng, elites=(),
                stalled=0, known=frozenset()) -> list[Candidate]:
        """Up to ``candidates`` distinct offspring of ``program`` (or, when stalled, of the
        other elites), none of them in ``known`` (keys of programs already evaluated)."""
        boost = 1.0 + self.stall_growth * stalled
        stacking = min(0.75, self.extra_mutation_rate * boost)
        seen, out = {program_key(program)} | set(known), []
        others = [e for e in elites if e != program]
        objects, primitives = game_objects(self.game), game_primitives(self.game)
        macros = game_macros(self.game)
        for _ in range(self.candidates * 6):
            if len(out) == self.candidates:
                break
            parent, notes = program, []
            if others and stalled >= self.restart_after and rng.random() < 0.5:
                parent = others[int(rng.integers(len(others)))]
                notes.append("restart from an elite")
            source = parent
            strength = float(self.strengths[int(rng.integers(len(self.strengths)))]) * boost
            macro = False
            if macros and rng.random() < self.macro_rate:
                try:
                    source, note = apply_macro(source, rng, macros)
                    notes.append(note)
                    macro = True
                except ValueError:
                    pass
            if others and rng.random() < self.crossover_rate:
                try:
                    source, note = crossover(source, others[int(rng.integers(len(others)))], rng)
                    notes.append(note)
                except ValueError as exc:  # no compatible function pair: mutate alone
                    notes.append(f"crossover refused: {exc}")
            while not (macro and rng.random() < 0.5):  # a macro may stand alone
                source, note = PolicyMutator(objects, primitives, strength).mutate(source, rng)
                notes.append(note)
                if rng.random() >= stacking:
                    break
            if program_key(source) not in seen:
                seen.add(program_key(source))
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
