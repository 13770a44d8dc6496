"""MiniGrid policy program assembled from coevolve's building blocks.

``policy(obs, agent_pos, agent_dir)`` tries the behaviours named in ``BEHAVIOURS`` in order and
returns the first action one of them proposes, stepping forward when none does. ``obs`` is the
full grid encoding, ``obs[x, y] = (OBJECT_IDX, COLOR_IDX, STATE)``, without the agent drawn.
Actions: 0 turn left, 1 turn right, 2 forward, 3 pick up, 4 drop, 5 toggle. Memory lives in
``_MEM`` and lasts one episode (every episode executes the module afresh).
"""
import random
from collections import deque

import numpy as np

BEHAVIOURS = [
    'avoid_lava_ahead', 'drop_useless_key', 'open_door_ahead', 'get_key', 'plan_to_goal',
    'open_nearest_door', 'clear_the_way', 'replan_when_stuck', 'explore_when_stuck',
    'greedy_to_goal',
]
PARAMS = {
    'avoid_lava': False,
    'plan_through_doors': False,
    'key_only_if_needed': False,
    'match_key_colour': False,
    'stuck_steps': 5,
    'explore_steps': 4,
}
EMPTY, FLOOR, DOOR, KEY, GOAL, LAVA = (1, 3, 4, 5, 8, 9)
OPEN, CLOSED, LOCKED = (0, 1, 2)
LEFT, RIGHT, FORWARD, PICKUP, DROP, TOGGLE = (0, 1, 2, 3, 4, 5)
DIR_VEC = ((1, 0), (0, 1), (-1, 0), (0, -1))
_MEM = {
    'grid': None, 'fields': {}, 'carrying': None, 'pending': None,
    'last_pos': None, 'still': 0, 'blocked': set(), 'explore': 0,
}


def _front(pos, d):
    """Cell in front of ``pos`` when facing direction ``d``."""
    return (pos[0] + DIR_VEC[d][0], pos[1] + DIR_VEC[d][1])


def _cells(obs, kind, state=None):
    """Cells holding object ``kind`` (and door ``state`` when given), as (x, y) tuples."""
    mask = obs[:, :, 0] == kind
    if state is not None:
        mask &= obs[:, :, 2] == state
    return [(int(x), int(y)) for x, y in np.argwhere(mask)]


def _in_grid(obs, cell):
    """True if ``cell`` lies inside the grid."""
    return 0 <= cell[0] < obs.shape[0] and 0 <= cell[1] < obs.shape[1]


def _turn_to(d, want):
    """Action that turns from direction ``d`` toward ``want`` (forward when already facing it)."""
    if want == d:
        return FORWARD
    return RIGHT if want == (d + 1) % 4 else LEFT


def _update_memory(obs, pos):
    """Track the carried key and time standing still; forget plans when the grid changes."""
    grid = obs.tobytes()
    if grid != _MEM['grid']:
        _MEM['grid'] = grid
        _MEM['fields'] = {}
        _MEM['blocked'] = set()
    pending = _MEM['pending']
    if pending is not None:
        action, cell, colour = pending
        if action == PICKUP and obs[cell][0] != KEY:
            _MEM['carrying'] = colour
        if action == DROP and obs[cell][0] == KEY:
            _MEM['carrying'] = None
        _MEM['pending'] = None
    if pos == _MEM['last_pos']:
        _MEM['still'] += 1
    else:
        _MEM['last_pos'] = pos
        _MEM['still'] = 0


def _passable(obs):
    """Nested lists, ``[x][y]`` True where the planner may walk (see PARAMS); cached like plans."""
    if 'passable' in _MEM['fields']:
        return _MEM['fields']['passable']
    kind, colour, state = (obs[:, :, 0], obs[:, :, 1], obs[:, :, 2])
    ok = np.isin(kind, (EMPTY, FLOOR, GOAL)) | (kind == DOOR) & (state == OPEN)
    if PARAMS['plan_through_doors']:
        ok |= (kind == DOOR) & (state == CLOSED)
    if _MEM['carrying'] is not None:
        ok |= (kind == DOOR) & (state == LOCKED) & (colour == _MEM['carrying'])
    if not PARAMS['avoid_lava']:
        ok |= kind == LAVA
    for cell in _MEM['blocked']:
        ok[cell] = False
    _MEM['fields']['passable'] = ok.tolist()
    return _MEM['fields']['passable']


def _distance_field(obs, sources):
    """Breadth-first step counts from every walkable cell to the nearest of ``sources``.

    Fields are cached until the grid changes, so following a plan costs O(1) per step.
    """
    key = tuple(sorted(sources))
    if key not in _MEM['fields']:
        _MEM['fields'][key] = _bfs(_passable(obs), sources)
    return _MEM['fields'][key]


def _bfs(ok, sources):
    """Step counts (-1: unreachable) over the cells ``ok[x][y]`` allows, from the nearest source."""
    width, height = (len(ok), len(ok[0]))
    dist = [[-1] * height for _ in range(width)]
    queue = deque()
    for x, y in sources:
        dist[x][y] = 0
        queue.append((x, y))
    while queue:
        x, y = queue.popleft()
        for dx, dy in DIR_VEC:
            nx, ny = (x + dx, y + dy)
            if 0 <= nx < width and 0 <= ny < height and ok[nx][ny] and (dist[nx][ny] < 0):
                dist[nx][ny] = dist[x][y] + 1
                queue.append((nx, ny))
    return dist


def _follow(dist, pos, d):
    """First action down the distance field from ``pos``; None if no path, or already there."""
    here = dist[pos[0]][pos[1]]
    if here <= 0:
        return None
    for want in (d, (d + 1) % 4, (d + 3) % 4, (d + 2) % 4):
        x, y = _front(pos, want)
        if 0 <= x < len(dist) and 0 <= y < len(dist[0]) and dist[x][y] == here - 1:
            return _turn_to(d, want)
    return None


def _go_to(obs, pos, d, cells):
    """Action along a shortest walkable path onto one of ``cells``; None if none is reachable."""
    if not cells:
        return None
    return _follow(_distance_field(obs, cells), pos, d)


def _approach(obs, pos, d, cells):
    """Action that brings the agent next to one of ``cells`` and turns it to face that cell.

    Returns None when already facing one of them or when none can be reached.
    """
    if _front(pos, d) in cells:
        return None
    for want in range(4):
        if _front(pos, want) in cells:
            return _turn_to(d, want)
    ok = _passable(obs)
    stands = {_front(cell, k) for cell in cells for k in range(4)}
    stands = [c for c in stands if _in_grid(obs, c) and ok[c[0]][c[1]]]
    if not stands:
        return None
    return _follow(_distance_field(obs, stands), pos, d)


def greedy_to_goal(obs, pos, d):
    """Turn toward the nearest goal square and step forward; blind to walls, doors and lava."""
    goals = _cells(obs, GOAL)
    if not goals:
        return None
    gx, gy = min(goals, key=lambda g: abs(g[0] - pos[0]) + abs(g[1] - pos[1]))
    wanted = [k for k, v in enumerate(DIR_VEC) if v[0] * (gx - pos[0]) + v[1] * (gy - pos[1]) > 0]
    if not wanted or d in wanted:
        return FORWARD
    return _turn_to(d, wanted[0])


def plan_to_goal(obs, pos, d):
    """Follow a breadth-first shortest path to the goal around walls.

    Lava counts as walkable unless PARAMS['avoid_lava']; closed doors only with
    PARAMS['plan_through_doors']; a locked door only while carrying a key of its colour.
    """
    return _go_to(obs, pos, d, _cells(obs, GOAL))


def open_door_ahead(obs, pos, d):
    """Toggle the door in front when it is closed, or locked and the carried key matches it."""
    cell = _front(pos, d)
    if not _in_grid(obs, cell) or obs[cell][0] != DOOR:
        return None
    if obs[cell][2] == CLOSED or (obs[cell][2] == LOCKED and obs[cell][1] == _MEM['carrying']):
        return TOGGLE
    return None


def get_key(obs, pos, d):
    """When empty-handed, walk to the nearest key and pick it up (its colour is remembered).

    Keys that open a locked door come first; PARAMS['match_key_colour'] ignores the others
    entirely. PARAMS['key_only_if_needed'] skips the hunt while the goal is reachable.
    """
    if _MEM['carrying'] is not None:
        return None
    keys = _cells(obs, KEY)
    locks = {int(obs[c][1]) for c in _cells(obs, DOOR, LOCKED)}
    useful = [k for k in keys if int(obs[k][1]) in locks]
    keys = useful if useful or PARAMS['match_key_colour'] else keys
    if not keys:
        return None
    if PARAMS['key_only_if_needed'] and _go_to(obs, pos, d, _cells(obs, GOAL)) is not None:
        return None
    if _front(pos, d) in keys:
        return PICKUP
    return _approach(obs, pos, d, keys)


def open_nearest_door(obs, pos, d):
    """Walk to the nearest closed door (or a locked one the carried key opens) and toggle it."""
    doors = _cells(obs, DOOR, CLOSED)
    doors += [c for c in _cells(obs, DOOR, LOCKED) if obs[c][1] == _MEM['carrying']]
    if not doors:
        return None
    if _front(pos, d) in doors:
        return TOGGLE
    return _approach(obs, pos, d, doors)


def drop_useless_key(obs, pos, d):
    """Drop the carried key on an empty cell when it opens no locked door while a locked door
    of another colour has its key lying in the grid."""
    if _MEM['carrying'] is None:
        return None
    locks = {int(obs[c][1]) for c in _cells(obs, DOOR, LOCKED)}
    if _MEM['carrying'] in locks or not locks & {int(obs[k][1]) for k in _cells(obs, KEY)}:
        return None
    for want in (d, (d + 1) % 4, (d + 3) % 4, (d + 2) % 4):
        cell = _front(pos, want)
        if _in_grid(obs, cell) and obs[cell][0] == EMPTY:
            return DROP if want == d else _turn_to(d, want)
    return None


def _relaxed_way(obs, pos, targets, through_keys):
    """Cells of a shortest walk from ``pos`` onto one of ``targets`` on which doors of any state
    (and with ``through_keys`` keys lying on the floor) count as walkable, lava as for the
    planner; [] when there is none."""
    key = ('relaxed', through_keys) + tuple(sorted(targets))
    if key not in _MEM['fields']:
        ok = [column[:] for column in _passable(obs)]
        for x, y in _cells(obs, DOOR) + (_cells(obs, KEY) if through_keys else []):
            ok[x][y] = True
        _MEM['fields'][key] = _bfs(ok, targets)
    field, way, cell = (_MEM['fields'][key], [], pos)
    while field[cell[0]][cell[1]] > 0:
        here = field[cell[0]][cell[1]]
        cell = next(c for c in (_front(cell, k) for k in range(4))
                    if _in_grid(obs, c) and field[c[0]][c[1]] == here - 1)
        way.append(cell)
    return way


def clear_the_way(obs, pos, d):
    """When the goal is out of reach, clear a way to it that ignores doors (and, only when no such
    way exists, keys lying on the floor).

    A locked door the carried key does not open sends the agent for its key first (found the same
    way, three deep), unless a door the carried key opens comes before it. Otherwise the first
    thing on the way is dealt with: a door is opened, a key picked up (a carried key is first put
    down on the nearest empty cell off every way considered).
    """
    targets = _cells(obs, GOAL)
    if not targets or _go_to(obs, pos, d, targets) is not None:
        return None
    ok, avoid = (_passable(obs), set())
    for _ in range(3):
        way = _relaxed_way(obs, pos, targets, False) or _relaxed_way(obs, pos, targets, True)
        avoid.update(way)
        blockers = [c for c in way if not ok[c[0]][c[1]] or obs[c][0] == DOOR and obs[c][2] != OPEN]
        locked = [c for c in blockers if obs[c][0] == DOOR and obs[c][2] == LOCKED]
        shut = [c for c in locked if int(obs[c][1]) != _MEM['carrying']]
        keys = [k for k in _cells(obs, KEY) if shut and obs[k][1] == obs[shut[0]][1]]
        if keys and set(keys) != set(targets) and locked[0] == shut[0]:
            targets = keys
            continue
        if not blockers or obs[blockers[0]][0] not in (DOOR, KEY):
            return None
        cell = blockers[0]
        if obs[cell][0] == DOOR:
            return TOGGLE if _front(pos, d) == cell else _approach(obs, pos, d, [cell])
        if _MEM['carrying'] is None:
            return PICKUP if _front(pos, d) == cell else _approach(obs, pos, d, [cell])
        spots = [c for c in _cells(obs, EMPTY) if c not in avoid]
        return DROP if _front(pos, d) in spots else _approach(obs, pos, d, spots)
    return None


def avoid_lava_ahead(obs, pos, d):
    """Never step into lava: turn right whenever lava lies in front."""
    cell = _front(pos, d)
    if _in_grid(obs, cell) and obs[cell][0] == LAVA:
        return RIGHT
    return None


def replan_when_stuck(obs, pos, d):
    """After PARAMS['stuck_steps'] steps in place, treat the cell in front as blocked and replan.

    Proposes no action itself: the behaviours after it plan around the blocked cell.
    """
    if _MEM['still'] >= PARAMS['stuck_steps']:
        cell = _front(pos, d)
        if _in_grid(obs, cell):
            _MEM['blocked'].add(cell)
            _MEM['fields'] = {}
        _MEM['still'] = 0
    return None


def explore_when_stuck(obs, pos, d):
    """After PARAMS['stuck_steps'] steps in place, take PARAMS['explore_steps'] random moves."""
    if _MEM['still'] >= PARAMS['stuck_steps']:
        _MEM['explore'] = PARAMS['explore_steps']
        _MEM['still'] = 0
    if _MEM['explore'] <= 0:
        return None
    _MEM['explore'] -= 1
    rng = _MEM.setdefault('rng', random.Random(0))
    return rng.choice((LEFT, RIGHT, FORWARD, FORWARD))


def policy(obs, agent_pos, agent_dir):
    """Return the first action proposed by the behaviours in BEHAVIOURS order, else forward."""
    obs = np.asarray(obs)
    pos = (int(agent_pos[0]), int(agent_pos[1]))
    d = int(agent_dir)
    _update_memory(obs, pos)
    action = FORWARD
    for name in BEHAVIOURS:
        proposed = globals()[name](obs, pos, d)
        if proposed is not None:
            action = int(proposed)
            break
    cell = _front(pos, d)
    if action == PICKUP and _in_grid(obs, cell) and obs[cell][0] == KEY:
        _MEM['pending'] = (action, cell, int(obs[cell][1]))
    if action == DROP and _in_grid(obs, cell):
        _MEM['pending'] = (action, cell, _MEM['carrying'])
    return action
