"""MiniGrid policy program assembled from coevolve's building blocks.

``policy(obs, agent_pos, agent_dir)`` tries the behaviours named in ``BEHAVIOURS`` in order and
returns the first action one of them proposes, stepping forward when none does. ``obs`` is the
full grid encoding, ``obs[x, y] = (OBJECT_IDX, COLOR_IDX, STATE)``, without the agent drawn.
Actions: 0 turn left, 1 turn right, 2 forward, 3 pick up, 4 drop, 5 toggle. Memory lives in
``_MEM`` and lasts one episode (every episode executes the module afresh).
"""
import numpy as np
BEHAVIOURS = ['greedy_to_goal']
PARAMS = {}
EMPTY, FLOOR, DOOR, KEY, GOAL, LAVA = (1, 3, 4, 5, 8, 9)
LEFT, RIGHT, FORWARD, PICKUP, DROP, TOGGLE = (0, 1, 2, 3, 4, 5)
DIR_VEC = ((1, 0), (0, 1), (-1, 0), (0, -1))
_MEM = {'grid': None, 'fields': {}, 'carrying': None, 'pending': None, 'last_pos': None, 'still': 0, 'blocked': set(), 'explore': 0}

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
    if action == PICKUP and _in_grid(obs, cell) and (obs[cell][0] == KEY):
        _MEM['pending'] = (action, cell, int(obs[cell][1]))
    if action == DROP and _in_grid(obs, cell):
        _MEM['pending'] = (action, cell, _MEM['carrying'])
    return action
