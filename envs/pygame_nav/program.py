"""Environment programs as source: a layout of constants plus the blocks the level needs.

A program built here is standalone (``heapq``, ``math`` and ``numpy`` only): its module constants (``WIDTH``,
``OBSTACLES``, ...) describe the level, the definitions copied from :mod:`envs.pygame_nav.blocks`
implement the arena, and ``class CustomEnv(NavCore)`` ties the two together. The offline designer
edits only the constants (:func:`write_layout`), so the rest of a program survives its mutations.
"""
from __future__ import annotations

import ast
import inspect
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from types import ModuleType

from envs import codetools
from envs.pygame_nav import blocks


@dataclass(frozen=True)
class Layout:
    """The constants of an environment program, one field per module constant (upper-cased)."""

    width: int = 800
    """Arena width, px."""
    height: int = 600
    """Arena height, px."""
    agent_radius: int = 15
    """Radius of the agent's disc, px."""
    speed: float = 6.0
    """Pixels moved per step at full velocity (at most the agent radius)."""
    max_steps: int = 600
    """Steps before the episode is truncated."""
    goal_size: tuple = (70, 70)
    """Goal zone (w, h), px; it must contain the whole agent."""
    min_start_goal: float = 450.0
    """Least distance between the start and the goal centre when they are drawn at random."""
    start: tuple | None = None
    """Fixed agent start (x, y), or None to draw one per reset."""
    goal: tuple | None = None
    """Fixed goal-zone centre (x, y), or None to draw one per reset."""
    random_obstacles: int = 0
    """Extra obstacles scattered at every reset, with room for the agent between them."""
    obstacles: tuple = ()
    """Fixed obstacles ``(x, y, w, h)``, px."""
    budget_factor: float | None = None
    """Each reset's step budget over the steps of its own route (None: ``max_steps`` for every reset)."""

    def with_changes(self, **changes) -> Layout:
        """A copy with ``changes`` applied (obstacles normalised to a tuple of int 4-tuples)."""
        if "obstacles" in changes:
            changes["obstacles"] = tuple(tuple(int(round(v)) for v in r) for r in changes["obstacles"])
        return replace(self, **changes)


CONSTANTS = tuple(f.name.upper() for f in fields(Layout))
"""Module constants that make up a layout, in program order."""

OPTIONAL = ("BUDGET_FACTOR",)
"""Constants a program may lack (written before they existed): it keeps the default."""

_HEADER = '''"""Navigation level for coevolve's pygame domain (built from envs.pygame_nav blocks).

The constants below are the level; NavCore implements the arena. CustomEnv() -> reset() returns
(obs, info), step((vx, vy)) returns (obs, reward, terminated, truncated, info); see NavCore.
"""
import heapq
import math

import numpy as np
'''

_LEVEL_CLASS = '''
class CustomEnv(NavCore):
    """This level: NavCore configured by the module constants above."""

    def __init__(self, render_mode=None):
        super().__init__(width=WIDTH, height=HEIGHT, agent_radius=AGENT_RADIUS, speed=SPEED,
                         max_steps=MAX_STEPS, goal_size=GOAL_SIZE, min_start_goal=MIN_START_GOAL,
                         start=START, goal=GOAL, obstacles=OBSTACLES, random_obstacles=RANDOM_OBSTACLES,
                         budget_factor=BUDGET_FACTOR)
        self.render_mode = render_mode
'''


@lru_cache(maxsize=None)
def definitions(module: ModuleType) -> dict[str, ast.stmt]:
    """Top-level function and class definitions of ``module``'s source, by name (do not mutate)."""
    return codetools.definitions(ast.parse(inspect.getsource(module)))


def format_value(name: str, value) -> str:
    """The source of a constant's value; long obstacle lists get four rectangles a line."""
    if name == "OBSTACLES" and len(value) > 4:
        rows = [", ".join(repr(tuple(r)) for r in value[k:k + 4]) for k in range(0, len(value), 4)]
        return "[\n    " + ",\n    ".join(rows) + ",\n]"
    if name == "OBSTACLES":
        return repr([tuple(r) for r in value])
    return repr(value)


def _values(layout: Layout) -> dict:
    return {f.name.upper(): getattr(layout, f.name) for f in fields(Layout)}


@lru_cache(maxsize=1)
def _core() -> str:
    defs = definitions(blocks)
    needed = set(codetools.closure(defs, ["NavCore"]))
    return "\n\n\n".join(ast.unparse(node) for name, node in defs.items() if name in needed)


def env_program(layout: Layout) -> str:
    """A standalone environment program for ``layout``."""
    constants = "\n".join(f"{name} = {format_value(name, value)}" for name, value in _values(layout).items())
    core = _core()
    return f"{_HEADER}\n{constants}\n\n\n{core}\n\n{_LEVEL_CLASS}"


def read_layout(source: str) -> Layout:
    """The layout constants of an environment program built by :func:`env_program`.

    Raises ValueError naming what is missing or not a literal when ``source`` is not such a program.
    """
    required = [name for name in CONSTANTS if name not in OPTIONAL]
    values = codetools.read_constants(codetools.parse(source, "environment source"), CONSTANTS, required=required,
                                      what="a layout-constant navigation program (built by envs.pygame_nav.program)")
    return Layout().with_changes(**{name.lower(): value for name, value in values.items()})


def write_layout(source: str, layout: Layout) -> str:
    """``source`` with its layout constants' values replaced by ``layout``'s; everything else,
    comments included, kept verbatim."""
    return codetools.write_constants(source, {name: format_value(name, value)
                                              for name, value in _values(layout).items()})


SEED_LAYOUT = Layout()
"""The seed level: an open 800 x 600 arena, start and goal drawn at least 450 px apart."""

SEED_ENV = env_program(SEED_LAYOUT)
"""Source of the seed environment program."""
