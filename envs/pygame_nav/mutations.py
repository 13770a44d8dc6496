"""Offline environment designer: mutations of a level's layout constants, deterministic given a Generator.

Each operator takes a :class:`~envs.pygame_nav.program.Layout` and returns a changed one with a
one-line description, or None when it does not apply. :func:`mutate_env` tries operators in a random
order and keeps the first change whose free space stays in one piece for the agent, then writes the
new constants into the program (the rest of the source is kept verbatim).
"""
from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from envs.pygame_nav.blocks import (blocked_cells, disc_fits, place_obstacle, rect_gaps, rects_overlap,
                                    u_trap)
from envs.pygame_nav.check import grid_cell
from envs.pygame_nav.program import Layout, read_layout, write_layout

ENV_OPERATORS_DOC = """\
Environment mutation operators (envs.pygame_nav.mutations.mutate_env), applied to the layout
constants of a program built from envs.pygame_nav blocks:
- add obstacle: a 20-100 px rectangle placed with room for the agent around it.
- move obstacle / remove obstacle: relocate (with the same room) or delete one rectangle.
- wall: a bar across the whole arena leaving one gap 20-60 px wider than the agent (corridors).
- bottleneck: the same bar with a gap only 10-16 px wider than the agent.
- dead end: a U-shaped trap, open toward the fixed start when there is one.
- arena size: scale the width and height by 0.85-1.2 (obstacles falling outside are dropped).
- start-goal distance: scale the least distance between random start and goal, or move a fixed goal.
- speed / step budget: scale the agent's speed (up to its radius) or max_steps by 0.75-1.3.
- scatter: change how many obstacles are scattered at random on every reset.
A change is kept only if the free space for the agent's disc stays connected."""


def _clearance(layout: Layout) -> float:
    return 2 * layout.agent_radius + 12


def _keep_clear(layout: Layout) -> list:
    """Areas obstacles must keep away from: the fixed start disc and the fixed goal zone."""
    keep, r = [], layout.agent_radius
    if layout.start is not None:
        keep.append((layout.start[0] - r, layout.start[1] - r, 2 * r, 2 * r))
    if layout.goal is not None:
        keep.append(_goal_rect(layout, layout.goal))
    return keep


def _goal_rect(layout: Layout, centre) -> tuple:
    w, h = layout.goal_size
    return (centre[0] - w / 2, centre[1] - h / 2, w, h)


def add_obstacle(layout: Layout, rng):
    """Add one rectangle with room for the agent around it."""
    rect = place_obstacle(rng, rng.integers(20, 101, size=2), (layout.width, layout.height), layout.obstacles,
                          _clearance(layout), _keep_clear(layout))
    if rect is None:
        return None
    return layout.with_changes(obstacles=layout.obstacles + (rect,)), f"add obstacle {rect[2]}x{rect[3]} at ({rect[0]}, {rect[1]})"


def move_obstacle(layout: Layout, rng):
    """Move one rectangle to a new spot with room around it."""
    if not layout.obstacles:
        return None
    k = int(rng.integers(len(layout.obstacles)))
    others = layout.obstacles[:k] + layout.obstacles[k + 1:]
    old = layout.obstacles[k]
    rect = place_obstacle(rng, old[2:], (layout.width, layout.height), others, _clearance(layout), _keep_clear(layout))
    if rect is None:
        return None
    return (layout.with_changes(obstacles=others + (rect,)),
            f"move obstacle {old[2]}x{old[3]} from ({old[0]}, {old[1]}) to ({rect[0]}, {rect[1]})")


def remove_obstacle(layout: Layout, rng):
    """Delete one rectangle."""
    if not layout.obstacles:
        return None
    k = int(rng.integers(len(layout.obstacles)))
    old = layout.obstacles[k]
    return (layout.with_changes(obstacles=layout.obstacles[:k] + layout.obstacles[k + 1:]),
            f"remove obstacle {old[2]}x{old[3]} at ({old[0]}, {old[1]})")


def _bar(layout: Layout, rng, gap_range, name: str):
    """A bar across the arena with one doorway whose surroundings are free."""
    r, clearance = layout.agent_radius, _clearance(layout)
    vertical = bool(rng.random() < 0.5)
    length, across = (layout.height, layout.width) if vertical else (layout.width, layout.height)
    if across < 2 * clearance + 20:
        return None
    for _ in range(30):
        thickness, gap = int(rng.integers(10, 21)), int(rng.integers(2 * r + gap_range[0], 2 * r + gap_range[1] + 1))
        at, start = int(rng.integers(clearance, across - clearance - thickness)), int(rng.integers(0, length - gap + 1))
        pieces = [(lo, hi) for lo, hi in ((0, start), (start + gap, length)) if hi > lo]
        rects = [(at, lo, thickness, hi - lo) if vertical else (lo, at, hi - lo, thickness) for lo, hi in pieces]
        door = (at, start, thickness, gap) if vertical else (start, at, gap, thickness)
        keep = _keep_clear(layout)
        if layout.obstacles and rect_gaps(door, layout.obstacles).min() < clearance:
            continue
        if keep and min(rect_gaps(rect, keep).min() for rect in rects) < clearance:
            continue
        axis, where = ("x", "y") if vertical else ("y", "x")
        return (layout.with_changes(obstacles=layout.obstacles + tuple(rects)),
                f"add {name}: {'vertical' if vertical else 'horizontal'} bar at {axis}={at} with a {gap} px gap at {where}={start}")
    return None


def add_wall(layout: Layout, rng):
    """A bar across the arena with a comfortable gap: the arena splits into corridors."""
    return _bar(layout, rng, (20, 60), "wall")


def add_bottleneck(layout: Layout, rng):
    """A bar across the arena with a gap barely wider than the agent."""
    return _bar(layout, rng, (10, 16), "bottleneck")


def add_dead_end(layout: Layout, rng):
    """A U-shaped trap, open toward the fixed start if there is one, else a random side."""
    w, h = (int(v) for v in rng.integers(100, 221, size=2))
    spot = place_obstacle(rng, (w, h), (layout.width, layout.height), layout.obstacles, _clearance(layout),
                          _keep_clear(layout))
    if spot is None:
        return None
    cx, cy = spot[0] + w / 2, spot[1] + h / 2
    if layout.start is not None:
        dx, dy = layout.start[0] - cx, layout.start[1] - cy
        opening = ("right" if dx > 0 else "left") if abs(dx) >= abs(dy) else ("down" if dy > 0 else "up")
    else:
        opening = ("left", "right", "up", "down")[int(rng.integers(4))]
    trap = u_trap(cx, cy, (w, h), 15, opening)
    return layout.with_changes(obstacles=layout.obstacles + tuple(trap)), f"add dead end: {w}x{h} U at ({cx:.0f}, {cy:.0f}) open {opening}"


def resize_arena(layout: Layout, rng):
    """Scale the arena; obstacles no longer inside are dropped, fixed start and goal must still fit."""
    factor = float(rng.uniform(0.85, 1.2))
    width, height = int(np.clip(layout.width * factor, 400, 1600)), int(np.clip(layout.height * factor, 300, 1200))
    if (width, height) == (layout.width, layout.height):
        return None
    kept = tuple(o for o in layout.obstacles if o[0] + o[2] <= width and o[1] + o[3] <= height)
    changed = layout.with_changes(width=width, height=height, obstacles=kept,
                                  min_start_goal=min(layout.min_start_goal, 0.6 * math.hypot(width, height)))
    return changed, f"resize arena to {width}x{height} ({len(layout.obstacles) - len(kept)} obstacles dropped)"


def change_start_goal(layout: Layout, rng):
    """Scale the least start-goal distance, or move a fixed goal to a free spot as far or farther."""
    if layout.goal is None:
        bound = 0.6 * math.hypot(layout.width, layout.height)
        distance = round(float(min(layout.min_start_goal * rng.uniform(0.8, 1.3), bound)), 1)
        return layout.with_changes(min_start_goal=distance), f"least start-goal distance {layout.min_start_goal:g} -> {distance:g} px"
    keep = [k for k in _keep_clear(layout) if k != _goal_rect(layout, layout.goal)]
    w, h = (int(math.ceil(v)) for v in layout.goal_size)
    for _ in range(20):
        spot = place_obstacle(rng, (w, h), (layout.width, layout.height), layout.obstacles, 1.0, keep)
        if spot is None:
            return None
        centre = (spot[0] + w / 2, spot[1] + h / 2)
        if layout.start is None or math.dist(centre, layout.start) >= 0.8 * math.dist(layout.goal, layout.start):
            return layout.with_changes(goal=centre), f"move the goal to ({centre[0]:.0f}, {centre[1]:.0f})"
    return None


def change_speed(layout: Layout, rng):
    """Scale the agent's speed (px per step), at most its radius."""
    speed = round(float(np.clip(layout.speed * rng.uniform(0.75, 1.3), 2.0, layout.agent_radius)), 1)
    if speed == layout.speed:
        return None
    return layout.with_changes(speed=speed), f"speed {layout.speed:g} -> {speed:g} px per step"


def change_budget(layout: Layout, rng):
    """Scale the step budget."""
    steps = max(100, int(layout.max_steps * rng.uniform(0.75, 1.3)))
    if steps == layout.max_steps:
        return None
    return layout.with_changes(max_steps=steps), f"max_steps {layout.max_steps} -> {steps}"


def change_scatter(layout: Layout, rng):
    """Change how many obstacles are scattered at random on every reset."""
    count = int(np.clip(layout.random_obstacles + rng.choice([-1, 1]) * rng.integers(1, 6), 0, 40))
    if count == layout.random_obstacles:
        return None
    return layout.with_changes(random_obstacles=count), f"random obstacles per reset {layout.random_obstacles} -> {count}"


OPERATORS = (add_obstacle, move_obstacle, remove_obstacle, add_wall, add_bottleneck, add_dead_end, resize_arena,
             change_start_goal, change_speed, change_budget, change_scatter)


def connected(layout: Layout) -> bool:
    """Whether the agent's free space is one piece and the fixed start and goal lie in it."""
    bounds, r = (layout.width, layout.height), layout.agent_radius
    rects = np.asarray(layout.obstacles, dtype=float).reshape(-1, 4)
    if layout.start is not None and not disc_fits(rects, bounds, layout.start[0], layout.start[1], r):
        return False
    if layout.goal is not None:
        goal = _goal_rect(layout, layout.goal)
        if goal[0] < 0 or goal[1] < 0 or goal[0] + goal[2] > bounds[0] or goal[1] + goal[3] > bounds[1]:
            return False
        if rects_overlap(goal, rects):
            return False
    _, pieces = ndimage.label(~blocked_cells(bounds, rects, r, grid_cell(bounds, r)), structure=np.ones((3, 3)))
    return pieces == 1


def mutate_env(source: str, rng: np.random.Generator) -> tuple[str, str]:
    """A mutated copy of the environment program ``source`` and a one-line description.

    ``source`` must be a layout-constant program (see :mod:`envs.pygame_nav.program`); anything
    else raises ValueError saying so. Deterministic given ``rng``'s state.
    """
    layout = read_layout(source)
    for k in rng.permutation(len(OPERATORS)):
        result = OPERATORS[k](layout, rng)
        if result is not None and result[0] != layout and connected(result[0]):
            return write_layout(source, result[0]), result[1]
    raise ValueError("no mutation operator applies to this layout while keeping its free space connected")
