"""The MiniGrid reference solver: the feasibility check's search, played as a policy.

``ReferenceSolver()(obs, agent_pos, agent_dir)`` reads the grid into an :class:`envs.minigrid.levels.Level`,
plans a shortest action sequence with :func:`envs.minigrid.levels.plan` and follows it. MiniGrid
is deterministic, so one plan per episode suffices; the policy plans again whenever the agent is
not where the plan said it would be (a key it dropped blocks the way, a move failed), and it
drops a key off the plan's way where it can (only onto empty cells, as MiniGrid allows), never
twice onto the same cell; after every pick-up, drop or toggle it plans again from the result.
Where the exact search is too large the plan treats closed doors as open, and the policy toggles
a closed door before stepping into it; where no plan lets dropped keys vanish, it follows one
that picks them up again where they lie.

It is trusted project code, not a generated program: regret selection (``--env-selection
regret``) measures how often a level can be solved at all by playing it in the sandbox beside
the archive's policies, through the same evaluator and episode seeds.
"""
from __future__ import annotations

import numpy as np
from minigrid.core.constants import OBJECT_TO_IDX, STATE_TO_IDX

from envs.minigrid.levels import (BLOCK, DOOR, DROP, FORWARD, FREE, GOAL, KEY, LAVA, LEFT,
                                  PICKUP, RIGHT, TOGGLE, Level, plan)

_KINDS = {OBJECT_TO_IDX["empty"]: FREE, OBJECT_TO_IDX["floor"]: FREE,
          OBJECT_TO_IDX["goal"]: GOAL, OBJECT_TO_IDX["lava"]: LAVA, OBJECT_TO_IDX["key"]: KEY,
          OBJECT_TO_IDX["door"]: DOOR}
"""Search kind of each object index; anything else (walls, balls, boxes, unseen) blocks."""
_OPEN, _LOCKED = STATE_TO_IDX["open"], STATE_TO_IDX["locked"]
_CLOSED = STATE_TO_IDX["closed"]
_DOOR, _KEY, _EMPTY = OBJECT_TO_IDX["door"], OBJECT_TO_IDX["key"], OBJECT_TO_IDX["empty"]
_MOVES = ((1, 0), (0, 1), (-1, 0), (0, -1))

def read_grid(obs, agent_pos, agent_dir, carrying) -> Level:
    """The level the search needs, from the full grid encoding ``obs[x, y]``."""
    width, height = int(obs.shape[0]), int(obs.shape[1])
    kinds, refs, doors, keys, goals = [], [], [], [], []  # colours stay indices: only compared
    for y in range(height):
        for x in range(width):
            obj, colour, state = (int(v) for v in obs[x, y])
            kind, ref = _KINDS.get(obj, BLOCK), -1
            if obj == _DOOR:
                if state == _OPEN:
                    kind = FREE
                else:
                    ref = len(doors)
                    doors.append((y * width + x, colour, state == _LOCKED))
            elif obj == _KEY:
                ref = len(keys)
                keys.append((y * width + x, colour))
            elif kind == GOAL:
                goals.append(y * width + x)
            kinds.append(kind)
            refs.append(ref)
    held = -1
    if carrying is not None:
        held = len(keys)
        keys.append((-1, carrying))  # the carried key is off the grid
    start = int(agent_pos[1]) * width + int(agent_pos[0])
    return Level(width, height, tuple(kinds), tuple(refs), tuple(doors), tuple(keys), 0, 0,
                 start, int(agent_dir), tuple(goals), 0, held)


def _front(pos, direction) -> tuple:
    return (pos[0] + _MOVES[direction][0], pos[1] + _MOVES[direction][1])


def _expected(pos, direction, action) -> tuple:
    """Where the agent will be after ``action`` if it works."""
    if action == LEFT:
        return pos, (direction - 1) % 4
    if action == RIGHT:
        return pos, (direction + 1) % 4
    if action == FORWARD:
        return _front(pos, direction), direction
    return pos, direction


def _path_cells(pos, direction, actions) -> set:
    """The cells a plan walks through from (pos, direction)."""
    cells = set()
    for action in actions:
        pos, direction = _expected(pos, direction, action)
        cells.add(pos)
    return cells


def _drop_turns(obs, pos, direction, rest) -> list[int]:
    """Turns to face an empty cell off the plan's way before dropping (the search lets a
    dropped key vanish; on the grid it stays where it falls): [] if the cell in front will do,
    or if no neighbour will."""
    ahead = _path_cells(pos, direction, rest)
    for turns in ([], [RIGHT], [LEFT], [RIGHT, RIGHT]):
        facing = (direction + sum(1 if t == RIGHT else -1 for t in turns)) % 4
        x, y = _front(pos, facing)
        if (0 <= x < obs.shape[0] and 0 <= y < obs.shape[1] and (x, y) not in ahead
                and int(obs[x, y][0]) == _EMPTY):
            return turns
    return []


class ReferenceSolver:
    """``policy(obs, agent_pos, agent_dir)`` with the memory of one episode: its plan, where the
    agent should be next, the colour carried, the last pick-up or drop, the cells a key was
    dropped onto, and the last situation no plan was found from. A program executes
    ``policy = ReferenceSolver()`` afresh every episode."""

    def __init__(self):
        self.plan: list[int] = []
        self.expected = None
        self.carrying = None
        self.pending = None
        self.dropped: set = set()
        self.hopeless = None

    def __call__(self, obs, agent_pos, agent_dir) -> int:
        """The next action of a shortest plan to the goal (turn left when none exists)."""
        pos, direction = (int(agent_pos[0]), int(agent_pos[1])), int(agent_dir)
        self._track_carrying(obs)
        if not self.plan or self.expected != (pos, direction):
            self.plan = self._replan(obs, pos, direction)
        if not self.plan:
            self.expected = None
            return LEFT
        action = self.plan[0]
        if action == DROP:
            turns = _drop_turns(obs, pos, direction, self.plan[1:])
            if turns:  # turn, drop, then plan again from there
                self.plan = turns + [DROP]
                action = turns[0]
        front = _front(pos, direction)
        inside = 0 <= front[0] < obs.shape[0] and 0 <= front[1] < obs.shape[1]
        if (action == FORWARD and inside and int(obs[front][0]) == _DOOR
                and int(obs[front][2]) == _CLOSED):
            action = TOGGLE  # the relaxed plan walks through this closed door; the plan waits
        else:
            self.plan.pop(0)
        if action in (PICKUP, DROP) and inside:
            self.pending = (action, front, int(obs[front][1]))
        if action == DROP:  # the search lets a dropped key vanish: never drop onto that cell again
            self.dropped.add(front)
        # after a pick-up, drop or toggle, plan again from what it did (it may not have worked)
        self.expected = (_expected(pos, direction, action)
                         if action in (LEFT, RIGHT, FORWARD) else None)
        return action

    def _replan(self, obs, pos, direction) -> list[int]:
        """A shortest plan from here that drops keys only onto empty cells not used before ([]
        if there is none; not searched for again until the grid, the cell or the key carried
        changes, since turning on the spot cannot help)."""
        situation = (obs.tobytes(), pos, self.carrying)
        if situation == self.hopeless:
            return []
        level = read_grid(obs, pos, direction, self.carrying)
        occupied = {(int(x), int(y)) for x, y in zip(*np.nonzero(obs[:, :, 0] != _EMPTY))}
        no_drop = frozenset(y * level.width + x for x, y in self.dropped | occupied)
        found = plan(level, no_drop=no_drop) or []
        if not found:
            self.hopeless = situation
        return found

    def _track_carrying(self, obs) -> None:
        """After a pick-up the key is gone from the cell in front; after a drop one lies there."""
        pending, self.pending = self.pending, None
        if pending is None:
            return
        action, cell, colour = pending
        here = int(obs[cell][0])
        if action == PICKUP and here != _KEY:
            self.carrying = colour
        elif action == DROP and here == _KEY:
            self.carrying = None


make_policy = ReferenceSolver
"""What a program calls for its ``policy`` (see :func:`envs.api.trusted_policy`)."""
