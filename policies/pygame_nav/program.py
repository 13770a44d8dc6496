"""Policy programs as source: a genome of constants, and the blocks it selects, copied standalone.

:func:`policy_program` resolves every ``if`` of the template in :mod:`policies.pygame_nav.blocks`
whose test reads only genome constants, then copies the definitions ``policy`` still calls
(including geometry from :mod:`envs.pygame_nav.blocks`). :func:`read_genome` reads the constants
back, so the offline designer mutates a genome and re-emits the program.
"""
from __future__ import annotations

import ast
import copy
from dataclasses import dataclass, fields, replace

from envs import codetools
from envs.pygame_nav import blocks as geometry
from envs.pygame_nav.program import definitions
from policies.pygame_nav import blocks

PLANNERS = ("straight", "astar", "wall_follow")


@dataclass(frozen=True)
class Genome:
    """The constants of a policy program, one field per module constant (upper-cased)."""

    planner: str = "straight"
    """"straight" (pursue the goal centre), "astar" (grid A* with waypoint following) or "wall_follow"."""
    grid_cell: float = 6.0
    """A* grid cell, px."""
    margin: float = 3.0
    """Clearance kept beyond the agent's radius when planning, px."""
    lookahead: int = 0
    """Skip ahead to the farthest waypoint in view among the next LOOKAHEAD (0: off)."""
    replan_every: int = 0
    """Replan every REPLAN_EVERY steps (0: only when stuck or never)."""
    stuck_window: int = 0
    """Steps without progress that count as stuck: escape at random and replan (0: off)."""
    slide: bool = False
    """Turn a move that would be rejected until it fits."""
    damping: float = 0.0
    """Share of the previous velocity blended into the new one (0: off)."""
    wall_turn: float = 30.0
    """Degrees per turn when wall following."""
    waypoint_tol: float = 8.0
    """Distance at which a waypoint counts as reached, px."""
    arrive: bool = False
    """Shorten the last move so that it lands on the goal centre (small goal zones)."""
    regrid: bool = False
    """Plan on other cell sizes around GRID_CELL when one grid finds no route or gets the agent stuck."""
    smooth: bool = False
    """Plan without a margin and follow the path pulled taut by the disc's exact geometry (close to the shortest route)."""

    def __post_init__(self):
        if self.planner not in PLANNERS:
            raise ValueError(f"PLANNER must be one of {PLANNERS}, got {self.planner!r}")
        if not 2.0 <= self.grid_cell <= 40.0:
            raise ValueError(f"GRID_CELL must be within [2, 40] px, got {self.grid_cell}")
        if not 0.0 <= self.damping < 1.0:
            raise ValueError(f"DAMPING must be within [0, 1), got {self.damping}")
        if not 1.0 <= self.wall_turn <= 180.0:
            raise ValueError(f"WALL_TURN must be within [1, 180] degrees, got {self.wall_turn}")
        if min(self.margin, self.lookahead, self.replan_every, self.stuck_window, self.waypoint_tol) < 0:
            raise ValueError("MARGIN, LOOKAHEAD, REPLAN_EVERY, STUCK_WINDOW and WAYPOINT_TOL must be >= 0")

    def constants(self) -> dict:
        """``{"PLANNER": "straight", ...}`` in program order."""
        return {f.name.upper(): getattr(self, f.name) for f in fields(self)}

    def describe(self) -> str:
        """One line naming the composition."""
        parts = {"straight": ["straight-line pursuit of the goal centre"],
                 "astar": [f"grid A* ({self.grid_cell:g} px cells, {self.margin:g} px margin) with waypoint following"],
                 "wall_follow": [f"goal pursuit turning along walls in {self.wall_turn:g} degree steps"]}[self.planner]
        if self.planner == "astar" and self.lookahead:
            parts.append(f"lookahead over {self.lookahead} waypoints")
        if self.planner == "astar" and self.replan_every:
            parts.append(f"replanning every {self.replan_every} steps")
        if self.stuck_window:
            parts.append(f"stuck detection over {self.stuck_window} steps (random escape, replan)")
        if self.slide:
            parts.append("sliding around rejected moves")
        if self.damping:
            parts.append(f"damping {self.damping:g}")
        if self.arrive:
            parts.append("slowing down on arrival")
        if self.planner == "astar" and self.regrid:
            parts.append("replanning on other grid sizes when stuck")
        if self.planner == "astar" and self.smooth:
            parts.append("paths pulled taut")
        return ", ".join(parts)


CONSTANTS = tuple(f.name.upper() for f in fields(Genome))
OPTIONAL = frozenset({"ARRIVE", "REGRID", "SMOOTH"})
"""Genes added after the first programs were archived: a program without them takes the default."""


class _Specialise(ast.NodeTransformer):
    """Replace each ``if`` whose test reads only genome constants by the branch the genome takes."""

    def __init__(self, constants: dict):
        self.constants = constants

    def visit_If(self, node: ast.If):
        names = {n.id for n in ast.walk(node.test) if isinstance(n, ast.Name)}
        simple = all(isinstance(n, (ast.expr_context, ast.Name, ast.Constant, ast.Compare, ast.BoolOp, ast.UnaryOp,
                                    ast.boolop, ast.cmpop, ast.unaryop)) for n in ast.walk(node.test))
        if not simple or not names <= set(self.constants):
            return self.generic_visit(node)
        taken = node.body if eval(compile(ast.Expression(node.test), "<gene>", "eval"), {"__builtins__": {}},
                                  dict(self.constants)) else node.orelse
        out = []
        for stmt in taken:
            visited = self.visit(stmt)
            out.extend(visited if isinstance(visited, list) else [visited])
        return out


def policy_program(genome: Genome) -> str:
    """A standalone policy program for ``genome``."""
    constants = genome.constants()
    defs = {**definitions(geometry), **definitions(blocks)}
    specialised = {name: ast.fix_missing_locations(_Specialise(constants).visit(copy.deepcopy(node)))
                   for name, node in defs.items()}
    needed = set(codetools.closure(specialised, ["policy"]))
    nodes = [node for name, node in specialised.items() if name in needed]
    used = {n.id for node in nodes for n in ast.walk(node) if isinstance(n, ast.Name)}
    imports = "\n".join(f"import {name}" for name in ("heapq", "math") if name in used)
    body = "\n\n\n".join(ast.unparse(node) for node in nodes)
    header = "\n".join(f"{name} = {value!r}" for name, value in constants.items())
    return (f'"""Navigation policy for coevolve\'s pygame domain: {genome.describe()}.\n\n'
            "Composed from policies.pygame_nav blocks; the constants below are its genome.\n"
            'policy(obs) -> (vx, vy), each in [-1, 1].\n"""\n'
            f"{imports}\n\nimport numpy as np\n\n{header}\n\n_MEMORY = {{}}\n\n\n{body}\n")


def read_genome(source: str) -> Genome:
    """The genome of a policy program built by :func:`policy_program`.

    Raises ValueError naming what is missing or invalid when ``source`` is not such a program.
    """
    values = codetools.read_constants(codetools.parse(source, "policy source"), CONSTANTS,
                                      required=[name for name in CONSTANTS if name not in OPTIONAL],
                                      what="a genome policy program (built by policies.pygame_nav.program)")
    values = {name.lower(): value for name, value in values.items()}
    return replace(Genome(), **values)


SEED_GENOME = Genome()
"""The seed policy: straight toward the goal centre."""

REFERENCE_GENOME = Genome("astar", grid_cell=5.0, margin=2.0, lookahead=4, stuck_window=30,
                          slide=True, arrive=True)
"""The reference solver's genome: grid A* at a resolution close to the feasibility check's, with
lookahead, stuck escape, sliding and arrival (it solved every level of the 10-iteration default
runs of seeds 0 and 1)."""
