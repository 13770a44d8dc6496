"""Held-out navigation levels: seven families of 20 fixed-seed arenas, reachable by construction.

Every level is a standalone environment program (fixed start and goal) built from a layout:
scattered obstacles, a corridor maze, a bug trap (a U facing the start with the goal behind it),
rooms with narrow doorways, a spiral of nested rings, a large maze whose walls are 10 px tiles
(over a thousand obstacles, like the published COvolve arenas), and a narrow maze (42 px passages
for a 30 px agent at every turn of a 192-cell maze; shortest routes of 316-882 steps).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from envs.api import HeldoutFamily
from envs.pygame_nav.blocks import place_obstacle, room_walls, u_trap
from envs.pygame_nav.program import Layout, env_program

LEVELS_PER_FAMILY = 20
RADIUS = 15
_BASE = Layout(agent_radius=RADIUS, min_start_goal=0.0, goal_size=(60, 60))


def _box(centre, size):
    return (centre[0] - size[0] / 2, centre[1] - size[1] / 2, size[0], size[1])


def scattered(rng) -> Layout:
    """Up to 70 rectangles (20-90 px sides) with room for the agent between any two; start left, goal right."""
    start, goal = (60.0, float(rng.uniform(100, 500))), (730.0, float(rng.uniform(100, 500)))
    keep = [_box(start, (2 * RADIUS, 2 * RADIUS)), _box(goal, _BASE.goal_size)]
    rects = []
    for _ in range(int(rng.integers(40, 71))):
        rect = place_obstacle(rng, rng.integers(20, 91, size=2), (800, 600), rects, 2 * RADIUS + 12, keep)
        if rect is not None:
            rects.append(rect)
    return _BASE.with_changes(start=start, goal=goal, obstacles=rects, max_steps=1000)


def maze_passages(rng, cols: int, rows: int) -> set:
    """Open passages ``((i, j), (k, l))`` of a perfect maze carved by a randomised depth-first search."""
    seen, stack, open_ = {(0, 0)}, [(0, 0)], set()
    while stack:
        i, j = stack[-1]
        options = [(i + di, j + dj) for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1))
                   if 0 <= i + di < cols and 0 <= j + dj < rows and (i + di, j + dj) not in seen]
        if not options:
            stack.pop()
            continue
        nxt = options[int(rng.integers(len(options)))]
        open_.add(frozenset(((i, j), nxt)))
        seen.add(nxt)
        stack.append(nxt)
    return open_


def maze_walls(rng, bounds, cols: int, rows: int, thickness: int) -> list:
    """Wall rectangles of a perfect maze on a ``cols`` x ``rows`` grid of cells filling ``bounds``."""
    cw, ch, half = bounds[0] / cols, bounds[1] / rows, thickness / 2
    passages, walls = maze_passages(rng, cols, rows), []
    for i in range(cols):
        for j in range(rows):
            if i + 1 < cols and frozenset(((i, j), (i + 1, j))) not in passages:
                walls.append(((i + 1) * cw - half, max(j * ch - half, 0), thickness, min(ch + thickness, bounds[1] - j * ch + half)))
            if j + 1 < rows and frozenset(((i, j), (i, j + 1))) not in passages:
                walls.append((max(i * cw - half, 0), (j + 1) * ch - half, min(cw + thickness, bounds[0] - i * cw + half), thickness))
    return walls


def corridor_maze(rng) -> Layout:
    """A perfect maze of 6-8 x 4-6 cells (passages about 90 px); start and goal in opposite corners."""
    cols, rows = int(rng.integers(6, 9)), int(rng.integers(4, 7))
    cw, ch = 800 / cols, 600 / rows
    return _BASE.with_changes(obstacles=maze_walls(rng, (800, 600), cols, rows, 10), start=(cw / 2, ch / 2),
                              goal=(800 - cw / 2, 600 - ch / 2), goal_size=(50, 50), max_steps=2500)


def bug_trap(rng) -> Layout:
    """A U open toward the start with the goal straight behind it: pursuit walks into the dead end."""
    cy = float(rng.uniform(260, 340))
    width, height, thickness = int(rng.integers(150, 221)), int(rng.integers(240, 321)), 20
    trap = u_trap(float(rng.uniform(380, 440)), cy, (width, height), thickness, "left")
    inner = height / 2 - thickness - RADIUS - 10
    start = (float(rng.uniform(80, 130)), cy + float(rng.uniform(-inner, inner)))
    goal = (float(rng.uniform(660, 720)), cy + float(rng.uniform(-inner, inner) / 2))
    return _BASE.with_changes(obstacles=trap, start=start, goal=goal, max_steps=1000)


def rooms(rng) -> Layout:
    """2-3 x 3-4 rooms joined by 40-50 px doorways; start in the top-left room, goal in the far one."""
    rows, cols = int(rng.integers(2, 4)), int(rng.integers(3, 5))
    walls = room_walls((800, 600), rows, cols, int(rng.integers(40, 51)), 12, rng)
    return _BASE.with_changes(obstacles=walls, start=(400 / cols, 300 / rows),
                              goal=(800 - 400 / cols, 600 - 300 / rows), max_steps=2000)


def spiral(rng) -> Layout:
    """Nested rings, each with one gap on alternating sides; start in a corner, goal in the middle."""
    spacing, gap, t, width, height = int(rng.integers(66, 80)), int(rng.integers(50, 71)), 12, 800, 600
    side, rects, inset = int(rng.integers(2)), [], 50
    while height - 2 * (inset + t) >= 150:
        x0, y0, x1, y1 = inset, inset, width - inset, height - inset
        at = int(rng.integers(y0 + t, y1 - t - gap + 1))
        gap_x = x0 if side % 2 == 0 else x1 - t
        rects += [(x0, y0, x1 - x0, t), (x0, y1 - t, x1 - x0, t),
                  (x1 - t if gap_x == x0 else x0, y0, t, y1 - y0),
                  (gap_x, y0, t, at - y0), (gap_x, at + gap, t, y1 - at - gap)]
        side, inset = side + 1, inset + spacing
    return _BASE.with_changes(obstacles=rects, start=(25.0, 25.0), goal=(width / 2, height / 2), max_steps=3000)


def tiled_maze(rng) -> Layout:
    """A 1400 x 1000 perfect maze of 14 x 10 cells whose walls are 10 px tiles (1,000+ obstacles)."""
    tiles = []
    for x, y, w, h in maze_walls(rng, (1400, 1000), 14, 10, 10):
        if w >= h:
            tiles += [(x + d, y, min(10, x + w - d - x), h) for d in range(0, int(np.ceil(w)), 10)]
        else:
            tiles += [(x, y + d, w, min(10, y + h - d - y)) for d in range(0, int(np.ceil(h)), 10)]
    return _BASE.with_changes(width=1400, height=1000, obstacles=tiles, start=(50.0, 50.0),
                              goal=(1350.0, 950.0), goal_size=(50, 50), max_steps=5000)


def narrow_maze(rng) -> Layout:
    """A perfect maze of 16 x 12 cells of 50 px with 8 px walls: passages 42 px wide for a 30 px agent,
    start and goal in opposite corners."""
    return _BASE.with_changes(obstacles=maze_walls(rng, (800, 600), 16, 12, 8), start=(25.0, 25.0),
                              goal=(775.0, 575.0), goal_size=(40, 40), max_steps=5000)


FAMILIES = {"scattered": scattered, "corridor_maze": corridor_maze, "bug_trap": bug_trap,
            "rooms": rooms, "spiral": spiral, "tiled_maze": tiled_maze, "narrow_maze": narrow_maze}
"""Family name -> layout builder taking a numpy Generator."""


def level(family: str, index: int) -> Layout:
    """Layout of level ``index`` of ``family`` (a fixed seed per family and index)."""
    if family not in FAMILIES:
        raise ValueError(f"unknown held-out family {family!r}; known: {', '.join(FAMILIES)}")
    return FAMILIES[family](np.random.default_rng([list(FAMILIES).index(family), index]))


@lru_cache(maxsize=1)
def _suite() -> tuple:
    return tuple(HeldoutFamily(name, tuple(env_program(level(name, k)) for k in range(LEVELS_PER_FAMILY)))
                 for name in FAMILIES)


def heldout_suite() -> list[HeldoutFamily]:
    """The held-out families, 20 level programs each (built once, then cached)."""
    return list(_suite())
