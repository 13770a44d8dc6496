"""Building blocks of navigation policies, and the template ``policy`` that composes them.

Like :mod:`envs.pygame_nav.blocks`, everything here is plain ``math``/``numpy`` code that
policy programs embed as source (:mod:`policies.pygame_nav.program`): the template's ``if GENE:``
branches are resolved for a genome and only the definitions the result calls are copied. The
genome constants (``PLANNER``, ``GRID_CELL``, ...) are module globals of the emitted program; the
defaults below make this module itself the straight-line policy.
"""
import math

import numpy as np

from envs.pygame_nav.blocks import as_rects, astar, blocked_cells, disc_fits, farthest_clear, swept_clear

PLANNER = "straight"
GRID_CELL = 6.0
MARGIN = 3.0
LOOKAHEAD = 0
REPLAN_EVERY = 0
STUCK_WINDOW = 0
SLIDE = False
DAMPING = 0.0
WALL_TURN = 30.0
WAYPOINT_TOL = 8.0
ARRIVE = False
REGRID = False
SMOOTH = False

_MEMORY = {}


def episode_memory(obs):
    """The policy's scratch dict, cleared when a new episode starts (step_count 0 or going back)."""
    step = int(obs["step_count"])
    if step == 0 or step < _MEMORY.get("step", -1):
        _MEMORY.clear()
    _MEMORY["step"] = step
    return _MEMORY


def goal_centre(obs):
    """Centre of the goal zone."""
    zone = next(o for o in obs["objects"] if o["type"] == "zone" and o.get("purpose") == "goal")
    return np.asarray(zone["pos"], dtype=float)


def obstacle_array(obs, mem):
    """The obstacles as an (N, 4) array, rebuilt only when the number of objects changes."""
    if mem.get("objects") != len(obs["objects"]):
        mem["objects"] = len(obs["objects"])
        mem["rects"] = as_rects([(*o["pos"], *o["size"]) for o in obs["objects"] if o["type"] == "obstacle"])
    return mem["rects"]


def toward(pos, target):
    """Unit velocity from ``pos`` to ``target`` (zero when already there)."""
    delta = np.asarray(target, dtype=float) - pos
    norm = math.hypot(delta[0], delta[1])
    return delta / norm if norm > 1e-9 else np.zeros(2)


def rotate(velocity, degrees):
    """``velocity`` turned by ``degrees`` (clockwise on screen, y pointing down)."""
    a = math.radians(degrees)
    c, s = math.cos(a), math.sin(a)
    return np.array([c * velocity[0] - s * velocity[1], s * velocity[0] + c * velocity[1]])


def step_length(mem):
    """Estimated pixels per step at full velocity (measured from past moves; 6 until known)."""
    return mem.get("speed", 6.0)


def cell_sizes(mem):
    """The A* cell sizes to plan with, in order: GRID_CELL alone, or with REGRID four sizes around
    it (x1, 0.8, 1.25, 0.65, at least 2 px), turned by one after every stuck escape -- a narrow
    passage that one grid's cells straddle badly is often open on another."""
    if REGRID:
        sizes = [max(2.0, GRID_CELL * scale) for scale in (1.0, 0.8, 1.25, 0.65)]
        turn = mem.get("escapes", 0) % len(sizes)
        sizes = sizes[turn:] + sizes[:turn]
    else:
        sizes = [GRID_CELL]
    return sizes


def margins():
    """The clearances beyond the radius to plan with, in order: MARGIN, then none; with SMOOTH none
    at once (the route a margin closes may be the short one; following the path taut with the
    disc's exact geometry keeps it clear)."""
    if SMOOTH:
        found = (0.0,)
    else:
        found = (MARGIN, 0.0)
    return found


def plan_path(obs, mem, pos, goal):
    """Waypoints (px) from ``pos`` to the goal by A* on a grid inflated by the radius plus MARGIN.

    Falls back to no margin when the margin closes every route (then to the next of
    :func:`cell_sizes`), and to the goal itself when every grid fails. Keeps the grid it used and
    its cell size in ``mem["grid"]`` and ``mem["cell"]`` for visibility checks.
    """
    bounds, radius = obs["bounds"], float(obs["agent_radius"])
    rects = obstacle_array(obs, mem)
    for cell in cell_sizes(mem):
        for margin in margins():
            grid = blocked_cells(bounds, rects, radius + margin, cell, 0.0)
            nx, ny = grid.shape
            start = (min(int(pos[0] // cell), nx - 1), min(int(pos[1] // cell), ny - 1))
            free = np.argwhere(~grid)
            if len(free) == 0:
                continue
            centres = (free + 0.5) * cell
            end = tuple(free[int(np.argmin(np.hypot(centres[:, 0] - goal[0], centres[:, 1] - goal[1])))])
            cells = astar(grid, start, end)
            if cells:
                mem["grid"], mem["cell"] = grid, cell
                return [(np.array(c) + 0.5) * cell for c in cells[1:]] + [np.asarray(goal, dtype=float)]
    mem["grid"], mem["cell"] = np.zeros((1, 1), dtype=bool), GRID_CELL
    return [np.asarray(goal, dtype=float)]


def segment_clear(grid, cell, a, b):
    """Whether the straight segment a-b crosses only free cells of ``grid`` (``cell`` px cells,
    sampled every half cell)."""
    n = int(math.hypot(b[0] - a[0], b[1] - a[1]) / (cell / 2)) + 2
    t = np.linspace(0.0, 1.0, n)
    i = np.clip(((a[0] + t * (b[0] - a[0])) // cell).astype(int), 0, grid.shape[0] - 1)
    j = np.clip(((a[1] + t * (b[1] - a[1])) // cell).astype(int), 0, grid.shape[1] - 1)
    return not grid[i, j].any()


def planned_target(obs, mem, pos, goal):
    """The waypoint to head for: plan (or replan when asked or every REPLAN_EVERY steps), then follow."""
    replan = "path" not in mem or mem.pop("replan", False)
    if REPLAN_EVERY:
        replan = replan or int(obs["step_count"]) - mem.get("planned_at", 0) >= REPLAN_EVERY
    if replan:
        mem["path"], mem["index"], mem["planned_at"] = plan_path(obs, mem, pos, goal), 0, int(obs["step_count"])
    path, index = mem["path"], mem["index"]
    while index < len(path) - 1 and math.hypot(*(path[index] - pos)) < WAYPOINT_TOL:
        index += 1
    if LOOKAHEAD:  # in straight view on the inflated grid
        index = farthest_clear(path, index, LOOKAHEAD, lambda p: segment_clear(mem["grid"], mem["cell"], pos, p))
    if SMOOTH:  # reached by the disc in a straight line (exact geometry): the path pulled taut as the agent goes
        rects, bounds, radius = obstacle_array(obs, mem), obs["bounds"], float(obs["agent_radius"])
        index = farthest_clear(path, index, 8, lambda p: swept_clear(rects, bounds, pos, p, radius))
    mem["index"] = index
    return path[index]


def wall_follow_velocity(obs, mem, pos, goal):
    """Head for the goal; when that move would be rejected, turn by WALL_TURN steps to one side."""
    rects, bounds, radius = obstacle_array(obs, mem), obs["bounds"], float(obs["agent_radius"])
    base, reach = toward(pos, goal), step_length(mem)
    for k in range(int(360 // WALL_TURN)):
        velocity = rotate(base, k * WALL_TURN)
        ahead = pos + velocity * reach
        if disc_fits(rects, bounds, ahead[0], ahead[1], radius):
            return velocity
    return base


def unstick(obs, mem, pos, velocity):
    """After STUCK_WINDOW steps with little progress: request a replan and escape in a random heading
    (counted in ``mem["escapes"]``)."""
    history = mem.setdefault("history", [])
    history.append(pos.copy())
    del history[:-STUCK_WINDOW]
    if mem.get("escape", 0) > 0:
        mem["escape"] -= 1
        return mem["escape_heading"]
    if len(history) == STUCK_WINDOW and math.hypot(*(history[0] - pos)) < 2 * step_length(mem):
        angle = np.random.uniform(0.0, 2 * math.pi)
        mem["replan"], mem["escape"] = True, STUCK_WINDOW // 3
        mem["escapes"] = mem.get("escapes", 0) + 1
        mem["escape_heading"] = np.array([math.cos(angle), math.sin(angle)])
        history.clear()
        return mem["escape_heading"]
    return velocity


def slide(obs, mem, pos, velocity):
    """If the move would be rejected, turn it by growing angles (either side) until one fits."""
    rects, bounds, radius = obstacle_array(obs, mem), obs["bounds"], float(obs["agent_radius"])
    reach = step_length(mem)
    for angle in (0, 25, -25, 50, -50, 75, -75, 100, -100):
        turned = rotate(velocity, angle)
        ahead = pos + turned * reach
        if disc_fits(rects, bounds, ahead[0], ahead[1], radius):
            return turned
    return velocity


def damp(mem, velocity):
    """Blend in DAMPING of the previous velocity to calm oscillations (keeps the speed)."""
    previous = mem.get("velocity")
    if previous is None:
        return velocity
    blended = (1.0 - DAMPING) * velocity + DAMPING * previous
    norm = math.hypot(blended[0], blended[1])
    return blended / norm * math.hypot(velocity[0], velocity[1]) if norm > 1e-9 else velocity


def arrive(mem, pos, goal, velocity):
    """Within one step of the goal centre, shorten the move so that it lands on the centre."""
    distance, reach = math.hypot(goal[0] - pos[0], goal[1] - pos[1]), step_length(mem)
    return velocity * (distance / reach) if distance < reach else velocity


def learn_speed(mem, pos):
    """Learn the step length from the last move (position change over the velocity asked for)."""
    last, asked = mem.get("pos"), mem.get("velocity")
    if last is not None and asked is not None:
        norm, travelled = math.hypot(*np.clip(asked, -1.0, 1.0)), math.hypot(*(pos - last))
        if norm > 0.5 and travelled > 0.0:
            mem["speed"] = travelled / norm
    mem["pos"] = pos.copy()


def policy(obs):
    """The velocity (vx, vy) for this step, composed from the blocks selected by the genome."""
    mem = episode_memory(obs)
    pos = np.asarray(obs["agent_pos"], dtype=float)
    if SLIDE or SMOOTH or STUCK_WINDOW or ARRIVE or PLANNER == "wall_follow":
        learn_speed(mem, pos)
    goal = target = goal_centre(obs)
    if PLANNER == "astar":
        target = planned_target(obs, mem, pos, target)
    if PLANNER == "wall_follow":
        velocity = wall_follow_velocity(obs, mem, pos, target)
    else:
        velocity = toward(pos, target)
    if STUCK_WINDOW:
        velocity = unstick(obs, mem, pos, velocity)
    if SLIDE or SMOOTH and PLANNER == "astar":  # a path pulled taut grazes obstacles: a move they reject slides
        velocity = slide(obs, mem, pos, velocity)
    if DAMPING:
        velocity = damp(mem, velocity)
    if ARRIVE:
        velocity = arrive(mem, pos, goal, velocity)
    mem["velocity"] = velocity
    return float(velocity[0]), float(velocity[1])
