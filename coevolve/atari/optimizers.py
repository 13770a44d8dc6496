"""Optimisers of Atari policy programs behind one interface.

An optimiser's ``propose(request, rng)`` returns candidate :class:`~coevolve.program.Program`
values (a :class:`~coevolve.designers.base.NoCandidate` where an llm conversation produced
none). ``offline`` is genetic programming over the trainable functions' ASTs
(:mod:`policies.atari.mutations`); ``llm`` (:mod:`coevolve.atari.llm_optimizer`) has a chat model
rewrite the trainable functions from the same trace text and feedback, through the co-evolution
llm designer's concurrent conversations and repairs.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from coevolve.atari.evaluation import DOMAIN
from coevolve.atari.feedback import Feedback
from coevolve.errors import UserInputError
from coevolve.program import Origin, Program, source_sha256
from envs.atari import get_game
from policies.atari.mutations import PolicyMutator, apply_macro, crossover


@dataclass(frozen=True)
class AtariRequest:
    """Ask for K programs that score higher than ``parent``."""

    parent: Program
    """The best program so far."""
    iteration: int
    """The iteration the candidates are for."""
    k: int
    """How many candidates."""
    trace: str
    """The rendered trace of the parent's traced rollout."""
    feedback: Feedback
    """The staged feedback on the parent's score."""
    elites: tuple[Program, ...] = ()
    """The best programs so far, best first (crossover partners and restart points)."""
    stalled: int = 0
    """Iterations since the best score last rose."""
    known: frozenset = frozenset()
    """sha256 of every program already evaluated: none is proposed again."""
    history: tuple = ()
    """The finished iterations' records (the llm optimiser shows the latest to the model)."""
    check: Callable[[Program], str | None] | None = None
    """Why a candidate fails a short rollout (None if it passes), for optimisers that repair."""


class Optimizer(Protocol):
    """Proposes improved versions of a policy program."""

    name: str

    def propose(self, request: AtariRequest, rng: np.random.Generator) -> list[Program]:
        """Candidates derived from ``request.parent`` (and the elites)."""


@dataclass(frozen=True)
class OfflineOptimizer:
    """Genetic programming: mutation of the program, sometimes after crossover with an elite.

    Each candidate draws its own mutation strength from ``strengths`` (fine tuning and large
    jumps in the same proposal); the longer the search has stalled, the larger the steps and
    the more mutations are stacked on a candidate (adaptive mutation strength). Mutations may
    use the game's primitives (``Game.primitives``, e.g. ball extrapolation with wall bounces)
    and macros (``Game.macros``). It ignores the trace text and the feedback: selection by
    score does its learning.
    """

    game: str
    """The game (its objects, primitives and macros)."""
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
    rebuilt from the typed primitives)."""
    restart_after: int = 2
    """Stalled iterations after which half the candidates descend from another elite."""
    macro_stack: float = 0.5
    """Probability of each further macro stacked on a candidate that took one (each on another
    function: a game's macros compose, e.g. the ball's landing point and the paddle's steering)."""

    def propose(self, request: AtariRequest, rng: np.random.Generator) -> list[Program]:
        """Up to ``candidates`` distinct offspring of the parent (or, when stalled, of the
        other elites), none of them already known."""
        program, stalled = request.parent.source, request.stalled
        boost = 1.0 + self.stall_growth * stalled
        stacking = min(0.75, self.extra_mutation_rate * boost)
        seen, out = {request.parent.sha256} | set(request.known), []
        others = [e.source for e in request.elites if e.source != program]
        spec = get_game(self.game)
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
            if spec.macros and rng.random() < self.macro_rate:
                source, macro = self._macros(source, rng, spec.macros, notes)
            if others and rng.random() < self.crossover_rate:
                try:
                    source, note = crossover(source, others[int(rng.integers(len(others)))], rng)
                    notes.append(note)
                except ValueError as exc:  # no compatible function pair: mutate alone
                    notes.append(f"crossover refused: {exc}")
            while not (macro and rng.random() < 0.5):  # a macro may stand alone
                source, note = PolicyMutator(spec.objects, spec.primitives,
                                             strength).mutate(source, rng)
                notes.append(note)
                if rng.random() >= stacking:
                    break
            if source_sha256(source) not in seen:
                seen.add(source_sha256(source))
                out.append(Program("policy", DOMAIN, source, source_sha256(parent),
                                   Origin("offline", None, request.iteration, "; ".join(notes))))
        return out

    def _macros(self, source: str, rng: np.random.Generator, macros,
                notes: list) -> tuple[str, bool]:
        """``source`` after one macro and, with probability ``macro_stack`` each, more (until
        none applies), and whether any applied; a program no macro fits is noted and kept."""
        applied = False
        while True:
            try:
                source, note = apply_macro(source, rng, macros)
            except ValueError as exc:
                if not applied:
                    notes.append(f"macro refused: {exc}")
                return source, applied
            notes.append(note)
            applied = True
            if rng.random() >= self.macro_stack:
                return source, applied


DESIGNERS = ("offline", "llm")
"""Optimiser names accepted by ``--designer``."""


def make_optimizer(name: str, game: str, candidates: int, **options) -> Optimizer:
    """The optimiser called ``name``; raises UserInputError for an unknown one.

    Args:
        name: "offline" or "llm".
        game: the game being optimised.
        candidates: candidates per proposal (the offline optimiser's; the llm optimiser
            answers ``request.k``).
        **options: the llm optimiser's ``client`` (required) and ``repair_rounds``.
    """
    if name == "offline":
        return OfflineOptimizer(game=game, candidates=candidates)
    if name == "llm":
        from coevolve.atari.llm_optimizer import LLMOptimizer

        return LLMOptimizer(game, **options)
    raise UserInputError(f"unknown designer {name!r}; choose one of {', '.join(DESIGNERS)}")
