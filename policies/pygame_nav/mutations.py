"""Offline policy designer: mutations of a policy program's genome, deterministic given a Generator.

Each operator returns a changed :class:`~policies.pygame_nav.program.Genome` and a description, or
None when it would change nothing; :func:`mutate_policy` tries them in a random order and re-emits
the program from the first genome that changed.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from envs.codetools import Operator, Registry
from policies.pygame_nav.program import PLANNERS, Genome, policy_program, read_genome


def switch_planner(genome: Genome, rng):
    """Switch to another planner (straight pursuit, grid A*, wall following)."""
    others = [p for p in PLANNERS if p != genome.planner]
    planner = others[int(rng.integers(len(others)))]
    return replace(genome, planner=planner), f"planner {genome.planner} -> {planner}"


def toggle_lookahead(genome: Genome, rng):
    """Turn visibility lookahead on (5-30 waypoints) or off."""
    value = 0 if genome.lookahead else int(rng.integers(5, 31))
    return replace(genome, lookahead=value), f"lookahead {genome.lookahead} -> {value} waypoints"


def toggle_replanning(genome: Genome, rng):
    """Turn periodic replanning on (every 20-200 steps) or off."""
    value = 0 if genome.replan_every else int(rng.integers(20, 201))
    return replace(genome, replan_every=value), f"replan every {genome.replan_every} -> {value} steps"


def toggle_stuck(genome: Genome, rng):
    """Turn stuck detection on (a 8-40 step window) or off."""
    value = 0 if genome.stuck_window else int(rng.integers(8, 41))
    return replace(genome, stuck_window=value), f"stuck window {genome.stuck_window} -> {value} steps"


def _toggle(name: str, doc: str):
    """An operator that turns the boolean gene ``name`` on or off."""
    def operator(genome: Genome, rng):
        old = getattr(genome, name)
        return replace(genome, **{name: not old}), f"{name} {old} -> {not old}"
    operator.__name__ = f"toggle_{name}"
    operator.__doc__ = doc
    return operator


toggle_slide = _toggle("slide", "Turn sliding around rejected moves on or off.")
toggle_arrive = _toggle("arrive", "Turn slowing down on arrival at the goal centre on or off.")
toggle_regrid = _toggle("regrid", "Turn planning on other grid sizes (after a stuck escape, or when no route is found) "
                                  "on or off.")
toggle_smooth = _toggle("smooth", "Turn planning without a margin and following the path pulled taut (with sliding) "
                                  "on or off.")


def set_damping(genome: Genome, rng):
    """Set oscillation damping to 0 or a share in [0.2, 0.7]."""
    value = 0.0 if genome.damping else round(float(rng.uniform(0.2, 0.7)), 2)
    return replace(genome, damping=value), f"damping {genome.damping:g} -> {value:g}"


def _scale(name: str, low: float, high: float, digits: int = 1):
    def operator(genome: Genome, rng):
        old = getattr(genome, name)
        value = round(float(np.clip(max(old, 1.0) * rng.uniform(0.6, 1.6), low, high)), digits)
        if value == old:
            return None
        return replace(genome, **{name: value}), f"{name.upper()} {old:g} -> {value:g}"
    operator.__name__ = f"scale_{name}"
    operator.__doc__ = f"Scale {name.upper()} by 0.6-1.6 within [{low:g}, {high:g}]."
    return operator


OPERATORS = Registry(Operator(operator.__name__, operator) for operator in (
    switch_planner, toggle_lookahead, toggle_replanning, toggle_stuck, toggle_slide, toggle_arrive, toggle_regrid,
    toggle_smooth, set_damping,
    _scale("grid_cell", 3.0, 20.0), _scale("margin", 0.0, 12.0), _scale("waypoint_tol", 2.0, 30.0),
    _scale("wall_turn", 5.0, 90.0, 0)))
"""Every operator ``(genome, rng) -> (genome, description) | None``, equally likely to be tried first."""


def mutate_policy(source: str, rng: np.random.Generator) -> tuple[str, str]:
    """A mutated copy of the policy program ``source`` and a one-line description.

    ``source`` must be a genome program (see :mod:`policies.pygame_nav.program`); anything else
    raises ValueError saying so. Deterministic given ``rng``'s state.
    """
    genome = read_genome(source)
    for operator in OPERATORS.order(rng):
        result = operator.apply(genome, rng)
        if result is not None and result[0] != genome:
            return policy_program(result[0]), result[1]
    raise ValueError("no policy mutation operator changes this genome")
