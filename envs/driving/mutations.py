"""Offline environment designer: mutations of a driving level's constants, deterministic given a Generator.

Each operator takes a :class:`~envs.driving.program.Layout` and returns a changed one with a one-line
description, or None when it does not apply. :func:`mutate_env` tries operators in a random order
and keeps the first change that stays within the caps below; feasibility (the reference driver
completing the route) is left to the harness's check, which rejects a level with the reason.
"""
from __future__ import annotations

import numpy as np

from envs.codetools import Operator, Registry
from envs.driving.program import Layout, read_layout, write_layout

MAX_BLOCKS = 7
"""Most straight blocks on a route (six intersections): bounds an episode's cost."""
MAX_ROUTE_M = 420.0
"""Longest route a mutation builds, m."""
MAX_VEHICLES_PER_100M = 4.0
"""Densest traffic per direction a mutation sets."""

ENV_OPERATORS_DOC = """\
Environment mutation operators (envs.driving.mutations.mutate_env), applied to the level constants of
a program built from envs.driving blocks; each candidate is 1..3 of them in a row:
- add block / remove block / resize block: a 30-70 m street and an intersection (straight across,
  left or right turn) more or fewer, or one block 0.7-1.3 times as long (route length, intersections).
- change turn: make an intersection straight across, or turn the other way.
- sharpen turns: scale the turning radius by 0.7-0.9 (down to 6 m).
- add light / remove light: a traffic light with a stop line at one more or one fewer intersection.
- light timing: shorter greens and yellows, longer reds (phase offsets stay random per episode).
- traffic: scale the vehicles ahead or oncoming per 100 m by 1.2-1.6 (up to 4), or their speeds.
- aggressive IDM: shorter time headway and jam gap, harder acceleration for the other vehicles.
- cross traffic: one more vehicle per direction on lit cross streets (up to 3).
- red runners / abrupt braking / oncoming intrusions: raise the chance that a vehicle runs red
  lights, brakes hard to a stop ahead of the ego, or drifts from the oncoming lane toward the ego
  lane (and how far, up to 1.5 m).
- parked blocker: one more curb-parked car, or one reaching further into the ego lane (up to 1.2 m).
- pedestrians: raise the crossing chance at crosswalks, the share of crossings that are bursts
  of 3-6 pedestrians, jaywalkers per 100 m, or make them start walking when the ego is closer.
- time budget: cut max_steps by 10-25% (not below twice the route at 7 m/s plus 20 s).
A change is kept only if the route stays within 7 blocks and 420 m, with at most 4 vehicles per
100 m a direction; whether the level stays feasible is the harness's reference-driver check."""


def _route_length(layout: Layout) -> float:
    box, arc = 8.0, np.pi / 2 * layout.turn_radius
    return sum(layout.blocks) + sum(box if t == "S" else arc for t in layout.turns)


def _turn(rng) -> str:
    return str(rng.choice(["S", "S", "L", "R"]))


def add_block(layout: Layout, rng):
    """Append a 30-70 m block and the intersection before it."""
    if len(layout.blocks) >= MAX_BLOCKS:
        return None
    length, turn = float(round(rng.uniform(30.0, 70.0))), _turn(rng)
    return (layout.with_changes(blocks=(*layout.blocks, length), turns=(*layout.turns, turn)),
            f"add block: a {turn} intersection then {length:g} m")


def remove_block(layout: Layout, rng):
    """Drop the last block and its intersection (and a light there)."""
    if len(layout.blocks) <= 2:
        return None
    last = len(layout.turns) - 1
    return (layout.with_changes(blocks=layout.blocks[:-1], turns=layout.turns[:-1],
                                lights=tuple(k for k in layout.lights if k != last)), "remove the last block")


def resize_block(layout: Layout, rng):
    """Scale one block by 0.7-1.3 (within 25-90 m)."""
    k = int(rng.integers(len(layout.blocks)))
    value = float(round(np.clip(layout.blocks[k] * rng.uniform(0.7, 1.3), 25.0, 90.0)))
    if value == layout.blocks[k]:
        return None
    blocks = tuple(value if j == k else b for j, b in enumerate(layout.blocks))
    return layout.with_changes(blocks=blocks), f"block {k} {layout.blocks[k]:g} -> {value:g} m"


def change_turn(layout: Layout, rng):
    """Make one intersection another of straight across, left, right."""
    if not layout.turns:
        return None
    k = int(rng.integers(len(layout.turns)))
    value = str(rng.choice([t for t in ("S", "L", "R") if t != layout.turns[k]]))
    turns = tuple(value if j == k else t for j, t in enumerate(layout.turns))
    return layout.with_changes(turns=turns), f"intersection {k}: {layout.turns[k]} -> {value}"


def sharpen_turns(layout: Layout, rng):
    """Scale the turning radius by 0.7-0.9, down to 6 m."""
    value = round(max(6.0, layout.turn_radius * float(rng.uniform(0.7, 0.9))), 1)
    if value >= layout.turn_radius or "L" not in layout.turns and "R" not in layout.turns:
        return None
    return layout.with_changes(turn_radius=value), f"turn radius {layout.turn_radius:g} -> {value:g} m"


def add_light(layout: Layout, rng):
    """Put a traffic light at an intersection without one."""
    free = [k for k in range(len(layout.turns)) if k not in layout.lights]
    if not free:
        return None
    k = int(rng.choice(free))
    return layout.with_changes(lights=tuple(sorted((*layout.lights, k)))), f"add a light at intersection {k}"


def remove_light(layout: Layout, rng):
    """Take the light away from one intersection."""
    if not layout.lights:
        return None
    k = int(rng.choice(layout.lights))
    return layout.with_changes(lights=tuple(j for j in layout.lights if j != k)), f"remove the light at intersection {k}"


def light_timing(layout: Layout, rng):
    """Shorter green (down to 5 s) and yellow (down to 2 s), longer red (up to 25 s)."""
    green, yellow, red = layout.light_cycle
    cycle = (round(max(5.0, green * float(rng.uniform(0.6, 0.9))), 1), round(max(2.0, yellow - 0.5), 1),
             round(min(25.0, red * float(rng.uniform(1.1, 1.5))), 1))
    if cycle == tuple(layout.light_cycle):
        return None
    return layout.with_changes(light_cycle=cycle), f"light cycle {tuple(layout.light_cycle)} -> {cycle}"


def _scale(name: str, low: float, high: float, cap: float, digits: int = 2):
    def operator(layout: Layout, rng):
        old = getattr(layout, name)
        value = round(float(min(cap, max(old, 0.05 * cap) * rng.uniform(low, high))), digits)
        if value <= old:
            return None
        return layout.with_changes(**{name: value}), f"{name.upper()} {old:g} -> {value:g}"
    operator.__name__ = f"raise_{name}"
    operator.__doc__ = f"Scale {name.upper()} by {low:g}-{high:g}, up to {cap:g}."
    return operator


def faster_traffic(layout: Layout, rng):
    """Scale the other vehicles' speed range by 1.1-1.3 (up to 12 m/s)."""
    low, high = layout.traffic_speed
    factor = float(rng.uniform(1.1, 1.3))
    value = (round(min(10.0, low * factor), 1), round(min(12.0, high * factor), 1))
    if value == (low, high):
        return None
    return layout.with_changes(traffic_speed=value), f"traffic speed {(low, high)} -> {value} m/s"


def aggressive_idm(layout: Layout, rng):
    """Shorter IDM time headway (to 0.6 s) and jam gap (to 1 m), harder acceleration (to 4 m/s^2)."""
    headway = round(max(0.6, layout.idm_time_headway * float(rng.uniform(0.7, 0.9))), 2)
    gap = round(max(1.0, layout.idm_min_gap * float(rng.uniform(0.6, 0.9))), 2)
    accel = round(min(4.0, layout.idm_accel * float(rng.uniform(1.1, 1.4))), 2)
    if (headway, gap, accel) == (layout.idm_time_headway, layout.idm_min_gap, layout.idm_accel):
        return None
    return (layout.with_changes(idm_time_headway=headway, idm_min_gap=gap, idm_accel=accel),
            f"IDM headway {headway:g} s, jam gap {gap:g} m, accel {accel:g}")


def more_cross_traffic(layout: Layout, rng):
    """One more vehicle per direction on every lit cross street (up to 3)."""
    if layout.cross_traffic >= 3:
        return None
    return layout.with_changes(cross_traffic=layout.cross_traffic + 1), f"cross traffic {layout.cross_traffic} -> {layout.cross_traffic + 1}"


def more_parked(layout: Layout, rng):
    """One more curb-parked blocker (up to 4)."""
    if layout.parked >= 4:
        return None
    return layout.with_changes(parked=layout.parked + 1), f"parked blockers {layout.parked} -> {layout.parked + 1}"


def closer_pedestrians(layout: Layout, rng):
    """Pedestrians start walking when the ego is 0.75-0.9 times as far (down to 12 m)."""
    low, high = layout.ped_trigger_m
    factor = float(rng.uniform(0.75, 0.9))
    value = (round(max(12.0, low * factor), 1), round(max(15.0, high * factor), 1))
    if value == (low, high):
        return None
    return layout.with_changes(ped_trigger_m=value), f"pedestrian trigger {(low, high)} -> {value} m"


def tighten_budget(layout: Layout, rng):
    """Cut max_steps by 10-25%, not below twice the route at 7 m/s plus 20 s."""
    floor = int(20 * (2 * _route_length(layout) / 7.0 + 20.0))
    value = max(floor, int(layout.max_steps * float(rng.uniform(0.75, 0.9))))
    if value >= layout.max_steps:
        return None
    return layout.with_changes(max_steps=value), f"max_steps {layout.max_steps} -> {value}"


_HARDER = {"add_block", "change_turn", "sharpen_turns", "add_light", "light_timing", "aggressive_idm",
           "more_cross_traffic", "more_parked", "closer_pedestrians"}
"""Operators that add difficulty: with every ``raise_*`` one, three times as likely to be tried first."""

OPERATORS = Registry(
    Operator(op.__name__, op, 3.0 if op.__name__ in _HARDER or op.__name__.startswith("raise_") else 1.0) for op in (
        add_block, remove_block, resize_block, change_turn, sharpen_turns, add_light, remove_light, light_timing,
        _scale("lead_density", 1.2, 1.6, MAX_VEHICLES_PER_100M), _scale("oncoming_density", 1.2, 1.6, MAX_VEHICLES_PER_100M),
        faster_traffic, aggressive_idm, more_cross_traffic,
        _scale("red_runner_rate", 1.3, 2.0, 0.6), _scale("brake_check_rate", 1.3, 2.0, 0.8),
        _scale("intrusion_rate", 1.3, 2.0, 0.8), _scale("intrusion_m", 1.1, 1.4, 1.5),
        more_parked, _scale("parked_intrusion", 1.3, 2.5, 1.2),
        _scale("crossing_rate", 1.2, 1.6, 1.0), _scale("ped_burst_rate", 1.3, 2.0, 0.8),
        _scale("jaywalk_per_100m", 1.3, 2.0, 2.0), closer_pedestrians, tighten_budget))
"""Every operator ``(layout, rng) -> (layout, description) | None``, in a fixed order (mutate_env
draws a weighted order of it)."""


def _within_caps(layout: Layout) -> bool:
    return len(layout.blocks) <= MAX_BLOCKS and _route_length(layout) <= MAX_ROUTE_M


def mutate_env(source: str, rng: np.random.Generator) -> tuple[str, str]:
    """A mutated copy of the driving program ``source`` and a one-line description.

    ``source`` must be a level-constant program (see :mod:`envs.driving.program`); anything else
    raises ValueError saying so. Operators that add difficulty are tried first more often, and
    the time budget grows with the route so that a longer route is not a timeout by construction.
    """
    layout = read_layout(source)
    for operator in OPERATORS.order(rng):
        result = operator.apply(layout, rng)
        if result is None or result[0] == layout or not _within_caps(result[0]):
            continue
        changed, note = result
        floor = int(20 * (2 * _route_length(changed) / 7.0 + 20.0))
        if changed.max_steps < floor and operator.apply is not tighten_budget:
            changed = changed.with_changes(max_steps=floor)
        return write_layout(source, changed), note
    raise ValueError("no environment mutation operator changes this level within the caps")
