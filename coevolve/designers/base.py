"""What a designer is asked, and what it must answer."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from coevolve.program import Program


@dataclass(frozen=True)
class EnvRequest:
    """Ask for K environments harder for the current mixture, still solvable."""

    parent: Program
    """The newest environment, to be mutated."""
    iteration: int
    """The iteration the candidates are for."""
    k: int
    """How many candidates."""
    mixture_success: dict = field(default_factory=dict)
    """Policy label -> (mixture weight, success on the parent[, mean return on the parent]) for
    the policies in the mixture (the MSNE's, or the ``--meta-solver``'s)."""
    check: Callable[[Program], str | None] | None = None
    """Returns why a candidate would be rejected (None if accepted), for designers that repair;
    safe to call from several threads at once."""
    measures: dict = field(default_factory=dict)
    """The parent level's measures (from its feasibility check)."""
    trace: str = ""
    """Compact text trace of the heaviest mixture policy playing the parent level."""


@dataclass(frozen=True)
class PolicyRequest:
    """Ask for K policies that do better on the new environment."""

    parent: Program
    """The policy with the largest mixture weight, to be mutated."""
    env: Program
    """The environment just added."""
    iteration: int
    """The iteration the candidates are for."""
    k: int
    """How many candidates."""
    success: float = 0.0
    """The parent's success rate on ``env``."""
    trace: str = ""
    """Compact text trace of one failed episode of the parent on ``env``."""
    check: Callable[[Program], str | None] | None = None
    """Returns why a candidate would be rejected (None if accepted), for designers that repair;
    safe to call from several threads at once."""
    score: Callable[[Program], float] | None = None
    """Success rate of a policy on ``env`` (cached), for designers that search."""
    scores: dict = field(default_factory=dict)
    """Environment label -> the parent's success on it, for the whole archive before ``env``."""
    level: str = ""
    """The seeded level of the failed episode drawn as text, with the parent's path."""
    restarts: tuple = ()
    """Other archive policies to search from as well as the parent, best on ``env`` first
    (``--policy-search wide`` when the parent fails ``env``; empty otherwise)."""
    steps: int | None = None
    """Search steps per candidate for designers that search (None: their own setting)."""


@dataclass(frozen=True)
class NoCandidate:
    """A candidate slot that produced no program (its requests failed), and why."""

    kind: str
    """"env" or "policy"."""
    slot: str
    """Which conversation, e.g. "iter0003/policy/1"."""
    reason: str
    """Why there is no program (quoting the server or the budget)."""
    reasons: tuple = ()
    """The repair reasons given before it stopped."""


class Designer(Protocol):
    """A source of candidate programs."""

    name: str

    def propose_envs(self, request: EnvRequest, rng: np.random.Generator) -> list[Program]:
        """K candidate environment programs (a :class:`NoCandidate` where one could not be had)."""

    def propose_policies(self, request: PolicyRequest, rng: np.random.Generator) -> list[Program]:
        """K candidate policy programs (a :class:`NoCandidate` where one could not be had)."""
