"""Geometry and dynamics of the navigation arena, written as self-contained building blocks.

Everything here uses only ``heapq``, ``math`` and ``numpy``: environment programs embed these
definitions as source (:mod:`envs.pygame_nav.program` copies the ones a program needs), so an archived
program runs without this project. Policy programs embed :func:`blocked_cells` and :func:`astar` the
same way.

Conventions: pixels, y pointing down; a rectangle is ``(x, y, w, h)`` with ``(x, y)`` its top-left
corner; the agent is a disc of radius ``radius`` centred on its position.
"""
import heapq
import math

import numpy as np


def as_rects(rects):
    """An (N, 4) float array of rectangles ``(x, y, w, h)``."""
    return np.asarray(rects, dtype=float).reshape(-1, 4)


def rect_gaps(rect, rects):
    """Euclidean distances between ``rect`` and each row of ``rects`` (0 where they touch)."""
    rects = as_rects(rects)
    dx = np.maximum(np.maximum(rects[:, 0] - (rect[0] + rect[2]), rect[0] - (rects[:, 0] + rects[:, 2])), 0.0)
    dy = np.maximum(np.maximum(rects[:, 1] - (rect[1] + rect[3]), rect[1] - (rects[:, 1] + rects[:, 3])), 0.0)
    return np.hypot(dx, dy)


def rects_overlap(rect, rects):
    """Whether ``rect`` overlaps the interior of any row of ``rects``."""
    rects = as_rects(rects)
    return bool(np.any((rects[:, 0] < rect[0] + rect[2]) & (rect[0] < rects[:, 0] + rects[:, 2])
                       & (rects[:, 1] < rect[1] + rect[3]) & (rect[1] < rects[:, 1] + rects[:, 3])))


def disc_hits(rects, x, y, radius):
    """Whether a disc at (x, y) overlaps any row of the (N, 4) array ``rects`` (touching is fine)."""
    if len(rects) == 0:
        return False
    nx = np.clip(x, rects[:, 0], rects[:, 0] + rects[:, 2])
    ny = np.clip(y, rects[:, 1], rects[:, 1] + rects[:, 3])
    return bool(np.any((nx - x) ** 2 + (ny - y) ** 2 < radius * radius))


def disc_fits(rects, bounds, x, y, radius):
    """Whether a disc at (x, y) lies inside the arena ``bounds`` (W, H) and overlaps no obstacle."""
    return (radius <= x <= bounds[0] - radius and radius <= y <= bounds[1] - radius
            and not disc_hits(rects, x, y, radius))


def disc_inside(rect, x, y, radius):
    """Whether a disc at (x, y) lies entirely inside ``rect``."""
    return (rect[0] + radius <= x <= rect[0] + rect[2] - radius
            and rect[1] + radius <= y <= rect[1] + rect[3] - radius)


def resets_differ(start, goal, random_obstacles):
    """Whether a level lays out a new arena at each reset (its start, goal or some obstacles drawn)."""
    return start is None or goal is None or random_obstacles > 0


def place_obstacle(rng, size, bounds, obstacles, clearance, keep_clear=(), tries=200):
    """A rectangle of ``size`` (w, h) at a random spot keeping ``clearance`` px from the others.

    The rectangle stays inside the arena and at least ``clearance`` px away from every rectangle of
    ``obstacles`` and of ``keep_clear`` (e.g. the start and the goal). With ``clearance`` above the
    agent's diameter the agent still fits between any two placed obstacles. Returns ``(x, y, w, h)``
    with integer coordinates (the first fitting one of ``tries`` random draws), or None.
    """
    w, h = int(size[0]), int(size[1])
    if w > bounds[0] or h > bounds[1]:
        return None
    xs = rng.integers(0, int(bounds[0]) - w + 1, size=tries)
    ys = rng.integers(0, int(bounds[1]) - h + 1, size=tries)
    avoid = np.concatenate([as_rects(obstacles), as_rects(keep_clear)])
    if len(avoid):
        dx = np.maximum(np.maximum(avoid[None, :, 0] - (xs[:, None] + w), xs[:, None] - (avoid[None, :, 0] + avoid[None, :, 2])), 0.0)
        dy = np.maximum(np.maximum(avoid[None, :, 1] - (ys[:, None] + h), ys[:, None] - (avoid[None, :, 1] + avoid[None, :, 3])), 0.0)
        ok = np.flatnonzero(np.all(dx * dx + dy * dy >= clearance * clearance, axis=1))
    else:
        ok = np.arange(tries)
    return (int(xs[ok[0]]), int(ys[ok[0]]), w, h) if len(ok) else None


def corridor_bars(bounds, count, gap, thickness, vertical=True, rng=None):
    """``count`` evenly spaced bars across the arena, each leaving one gap of ``gap`` px.

    Vertical bars run top to bottom (horizontal ones left to right) and split the arena into
    ``count + 1`` corridors. Without ``rng`` the gaps alternate ends (a serpentine); with it each gap
    sits at a random place along its bar.
    """
    length, across = (bounds[1], bounds[0]) if vertical else (bounds[0], bounds[1])
    if gap >= length:
        raise ValueError(f"gap {gap} px must be shorter than the bars ({length} px)")
    bars = []
    for k in range(count):
        at = int(round(across * (k + 1) / (count + 1) - thickness / 2))
        if rng is None:
            start = 0 if k % 2 else length - gap
        else:
            start = int(rng.integers(0, length - gap + 1))
        for lo, hi in ((0, start), (start + gap, length)):
            if hi > lo:
                bars.append((at, lo, thickness, hi - lo) if vertical else (lo, at, hi - lo, thickness))
    return bars


def room_walls(bounds, rows, cols, door, thickness, rng):
    """Walls splitting the arena into ``rows`` x ``cols`` rooms, with a doorway in every inner wall.

    Every wall between two neighbouring rooms has one doorway of ``door`` px at a random place, so
    every room connects to its neighbours.
    """
    width, height = bounds
    bars = []
    for axis, splits, spans in ((0, cols, rows), (1, rows, cols)):
        size, other = (width, height) if axis == 0 else (height, width)
        for k in range(1, splits):
            at = int(round(size * k / splits - thickness / 2))
            for s in range(spans):
                lo, hi = int(round(other * s / spans)), int(round(other * (s + 1) / spans))
                room_lo, room_hi = lo + thickness, hi - thickness - door
                if room_hi < room_lo:
                    raise ValueError(f"rooms of {hi - lo} px are too small for {door} px doorways")
                start = int(rng.integers(room_lo, room_hi + 1))
                for a, b in ((lo, start), (start + door, hi)):
                    if b > a:
                        bars.append((at, a, thickness, b - a) if axis == 0 else (a, at, b - a, thickness))
    return bars


def u_trap(cx, cy, size, thickness, opening):
    """Three bars forming a U (a dead end) of outer ``size`` (w, h) centred at (cx, cy).

    ``opening`` is the open side: "left", "right", "up" or "down".
    """
    w, h, t = int(size[0]), int(size[1]), int(thickness)
    x, y = int(round(cx - w / 2)), int(round(cy - h / 2))
    sides = {"left": (x + w - t, y, t, h), "right": (x, y, t, h),
             "up": (x, y + h - t, w, t), "down": (x, y, w, t)}
    if opening not in sides:
        raise ValueError(f"opening must be one of {sorted(sides)}, got {opening!r}")
    if opening in ("left", "right"):
        arms = [(x, y, w, t), (x, y + h - t, w, t)]
    else:
        arms = [(x, y, t, h), (x + w - t, y, t, h)]
    return [sides[opening]] + arms


def sample_start_goal(rng, bounds, radius, goal_size, obstacles, min_distance,
                      start=None, goal=None, tries=4000):
    """An agent start and a goal-zone centre at least ``min_distance`` px apart, both in free space.

    A fixed ``start`` (x, y) or ``goal`` centre (x, y) is kept as given. The goal zone of
    ``goal_size`` overlaps no obstacle and the start disc fits the arena without touching an
    obstacle or the goal zone. Raises RuntimeError if no such pair is found.
    """
    rects = as_rects(obstacles)
    gw, gh = goal_size
    if start is not None and goal is not None:
        tries = 1
    for _ in range(tries):
        g = goal if goal is not None else (float(rng.uniform(gw / 2, bounds[0] - gw / 2)),
                                           float(rng.uniform(gh / 2, bounds[1] - gh / 2)))
        zone = (g[0] - gw / 2, g[1] - gh / 2, gw, gh)
        if rects_overlap(zone, rects):
            continue
        s = start if start is not None else (float(rng.uniform(radius, bounds[0] - radius)),
                                             float(rng.uniform(radius, bounds[1] - radius)))
        if (math.hypot(s[0] - g[0], s[1] - g[1]) >= min_distance and disc_fits(rects, bounds, s[0], s[1], radius)
                and not disc_hits(as_rects([zone]), s[0], s[1], radius)):
            return (float(s[0]), float(s[1])), (float(g[0]), float(g[1]))
    raise RuntimeError(f"no start and goal {min_distance:.0f} px apart fit in free space after {tries} "
                       "draws: lower the start-goal distance, enlarge the arena or remove obstacles (a fixed start "
                       "must keep its disc clear of obstacles and of the goal zone)")


def blocked_cells(bounds, rects, radius, cell, slack=0.75):
    """Occupancy grid ``[ix, iy]`` of cell centres where the agent's centre may not go.

    A cell is blocked when its centre lies closer than ``radius`` to an obstacle or to the arena's
    border. Obstacles are widened by ``slack * cell`` more: the default 0.75 makes sure a straight
    move between two free neighbouring centres (diagonals included) never touches an obstacle.
    """
    nx, ny = max(1, int(math.ceil(bounds[0] / cell))), max(1, int(math.ceil(bounds[1] / cell)))
    xs, ys = (np.arange(nx) + 0.5) * cell, (np.arange(ny) + 0.5) * cell
    blocked = np.zeros((nx, ny), dtype=bool)
    blocked[(xs < radius) | (xs > bounds[0] - radius), :] = True
    blocked[:, (ys < radius) | (ys > bounds[1] - radius)] = True
    reach = radius + slack * cell
    for x, y, w, h in as_rects(rects):
        i0, i1 = max(0, int((x - reach) / cell)), min(nx, int((x + w + reach) / cell) + 1)
        j0, j1 = max(0, int((y - reach) / cell)), min(ny, int((y + h + reach) / cell) + 1)
        if i0 >= i1 or j0 >= j1:
            continue
        dx = np.maximum(np.maximum(x - xs[i0:i1], xs[i0:i1] - (x + w)), 0.0)
        dy = np.maximum(np.maximum(y - ys[j0:j1], ys[j0:j1] - (y + h)), 0.0)
        blocked[i0:i1, j0:j1] |= dx[:, None] ** 2 + dy[None, :] ** 2 < reach * reach
    return blocked


def astar(blocked, start, goal):
    """Cells from ``start`` to ``goal`` (index pairs) on 8-connected free cells; [] if unreachable.

    Diagonal moves may not cut a blocked corner; the start cell may itself be blocked.
    """
    nx, ny = blocked.shape
    flat = blocked.ravel().tolist()
    source, target = start[0] * ny + start[1], goal[0] * ny + goal[1]
    gi, gj = goal
    best, parent = {source: 0.0}, {}
    heap = [(0.0, 0.0, source)]
    while heap:
        _, cost, cur = heapq.heappop(heap)
        if cur == target:
            path = [cur]
            while path[-1] in parent:
                path.append(parent[path[-1]])
            return [divmod(c, ny) for c in reversed(path)]
        if cost > best[cur]:
            continue
        ci, cj = divmod(cur, ny)
        for di, dj, step in ((1, 0, 1.0), (-1, 0, 1.0), (0, 1, 1.0), (0, -1, 1.0),
                             (1, 1, 1.4142), (1, -1, 1.4142), (-1, 1, 1.4142), (-1, -1, 1.4142)):
            ni, nj = ci + di, cj + dj
            if not (0 <= ni < nx and 0 <= nj < ny):
                continue
            nxt = ni * ny + nj
            if flat[nxt] or (di and dj and (flat[ci * ny + nj] or flat[ni * ny + cj])):
                continue
            new = cost + step
            if new < best.get(nxt, math.inf):
                best[nxt], parent[nxt] = new, cur
                dx, dy = abs(ni - gi), abs(nj - gj)
                heapq.heappush(heap, (new + max(dx, dy) + 0.4142 * min(dx, dy), new, nxt))
    return []


def swept_clear(rects, bounds, a, b, radius):
    """Whether a disc of ``radius`` moving straight from ``a`` to ``b`` stays inside the arena and
    off every obstacle (the exact geometry, sampled every 2 px)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    points = a + np.linspace(0.0, 1.0, int(math.hypot(*(b - a)) / 2) + 2)[:, None] * (b - a)
    if (points < radius).any() or (points > np.asarray(bounds, dtype=float) - radius).any():
        return False
    low, high = np.minimum(a, b) - radius, np.maximum(a, b) + radius  # only obstacles near the segment
    rects = rects[(rects[:, 0] < high[0]) & (rects[:, 0] + rects[:, 2] > low[0])
                  & (rects[:, 1] < high[1]) & (rects[:, 1] + rects[:, 3] > low[1])]
    return not disc_hits(rects, points[:, :1], points[:, 1:], radius)  # one column of sample points: any hit


def farthest_clear(path, index, horizon, clear):
    """Index of the farthest waypoint within ``horizon`` after ``index`` for which ``clear`` holds."""
    for k in range(min(index + horizon, len(path) - 1), index, -1):
        if clear(path[k]):
            return k
    return index


class NavCore:
    """Continuous 2D navigation: a disc agent must get entirely inside a rectangular goal zone.

    Action: ``(vx, vy)``, each clipped to [-1, 1]; the agent moves by ``speed * (vx, vy)`` px. A move
    that would overlap an obstacle or leave the arena is rejected: the agent stays
    (``info["blocked"]``).
    Observation: a dict with ``agent_pos`` [x, y] (px, y down), ``agent_radius``, ``bounds`` [W, H],
    ``step_count``, ``max_steps`` and ``objects``: the goal ``{"type": "zone", "pos": centre,
    "size": [w, h], "purpose": "goal"}`` then every obstacle ``{"type": "obstacle", "pos": top-left
    corner, "size": [w, h]}``.
    Reward: 1.0 on the step the agent's disc is entirely inside the goal zone, else 0.0.
    Termination: success (``info["success"]``); truncation after ``max_steps`` steps.
    Each reset places ``random_obstacles`` extra obstacles (sides drawn from ``random_obstacle_size``)
    with room for the agent between obstacles, then the start and the goal (unless fixed).
    With ``budget_factor`` set, each reset's step budget is that factor times the steps of its own
    route (:meth:`route_budget`), so every layout is as tight as the factor says; ``max_steps`` is
    then the budget of a reset whose route the grid cannot find. Without it, ``max_steps`` is every
    reset's budget, except that a reset whose own route is longer (resets differ when the start, the
    goal or some obstacles are drawn) gets that route's steps: no drawn layout is beyond reach.
    """

    def __init__(self, width=800, height=600, agent_radius=15, speed=6.0, max_steps=600,
                 goal_size=(70, 70), min_start_goal=400.0, start=None, goal=None, obstacles=(),
                 random_obstacles=0, random_obstacle_size=(20, 60), budget_factor=None):
        if not 0 < speed <= agent_radius:
            raise ValueError(f"speed must be in (0, agent_radius={agent_radius}] so that a move cannot "
                             f"jump through a wall, got {speed}")
        if goal_size[0] < 2 * agent_radius or goal_size[1] < 2 * agent_radius:
            raise ValueError(f"goal_size {tuple(goal_size)} cannot contain the agent (diameter {2 * agent_radius})")
        self.bounds = (float(width), float(height))
        self.agent_radius = float(agent_radius)
        self.speed = float(speed)
        self.max_steps = self.fallback_steps = int(max_steps)
        self.budget_factor = budget_factor
        self.goal_size = (float(goal_size[0]), float(goal_size[1]))
        self.min_start_goal = float(min_start_goal)
        self.fixed_start, self.fixed_goal = start, goal
        self.fixed_obstacles = as_rects(obstacles)
        self.random_obstacles = int(random_obstacles)
        self.random_obstacle_size = random_obstacle_size
        self.obstacles = self.fixed_obstacles
        self.goal_rect = (0.0, 0.0) + self.goal_size
        self.pos = (0.0, 0.0)
        self.step_count = 0
        self._objects = []

    def reset(self, seed=None, options=None):
        """Lay out a new episode; ``seed`` (or else ``numpy.random``) drives every random choice."""
        if seed is None:
            seed = int(np.random.randint(2 ** 31 - 1))
        return self.reset_from(np.random.default_rng(seed))

    def reset_from(self, rng):
        """Lay out a new episode from the generator ``rng``; returns ``(obs, info)``."""
        placed = [tuple(r) for r in self.fixed_obstacles]
        keep = [] if self.fixed_goal is None else [(self.fixed_goal[0] - self.goal_size[0] / 2,
                                                    self.fixed_goal[1] - self.goal_size[1] / 2) + self.goal_size]
        if self.fixed_start is not None:
            r = self.agent_radius
            keep.append((self.fixed_start[0] - r, self.fixed_start[1] - r, 2 * r, 2 * r))
        lo, hi = self.random_obstacle_size
        for _ in range(self.random_obstacles):
            size = (int(rng.integers(lo, hi + 1)), int(rng.integers(lo, hi + 1)))
            rect = place_obstacle(rng, size, self.bounds, placed, 2 * self.agent_radius + 10, keep)
            if rect is not None:
                placed.append(rect)
        self.obstacles = as_rects(placed)
        self.pos, goal = sample_start_goal(rng, self.bounds, self.agent_radius, self.goal_size, self.obstacles,
                                           self.min_start_goal, self.fixed_start, self.fixed_goal)
        self.goal_rect = (goal[0] - self.goal_size[0] / 2, goal[1] - self.goal_size[1] / 2) + self.goal_size
        if self.budget_factor is not None:
            self.max_steps = self.route_budget(self.budget_factor)
        elif resets_differ(self.fixed_start, self.fixed_goal, self.random_obstacles):
            self.max_steps = max(self.fallback_steps, self.route_budget(1.0))
        else:
            self.max_steps = self.fallback_steps
        self.step_count = 0
        self._objects = [{"type": "zone", "pos": [goal[0], goal[1]], "size": list(self.goal_size), "purpose": "goal"}]
        self._objects += [{"type": "obstacle", "pos": [float(x), float(y)], "size": [float(w), float(h)]}
                          for x, y, w, h in self.obstacles]
        return self.observation(), {"success": False}

    def route_budget(self, factor):
        """``factor`` times the steps of a route from the start to inside the goal zone.

        A* from the free cell nearest the start to the one nearest the goal's centre, then straight
        into the goal: on cells of half the radius (at most 20,000) where a straight move between free
        neighbours never touches an obstacle, else (narrow passages close there) on cells of a quarter
        of the radius (at most 80,000) that only keep the centre a radius away. The route is pulled
        taut by skipping to the farthest of the next 24 points the disc reaches in a straight line.
        ``fallback_steps`` when neither grid finds a route.
        """
        radius, (gx, gy, gw, gh) = self.agent_radius, self.goal_rect
        area = self.bounds[0] * self.bounds[1]
        for cell, slack in ((max(radius / 2.0, math.sqrt(area / 20_000.0)), 0.75),
                            (max(radius / 4.0, math.sqrt(area / 80_000.0)), 0.0)):
            blocked = blocked_cells(self.bounds, self.obstacles, radius, cell, slack)
            free = np.argwhere(~blocked)
            if len(free) == 0:
                continue
            centres = (free + 0.5) * cell
            start = free[int(np.argmin(np.hypot(centres[:, 0] - self.pos[0], centres[:, 1] - self.pos[1])))]
            goal = free[int(np.argmin(np.hypot(centres[:, 0] - (gx + gw / 2), centres[:, 1] - (gy + gh / 2))))]
            cells = astar(blocked, tuple(start), tuple(goal))
            if cells:
                break
        else:
            return self.fallback_steps
        route = (np.asarray(cells) + 0.5) * cell
        inside = np.clip(route[-1], (gx + radius, gy + radius), (gx + gw - radius, gy + gh - radius))
        route = np.vstack([np.asarray(self.pos, dtype=float)[None, :], route, inside[None, :]])
        taut, index = [route[0]], 0
        while index < len(route) - 1:  # pulled taut where the disc passes straight (exact geometry)
            index = max(index + 1, farthest_clear(route, index, 24, lambda p: swept_clear(
                self.obstacles, self.bounds, route[index], p, radius)))
            taut.append(route[index])
        length = float(np.hypot(*np.diff(np.asarray(taut), axis=0).T).sum())
        return max(1, int(math.ceil(factor * length / self.speed)))

    def step(self, action):
        """Move by the clipped velocity unless blocked; returns ``(obs, reward, terminated, truncated, info)``."""
        velocity = np.asarray(action, dtype=float).reshape(-1)
        if velocity.shape != (2,) or not np.all(np.isfinite(velocity)):
            raise ValueError(f"action must be two finite numbers (vx, vy), got {action!r}")
        vx, vy = np.clip(velocity, -1.0, 1.0) * self.speed
        x, y = self.pos[0] + float(vx), self.pos[1] + float(vy)
        blocked = not disc_fits(self.obstacles, self.bounds, x, y, self.agent_radius)
        if not blocked:
            self.pos = (x, y)
        self.step_count += 1
        success = disc_inside(self.goal_rect, self.pos[0], self.pos[1], self.agent_radius)
        truncated = not success and self.step_count >= self.max_steps
        return self.observation(), 1.0 if success else 0.0, success, truncated, {"success": success, "blocked": blocked}

    def observation(self):
        """The observation dict of the current state (see the class docstring)."""
        return {"agent_pos": [self.pos[0], self.pos[1]], "agent_radius": self.agent_radius,
                "bounds": [self.bounds[0], self.bounds[1]], "step_count": self.step_count,
                "max_steps": self.max_steps, "objects": list(self._objects)}
