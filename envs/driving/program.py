"""Driving environment programs as source: a level's constants, then the world of :mod:`envs.driving.world`.

A program built here is standalone (``math``, ``numpy`` and ``highway_env``): its module constants
(``BLOCKS``, ``TURNS``, ``LIGHTS``, ...) describe the level, the copied world implements it, and
``class CustomEnv(DrivingCore)`` ties the two together. The offline designer edits only the
constants (:func:`write_layout`), so the rest of a program survives its mutations.
"""
from __future__ import annotations

import ast
import inspect
from dataclasses import dataclass, fields, replace
from functools import lru_cache

from envs import codetools
from envs.driving import world


@dataclass(frozen=True)
class Layout:
    """The constants of a driving program, one field per module constant (upper-cased)."""

    blocks: tuple = (50.0, 40.0, 55.0, 40.0)
    """Straight street lengths between intersections, m."""
    turns: tuple = ("S", "R", "L")
    """At each intersection: "S" straight across a cross street, "L" or "R" a turn."""
    turn_radius: float = 12.0
    """Radius of the ego lane's arc through a turn, m (the oncoming lane's differs by 4 m)."""
    lights: tuple = (0, 1)
    """Intersections (by index) with a traffic light and stop line."""
    light_cycle: tuple = (10.0, 3.0, 10.0)
    """Seconds of green, yellow and red; each light's phase offset is drawn per episode."""
    start_s: float = 5.0
    """Route metre where the ego starts, at rest."""
    end_margin: float = 5.0
    """The route is complete this many metres before its end."""
    max_steps: int = 2400
    """Steps (of 0.05 s) before the episode ends in a timeout."""
    lead_density: float = 1.0
    """Vehicles ahead in the ego lane per 100 m of route."""
    oncoming_density: float = 1.5
    """Vehicles in the oncoming lane per 100 m of route."""
    traffic_speed: tuple = (5.0, 8.0)
    """Range of the other vehicles' desired speeds, m/s."""
    idm_time_headway: float = 1.5
    """IDM desired time gap of the other vehicles, s."""
    idm_min_gap: float = 3.0
    """IDM jam distance of the other vehicles (bumper to bumper), m."""
    idm_accel: float = 2.0
    """IDM comfortable acceleration of the other vehicles, m/s^2."""
    cross_traffic: int = 1
    """Vehicles per direction on the cross street of each lit straight-across intersection."""
    red_runner_rate: float = 0.0
    """Chance that a vehicle (ahead or crossing) ignores red lights."""
    brake_check_rate: float = 0.0
    """Chance that a vehicle ahead brakes hard to a stop once the ego is 8-20 m behind it."""
    intrusion_rate: float = 0.0
    """Chance that an oncoming vehicle drifts toward the ego lane as it passes."""
    intrusion_m: float = 0.8
    """How far an intruding oncoming vehicle drifts, m."""
    parked: int = 1
    """Curb-parked blockers on the ego lane's right edge."""
    parked_intrusion: float = 0.15
    """How far a parked blocker reaches into the ego lane, m."""
    crossing_rate: float = 0.5
    """Chance per intersection that pedestrians cross at its crosswalk as the ego approaches."""
    ped_burst_rate: float = 0.0
    """Chance that a crosswalk crossing is a burst of 3-6 pedestrians."""
    jaywalk_per_100m: float = 0.3
    """Expected pedestrians crossing away from crosswalks per 100 m of route."""
    ped_trigger_m: tuple = (25.0, 35.0)
    """A pedestrian starts walking when the ego is this many route metres away (range)."""

    def with_changes(self, **changes) -> Layout:
        """A copy with ``changes`` applied (sequences normalised to tuples)."""
        changes = {k: tuple(v) if isinstance(v, list) else v for k, v in changes.items()}
        return replace(self, **changes)


CONSTANTS = tuple(f.name.upper() for f in fields(Layout))
"""Module constants that make up a layout, in program order."""

_HEADER = '''"""Urban driving level for coevolve's driving domain (built on highway-env from envs.driving blocks).

The constants below are the level; DrivingCore implements it. CustomEnv() -> reset(seed=...) returns
(obs, info), step((steer, throttle, brake)) returns (obs, reward, terminated, truncated, info).
"""
'''

_LEVEL_CLASS = '''

class CustomEnv(DrivingCore):
    """This level: DrivingCore configured by the module constants above."""

    def __init__(self, render_mode=None):
        super().__init__(**{name.lower(): value for name, value in globals().items() if name in LEVEL_CONSTANTS})
        self.render_mode = render_mode
'''


@lru_cache(maxsize=1)
def world_source() -> str:
    """The world module's source without its docstring: imports, constants and classes."""
    tree = ast.parse(inspect.getsource(world))
    body = [node for node in tree.body
            if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and node is tree.body[0])]
    lines = inspect.getsource(world).splitlines(keepends=True)
    return "".join(lines[body[0].lineno - 1:])


def _values(layout: Layout) -> dict:
    return {f.name.upper(): getattr(layout, f.name) for f in fields(Layout)}


def env_program(layout: Layout) -> str:
    """A standalone environment program for ``layout``."""
    constants = "\n".join(f"{name} = {value!r}" for name, value in _values(layout).items())
    names = f"LEVEL_CONSTANTS = {CONSTANTS!r}"
    return f"{_HEADER}{world_source()}\n\n{constants}\n{names}\n{_LEVEL_CLASS}"


def read_layout(source: str) -> Layout:
    """The layout constants of a program built by :func:`env_program`.

    Raises ValueError naming what is missing or not a literal when ``source`` is not such a program.
    """
    values = codetools.read_constants(codetools.parse(source, "environment source"), CONSTANTS, required=CONSTANTS,
                                      what="a layout-constant driving program (built by envs.driving.program)")
    return Layout().with_changes(**{name.lower(): value for name, value in values.items()})


def write_layout(source: str, layout: Layout) -> str:
    """``source`` with its layout constants' values replaced by ``layout``'s; everything else,
    comments included, kept verbatim."""
    return codetools.write_constants(source, {name: repr(value) for name, value in _values(layout).items()})


SEED_LAYOUT = Layout()
"""The seed level: about 230 m of route, one straight-across and two turning intersections, two lights."""

SEED_ENV = env_program(SEED_LAYOUT)
"""Source of the seed environment program."""
