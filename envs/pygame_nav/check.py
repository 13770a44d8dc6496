"""Feasibility of a navigation level: reachability for the agent's disc on an inflated occupancy grid.

The grid marks every cell centre where the agent's centre may not go (closer than its radius to an
obstacle or the border, with a margin for moves between neighbouring centres: see
:func:`envs.pygame_nav.blocks.blocked_cells`). A level is feasible when, on every checked seed, a
free cell next to the start connects (8-neighbourhood) to a free cell where the whole disc sits
inside the goal zone, and the shortest such path fits in the step budget at the arena's speed. The
grid is conservative by under a cell: a gap counts as passable when it is a few pixels wider than
the agent's diameter.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import ndimage
from skimage.graph import MCP_Geometric

from envs.api import LevelCheck, ProgramError
from envs.pygame_nav.blocks import blocked_cells, disc_fits
from envs.pygame_nav.contract import goal_rect, make_env, obstacle_rects, reset_env, step_env

_EIGHT = np.ones((3, 3), dtype=bool)
_PROBES = ((1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0))


def grid_cell(bounds, radius: float) -> float:
    """Cell size (px) of the checking grid: a fifth of the radius, coarser beyond 120,000 cells."""
    return max(radius / 5.0, math.sqrt(bounds[0] * bounds[1] / 120_000.0), 1.0)


def _raster(shape, rects, cell, any_overlap: bool) -> np.ndarray:
    """Cells covered by ``rects``: touched at all, or (else) with their centre inside."""
    covered = np.zeros(shape, dtype=bool)
    for x, y, w, h in rects:
        if any_overlap:
            i0, i1, j0, j1 = int(x // cell), int(math.ceil((x + w) / cell)), int(y // cell), int(math.ceil((y + h) / cell))
        else:
            i0, i1 = int(math.ceil(x / cell - 0.5)), int(math.floor((x + w) / cell - 0.5)) + 1
            j0, j1 = int(math.ceil(y / cell - 0.5)), int(math.floor((y + h) / cell - 0.5)) + 1
        covered[max(i0, 0):max(i1, 0), max(j0, 0):max(j1, 0)] = True
    return covered


def _clearance(bounds, rects, cell, shape, inside) -> np.ndarray:
    """Approximate distance (px, to about half a cell) from each cell centre to the nearest obstacle or
    border; ``inside`` marks the centres inside obstacles (obstacles thinner than two cells are
    rasterised whole, so none is missed)."""
    thin = rects[np.minimum(rects[:, 2], rects[:, 3]) < 2 * cell] if len(rects) else rects
    covered = inside | _raster(shape, thin, cell, any_overlap=True)
    dist = ndimage.distance_transform_edt(~covered) * cell - cell / 2 if covered.any() else np.full(shape, np.inf)
    xs, ys = (np.arange(shape[0]) + 0.5) * cell, (np.arange(shape[1]) + 0.5) * cell
    border = np.minimum(np.minimum(xs, bounds[0] - xs)[:, None], np.minimum(ys, bounds[1] - ys)[None, :])
    return np.minimum(dist, border)


def _joined(free, sources, targets) -> bool:
    """Whether some source cell and some target cell lie in one 8-connected piece of ``free``."""
    labels, count = ndimage.label(free, structure=_EIGHT)
    mark = np.zeros(count + 1, dtype=bool)
    mark[labels[sources]] = True
    mark[0] = False
    return bool(mark[labels[targets]].any())


def _bottleneck(clearance, free, sources, targets, exempt, step) -> float:
    """Largest clearance c (to ``step`` px) such that sources reach targets through free cells with
    clearance >= c (cells in ``exempt`` pass whatever their clearance)."""
    levels = np.floor(np.minimum(clearance[free & ~exempt], 1e6) / step).astype(np.int64)
    values = np.flatnonzero(np.bincount(levels)) * step if len(levels) else np.zeros(0)
    lo, hi, best = 0, len(values) - 1, float(values[0]) if len(values) else 0.0
    while lo <= hi:
        mid = (lo + hi) // 2
        if _joined(free & ((clearance >= values[mid]) | exempt), sources, targets):
            best, lo = float(values[mid]), mid + 1
        else:
            hi = mid - 1
    return best


def analyse(obs, speed: float | None = None) -> tuple[str | None, dict]:
    """Check one reset observation: ``(reason, measures)``, reason None when the level is solvable."""
    bounds, radius = [float(v) for v in obs["bounds"]], float(obs["agent_radius"])
    rects, (gx, gy, gw, gh) = obstacle_rects(obs), goal_rect(obs)
    x, y = (float(v) for v in obs["agent_pos"])
    cell = grid_cell(bounds, radius)
    blocked = blocked_cells(bounds, rects, radius, cell)
    shape = blocked.shape
    centres = [(np.arange(n) + 0.5) * cell for n in shape]
    inside_obstacles = _raster(shape, rects, cell, any_overlap=False)
    measures = {"width": bounds[0], "height": bounds[1], "obstacles": len(rects),
                "free_fraction": 1.0 - float(inside_obstacles.mean())}
    where = f"start ({x:.0f}, {y:.0f}), goal centre ({gx + gw / 2:.0f}, {gy + gh / 2:.0f})"
    if not disc_fits(rects, bounds, x, y, radius):
        return f"the agent's disc (radius {radius:g}) starts overlapping an obstacle or the border: {where}", measures
    if gw < 2 * radius or gh < 2 * radius:
        return f"the goal zone {gw:g}x{gh:g} cannot hold the agent's disc (diameter {2 * radius:g}): enlarge it", measures
    free = ~blocked
    i, j = int(x // cell), int(y // cell)
    near = np.zeros(shape, dtype=bool)
    near[max(i - 1, 0):i + 2, max(j - 1, 0):j + 2] = True
    sources = near & free
    if not sources.any():
        return f"the agent has no room to move at its start ({x:.0f}, {y:.0f}): obstacles hug it", measures
    inside = np.zeros(shape, dtype=bool)
    inside[np.ix_((centres[0] >= gx + radius) & (centres[0] <= gx + gw - radius),
                  (centres[1] >= gy + radius) & (centres[1] <= gy + gh - radius))] = True
    targets = inside & free
    if not targets.any():
        return f"obstacles cover the goal zone, leaving no room for the agent's disc: {where}", measures
    labels, count = ndimage.label(free, structure=_EIGHT)
    mark = np.zeros(count + 1, dtype=bool)
    mark[labels[sources]] = True
    mark[0] = False
    reach = targets & mark[labels]
    if not reach.any():
        return (f"the goal is unreachable: obstacles wall it off for a disc of radius {radius:g} ({where}); "
                f"open a gap a few px wider than {2 * radius:g} px"), measures
    costs = np.where(free, 1.0, np.inf)
    cumulative, _ = MCP_Geometric(costs).find_costs(starts=np.argwhere(sources), ends=np.argwhere(reach))
    length = float(cumulative[reach].min()) * cell
    clearance = _clearance(bounds, rects, cell, shape, inside_obstacles)
    exempt = inside | (np.hypot(centres[0][:, None] - x, centres[1][None, :] - y) <= 2 * radius)
    measures.update(path_length=length, narrowest_passage=2 * _bottleneck(clearance, free, sources, reach, exempt, cell / 2))
    if speed:
        measures.update(speed=speed, min_steps=length / speed)
        if length / speed > float(obs["max_steps"]):
            return (f"the shortest path is about {length:.0f} px: {length / speed:.0f} steps at {speed:g} px per "
                    f"step, over max_steps={obs['max_steps']}; raise max_steps or the speed, or shorten the path"), measures
    return None, measures


def check_env(env_module, *, seeds: Sequence[int]) -> LevelCheck:
    """Whether ``env_module``'s CustomEnv yields a solvable level on every seed of ``seeds``.

    Rejects a class that cannot be built, a reset or step that raises, a malformed observation,
    and unreachable goals, each with a reason naming the seed. Measures are averaged over seeds:
    width, height, obstacles, free_fraction, path_length (px, 8-connected grid), narrowest_passage
    (px: twice the least clearance along the roomiest route), speed and min_steps when measurable.
    """
    if not seeds:
        raise ValueError("check_env needs at least one seed")
    try:
        env = make_env(env_module)
    except ProgramError as exc:
        return LevelCheck(False, str(exc))
    totals: dict[str, list[float]] = {}
    for seed in seeds:
        try:
            obs, _ = reset_env(env, seed)
            speed = None
            for action in _PROBES:
                moved, _, terminated, truncated, _ = step_env(env, np.array(action), full=True)
                speed = math.dist(moved["agent_pos"], obs["agent_pos"]) or None
                if speed or terminated or truncated:
                    break
        except ProgramError as exc:
            return LevelCheck(False, f"seed {seed}: {exc}")
        reason, measures = analyse(obs, speed)
        if reason:
            return LevelCheck(False, f"seed {seed}: {reason}", measures)
        for key, value in measures.items():
            totals.setdefault(key, []).append(value)
    return LevelCheck(True, None, {key: float(np.mean(values)) for key, values in totals.items()})
