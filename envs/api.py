"""The small contract between the harness and a domain.

A domain is a sub-package ``envs.<name>`` exporting the module-level names below. The harness
(``coevolve``) executes generated program sources into fresh module objects inside a sandboxed
worker and hands those modules to the domain's functions; a domain never executes source itself.

Required names of a domain package::

    NAME: str                       # "minigrid", "pygame", "atari"
    ENV_REQUIRED: tuple[str, ...]   # names an environment program must define, e.g. ("CustomEnv",)
    POLICY_REQUIRED: tuple[str, ...]  # names a policy program must define, e.g. ("policy",)
    ALLOWED_IMPORTS: frozenset[str]   # top-level modules a program may import beyond the common
                                      # safe standard library and numpy (e.g. {"minigrid", "gymnasium"})
    DOC_ENV: str, DOC_POLICY: str   # contract documentation: the README and LLM prompts use this text
    SEED_ENV: str                   # source of the seed environment program
    DEFAULT_MAX_SECONDS: float      # generous default wall-clock limit for one episode
    DIFFICULTY_MEASURE: str         # optional: the LevelCheck measure that breaks ties between
                                    # equally hard candidates (the simpler level is kept)
    PROBE_STEPS: int                # optional: run_episode's max_steps for the short episode a
                                    # policy candidate plays before it is accepted

    def run_episode(env_module, policy_module, *, seed: int, trace: bool = False,
                    **options) -> EpisodeResult
    def check_env(env_module, *, seeds: Sequence[int]) -> LevelCheck
    def render(env_module, seed: int, path, out_png: str, **options) -> None
    def heldout_suite() -> list[HeldoutFamily]
    def draw_level(env_module, policy_module, *, seed: int) -> str   # optional: the seeded level
                                    # as text with the policy's path, for the LLM policy designer

Environment mutation operators live in ``envs.<name>.mutations`` as
``mutate_env(source: str, rng: numpy.random.Generator) -> tuple[str, str]`` (new source, a
one-line description of the change); policy operators in ``policies.<name>.mutations`` as
``mutate_policy(source, rng) -> tuple[str, str]``.

Seed policies live in ``policies.<name>`` (``SEED_POLICY: str``).
"""
from __future__ import annotations

import linecache
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any


@dataclass(frozen=True)
class EpisodeResult:
    """What one episode of a policy in an environment produced."""

    success: bool
    """Whether the episode counts as solved under the domain's success rule."""
    ret: float
    """Episode return (the domain defines the reward)."""
    steps: int
    """Agent steps taken."""
    policy_seconds: float = 0.0
    """Wall-clock seconds spent inside the policy's calls, summed over the episode."""
    error: str | None = None
    """Why the episode failed abnormally (exception, bad action, ...); None if it ran cleanly."""
    trace: Any = None
    """Optional compact trace (positions, actions, ...) when requested with ``trace=True``."""


@dataclass(frozen=True)
class LevelCheck:
    """Result of a domain's feasibility check of an environment program."""

    feasible: bool
    """True if every checked seeded reset yields a solvable level."""
    reason: str | None = None
    """Why the level was rejected, phrased so a person (or an LLM) can act on it."""
    measures: dict = field(default_factory=dict)
    """Level measures (grid size, walls, doors, shortest solution, ...), averaged over seeds."""


class ProgramError(Exception):
    """A generated program broke its contract at run time (bad action type, missing name, ...)."""


@dataclass(frozen=True)
class HeldoutFamily:
    """A named family of held-out levels, played through the ordinary episode runner.

    Episode ``k`` of an evaluation on the family plays level ``k % len(levels)``. A level is either
    an environment program source (``env_source``) or ``None`` with ``options`` naming a built-in
    environment (for example ``{"env_id": "MiniGrid-DoorKey-16x16-v0"}``); ``options`` are passed
    to ``run_episode`` as keyword arguments.
    """

    name: str
    """Family name shown in the held-out table, e.g. "MiniGrid-DoorKey-16x16-v0" or "bug_trap"."""
    env_sources: tuple = (None,)
    """One entry per level: a program source, or None for a built-in environment."""
    options: dict = field(default_factory=dict)
    """Keyword arguments for run_episode shared by every level of the family."""


def describe_exception(exc: BaseException, module: ModuleType | None) -> str:
    """``ExceptionType: message`` plus the innermost line of ``module`` it passed through."""
    text = f"{type(exc).__name__}: {exc}"[:300]
    where = None
    tb = exc.__traceback__
    while tb is not None:
        if module is not None and tb.tb_frame.f_globals is module.__dict__:
            line = linecache.getline(tb.tb_frame.f_code.co_filename, tb.tb_lineno).strip()
            where = f"line {tb.tb_lineno}" + (f": {line}" if line else "")
        tb = tb.tb_next
    return f"{text} ({where})" if where else text
