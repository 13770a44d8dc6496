"""Held-out driving levels: a denser town, as COvolve's Town02 differs from Town01 (fixed-seed families).

Every family's routes are shorter blocks with more intersections and crosswalks, sharper turns and
narrower clearances than the co-evolution town; each level is a standalone environment program.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from envs.api import HeldoutFamily
from envs.driving.program import Layout, env_program

LEVELS_PER_FAMILY = 4


def _route(rng, blocks: int) -> dict:
    """Short blocks (28-40 m), a turn at half the intersections (radius 8-10 m, never more than a
    quarter turn away from the first heading, so the route cannot cross itself), lights on most."""
    lengths = tuple(float(round(v)) for v in rng.uniform(28.0, 40.0, blocks))
    turns, net = [], 0
    for _ in range(blocks - 1):
        turn = "S" if rng.random() < 0.5 else ("R" if net < 0 else "L" if net > 0 else str(rng.choice(["L", "R"])))
        net += {"S": 0, "L": -1, "R": 1}[turn]
        turns.append(turn)
    turns = tuple(turns)
    lights = tuple(k for k in range(blocks - 1) if rng.random() < 0.75)
    return {"blocks": lengths, "turns": turns, "turn_radius": float(round(rng.uniform(8.0, 10.0), 1)),
            "lights": lights, "max_steps": 3000}


def dense_grid(rng) -> Layout:
    """Six to seven short blocks, traffic both ways, two cars a side on every lit cross street."""
    return Layout().with_changes(**_route(rng, int(rng.integers(6, 8))), lead_density=1.5, oncoming_density=2.5,
                                 cross_traffic=2, parked=1, parked_intrusion=0.15, crossing_rate=0.6)


def crossings(rng) -> Layout:
    """Pedestrians at most crosswalks, in bursts, and jaywalking between them."""
    return Layout().with_changes(**_route(rng, 6), crossing_rate=0.9, ped_burst_rate=0.4,
                                 jaywalk_per_100m=1.0, ped_trigger_m=(22.0, 32.0))


def narrow(rng) -> Layout:
    """Curb-parked blockers reaching into the lane, oncoming cars drifting toward it, abrupt braking."""
    return Layout().with_changes(**_route(rng, 6), parked=3, parked_intrusion=0.5, oncoming_density=2.0,
                                 intrusion_rate=0.3, intrusion_m=0.6, brake_check_rate=0.3)


FAMILIES = {"town_dense_grid": dense_grid, "town_crossings": crossings, "town_narrow": narrow}
"""Family name -> layout builder taking a numpy Generator."""


def level(family: str, index: int) -> Layout:
    """Layout of level ``index`` of ``family`` (a fixed seed per family and index)."""
    if family not in FAMILIES:
        raise ValueError(f"unknown held-out family {family!r}; known: {', '.join(FAMILIES)}")
    return FAMILIES[family](np.random.default_rng([14, list(FAMILIES).index(family), index]))


@lru_cache(maxsize=1)
def _suite() -> tuple:
    return tuple(HeldoutFamily(name, tuple(env_program(level(name, k)) for k in range(LEVELS_PER_FAMILY)))
                 for name in FAMILIES)


def heldout_suite() -> list[HeldoutFamily]:
    """The held-out families, four level programs each (built once, then cached)."""
    return list(_suite())
