"""Environment programs as source: a layout of constants plus the blocks the level needs.

A program built here is standalone (``math`` and ``numpy`` only): its module constants (``WIDTH``,
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

    def with_changes(self, **changes) -> Layout:
        """A copy with ``changes`` applied (obstacles normalised to a tuple of int 4-tuples)."""
        if "obstacles" in changes:
            changes["obstacles"] = tuple(tuple(int(round(v)) for v in r) for r in changes["obstacles"])
        return replace(self, **changes)


CONSTANTS = tuple(f.name.upper() for f in fields(Layout))
"""Module constants that make up a layout, in program order."""

_HEADER = '''"""Navigation level for coevolve's pygame domain (built from envs.pygame_nav blocks).

The constants below are the level; NavCore implements the arena. CustomEnv() -> reset() returns
(obs, info), step((vx, vy)) returns (obs, reward, terminated, truncated, info); see NavCore.
"""
import math

import numpy as np
'''

_LEVEL_CLASS = '''
class CustomEnv(NavCore):
    """This level: NavCore configured by the module constants above."""

    def __init__(self, render_mode=None):
        super().__init__(width=WIDTH, height=HEIGHT, agent_radius=AGENT_RADIUS, speed=SPEED,
                         max_steps=MAX_STEPS, goal_size=GOAL_SIZE, min_start_goal=MIN_START_GOAL,
                         start=START, goal=GOAL, obstacles=OBSTACLES, random_obstacles=RANDOM_OBSTACLES)
        self.render_mode = render_mode
'''


@lru_cache(maxsize=None)
def definitions(module: ModuleType) -> dict[str, ast.stmt]:
    """Top-level function and class definitions of ``module``'s source, by name (do not mutate)."""
    tree = ast.parse(inspect.getsource(module))
    return {node.name: node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


def closure(defs: dict[str, ast.stmt], roots) -> list[ast.stmt]:
    """The definitions ``roots`` need (themselves included, transitively), in ``defs`` order."""
    needed, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        if name not in defs:
            raise KeyError(f"no building block named {name!r}; known: {sorted(defs)}")
        needed.add(name)
        todo.extend(n.id for n in ast.walk(defs[name]) if isinstance(n, ast.Name) and n.id in defs)
    return [node for name, node in defs.items() if name in needed]


def format_constant(name: str, value) -> str:
    """``NAME = value`` source; long obstacle lists get four rectangles a line."""
    if name == "OBSTACLES" and len(value) > 4:
        rows = [", ".join(repr(tuple(r)) for r in value[k:k + 4]) for k in range(0, len(value), 4)]
        return "OBSTACLES = [\n    " + ",\n    ".join(rows) + ",\n]"
    if name == "OBSTACLES":
        return f"OBSTACLES = {[tuple(r) for r in value]!r}"
    return f"{name} = {value!r}"


def _values(layout: Layout) -> dict:
    return {f.name.upper(): getattr(layout, f.name) for f in fields(Layout)}


@lru_cache(maxsize=1)
def _core() -> str:
    return "\n\n\n".join(ast.unparse(node) for node in closure(definitions(blocks), ["NavCore"]))


def env_program(layout: Layout) -> str:
    """A standalone environment program for ``layout``."""
    constants = "\n".join(format_constant(name, value) for name, value in _values(layout).items())
    core = _core()
    return f"{_HEADER}\n{constants}\n\n\n{core}\n\n{_LEVEL_CLASS}"


def _constant_nodes(tree: ast.Module) -> dict[str, ast.Assign]:
    return {node.targets[0].id: node for node in tree.body
            if isinstance(node, ast.Assign) and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name) and node.targets[0].id in CONSTANTS}


def read_layout(source: str) -> Layout:
    """The layout constants of an environment program built by :func:`env_program`.

    Raises ValueError naming what is missing or not a literal when ``source`` is not such a program.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ValueError(f"environment source does not parse: {exc}") from exc
    nodes = _constant_nodes(tree)
    missing = [name for name in CONSTANTS if name not in nodes]
    if missing:
        raise ValueError("not a layout-constant navigation program (built by envs.pygame_nav.program): "
                         f"it does not assign {', '.join(missing)} at module level")
    values = {}
    for name, node in nodes.items():
        try:
            values[name.lower()] = ast.literal_eval(node.value)
        except ValueError as exc:
            raise ValueError(f"{name} must be a literal value, got {ast.unparse(node.value)!r}") from exc
    return Layout().with_changes(**values)


def write_layout(source: str, layout: Layout) -> str:
    """``source`` with its layout constants replaced by ``layout``'s; everything else kept verbatim."""
    lines = source.splitlines(keepends=True)
    values = _values(layout)
    nodes = sorted(_constant_nodes(ast.parse(source)).items(), key=lambda item: -item[1].lineno)
    for name, node in nodes:
        lines[node.lineno - 1:node.end_lineno] = [format_constant(name, values[name]) + "\n"]
    return "".join(lines)


SEED_LAYOUT = Layout()
"""The seed level: an open 800 x 600 arena, start and goal drawn at least 450 px apart."""

SEED_ENV = env_program(SEED_LAYOUT)
"""Source of the seed environment program."""
