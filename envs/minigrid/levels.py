"""Feasibility and measures of MiniGrid levels: a breadth-first search with MiniGrid's rules.

The search runs over (cell, direction, key carried, doors opened, keys picked, keys dropped)
with turning, moving, picking up, dropping and toggling as MiniGrid does them: walls, balls and
boxes block, closed doors open with toggle, locked doors open with toggle while carrying a key of
their colour, lava ends the episode, and the agent carries one object at a time. Balls and boxes
are never moved. A first search keeps the state small by letting a dropped key vanish (it is
never needed again); only when that finds no way does a second one keep dropped keys where they
fall, to be picked up again (a key that bars a corridor must be carried past and put down before
the key behind it can be fetched).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType

import numpy as np
from minigrid.minigrid_env import MiniGridEnv

from envs.api import LevelCheck, describe_exception, seed_generators
from envs.minigrid.runner import build_env

FREE, BLOCK, LAVA, GOAL, DOOR, KEY = range(6)
LEFT, RIGHT, FORWARD, PICKUP, DROP, TOGGLE = range(6)
"""MiniGrid's actions."""
_MOVES = ((1, 0), (0, 1), (-1, 0), (0, -1))
KEPT_KEYS_LIMIT = 2_000_000
"""States the reference's plan may visit keeping dropped keys (that state space is far larger;
the feasibility check, which runs on every candidate, stays within its usual limit)."""


@dataclass(frozen=True)
class Level:
    """A generated grid reduced to what the search needs; cells are indexed y * width + x."""

    width: int
    height: int
    kinds: tuple
    """FREE, BLOCK, LAVA, GOAL, DOOR or KEY per cell."""
    refs: tuple
    """Index into ``doors`` or ``keys`` per cell (-1 elsewhere)."""
    doors: tuple
    """(cell, colour, locked) of every door that is not open."""
    keys: tuple
    """(cell, colour) of every key."""
    walls: int
    lava: int
    start: int
    direction: int
    goals: tuple
    max_steps: int
    carrying: int = -1
    """Index into ``keys`` of a key the agent carries at the start (-1: none)."""


@dataclass(frozen=True)
class Search:
    """Outcome of the search on one level."""

    length: int | None
    """Fewest actions to reach a goal, None if no goal is reachable."""
    reached: frozenset
    """Cells the agent reached in any state."""
    opened: int
    """Bit mask of doors opened in some reached state."""
    picked: int
    """Bit mask of keys picked up in some reached state."""


class LevelProblem(Exception):
    """A generated level breaks the contract (no agent, no goal, agent on a wall, ...)."""


def read_level(env: MiniGridEnv) -> Level:
    """Reduce a reset environment's grid to a :class:`Level`, checking agent and goal."""
    width, height = env.grid.width, env.grid.height
    kinds, refs, doors, keys, goals = [], [], [], [], []
    walls = lava = 0
    for index, obj in enumerate(env.grid.grid):
        ref = -1
        if obj is None:
            kind = FREE
        elif obj.type == "goal":
            kind = GOAL
            goals.append(index)
        elif obj.type == "lava":
            kind, lava = LAVA, lava + 1
        elif obj.type == "door" and not obj.is_open:
            kind, ref = DOOR, len(doors)
            doors.append((index, obj.color, bool(obj.is_locked)))
        elif obj.type == "key":
            kind, ref = KEY, len(keys)
            keys.append((index, obj.color))
        elif not obj.can_overlap():
            kind = BLOCK
            walls += obj.type == "wall"
        else:
            kind = FREE  # open doors, floor and other cells the agent can stand on
        kinds.append(kind)
        refs.append(ref)
    start = _start_cell(env, width, height, kinds)
    if not goals:
        raise LevelProblem("places no goal: put a Goal() on the grid in _gen_grid")
    return Level(width, height, tuple(kinds), tuple(refs), tuple(doors), tuple(keys), walls,
                 lava, start, int(env.agent_dir), tuple(goals), int(env.max_steps))


def _start_cell(env: MiniGridEnv, width: int, height: int, kinds: list) -> int:
    """The agent's cell index, after checking the agent was placed on a cell it may stand on."""
    pos = env.agent_pos
    if pos is None or tuple(int(v) for v in pos) == (-1, -1) or env.agent_dir not in range(4):
        raise LevelProblem("places no agent: set self.agent_pos and self.agent_dir "
                           "(or call self.place_agent()) in _gen_grid")
    x, y = int(pos[0]), int(pos[1])
    if not (0 <= x < width and 0 <= y < height):
        raise LevelProblem(f"places the agent at {(x, y)}, outside the {width} x {height} grid")
    cell = env.grid.get(x, y)
    if kinds[y * width + x] in (BLOCK, DOOR, KEY):
        raise LevelProblem(f"places the agent on a {cell.type} at {(x, y)}")
    if kinds[y * width + x] == LAVA:
        raise LevelProblem(f"places the agent on lava at {(x, y)}")
    return y * width + x


def _fronts(level: Level) -> list[int]:
    """For cell c and direction d, ``fronts[4 * c + d]``: the cell in front, -1 off the grid."""
    fronts = []
    for cell in range(level.width * level.height):
        y, x = divmod(cell, level.width)
        for dx, dy in _MOVES:
            inside = 0 <= x + dx < level.width and 0 <= y + dy < level.height
            fronts.append((y + dy) * level.width + x + dx if inside else -1)
    return fronts


def solve(level: Level, limit: int = 300_000) -> Search:
    """The shortest solution of ``level``, exact unless the exact search passes ``limit`` states.

    Closed (unlocked) doors never change what is reachable, only what it costs, so a first
    search that treats them as open decides feasibility; the exact search then counts their
    toggles. Past ``limit`` states (many closed doors in cycles) the first search's length, a
    lower bound short by at most one toggle per door, is returned. When no way exists with
    dropped keys vanishing, both searches run again keeping them where they fall (within
    ``limit`` states: past it the level counts as unsolvable, as it did with vanishing keys).
    An unsolvable level's result is the vanishing first search's (what it reached).
    """
    vanishing = search(level, closed_doors_open=True)

    def shortest(keys_stay: bool) -> Search | None:
        try:
            relaxed = (search(level, closed_doors_open=True, limit=limit, keys_stay=True)
                       if keys_stay else vanishing)
        except _SearchTooLarge:
            return None
        if relaxed.length is None:
            return None
        if all(locked for _, _, locked in level.doors):
            return relaxed
        try:
            return search(level, limit=limit, keys_stay=keys_stay)
        except _SearchTooLarge:
            return relaxed

    return _vanishing_then_kept(level, shortest) or vanishing


def _vanishing_then_kept(level: Level, shortest):
    """``shortest(keys_stay=False)``; if that finds no way (None) and keeping dropped keys could
    help, ``shortest(keys_stay=True)``. Vanishing keys are the cheap model, tried first."""
    found = shortest(False)
    if found is None and _keys_may_help(level):
        return shortest(True)
    return found


def _keys_may_help(level: Level) -> bool:
    """Whether keeping dropped keys could make ``level`` solvable: it has keys, and a goal is
    reachable if doors and keys are walked through (so walls and lava do not settle it)."""
    return bool(level.keys) and bool(
        set(level.goals) & _flood(level, lambda kind: kind not in (BLOCK, LAVA)))


class _SearchTooLarge(Exception):
    """The exact search passed its state limit."""


def search(level: Level, closed_doors_open: bool = False, limit: int | None = None,
           keys_stay: bool = False) -> Search:
    """Breadth-first search for the fewest actions from the agent's start to a goal.

    Args:
        level: the level.
        closed_doors_open: treat closed (unlocked) doors as open, as a relaxation.
        limit: raise _SearchTooLarge after visiting this many states.
        keys_stay: a dropped key lies where it falls (else it vanishes).
    """
    rules = _Rules.of(level, closed_doors_open, keys_stay=keys_stay)
    start = rules.start(level)
    seen = {start}
    frontier = [start]
    reached, opened_any, picked_any = {level.start}, 0, 0
    depth = 0
    while frontier:
        depth += 1
        following = []
        for state in frontier:
            for _, successor in rules.successors(state):
                if successor is None:
                    return Search(depth, frozenset(reached), opened_any, picked_any)
                if successor not in seen:
                    seen.add(successor)
                    following.append(successor)
                    reached.add(successor[0])
                    opened_any |= successor[3]
                    picked_any |= successor[4]
        frontier = following
        if limit is not None and len(seen) > limit:
            raise _SearchTooLarge
    return Search(None, frozenset(reached), opened_any, picked_any)


def plan(level: Level, limit: int = 300_000, no_drop: frozenset = frozenset()) -> list[int] | None:
    """A shortest action sequence that takes the agent to a goal, or None if there is none.

    Exact unless the search passes ``limit`` states; then a shortest plan of the relaxation in
    which closed doors count as open (whoever follows it toggles a closed door in its way). A
    key is never dropped onto a cell in ``no_drop``. When no plan exists with dropped keys
    vanishing, one in which they stay where they fall (within ``KEPT_KEYS_LIMIT`` states, exact
    first).
    """
    def shortest(keys_stay: bool) -> list[int] | None:
        caps = ((KEPT_KEYS_LIMIT, KEPT_KEYS_LIMIT) if keys_stay else (limit, None))
        for closed_doors_open, cap in zip((False, True), caps):
            try:
                return _plan(level, closed_doors_open, cap, no_drop, keys_stay)
            except _SearchTooLarge:
                continue
        return None

    return _vanishing_then_kept(level, shortest)


def _plan(level: Level, closed_doors_open: bool, limit: int | None,
          no_drop: frozenset, keys_stay: bool = False) -> list[int] | None:
    """The breadth-first search of :func:`search`, remembering how each state was reached."""
    rules = _Rules.of(level, closed_doors_open, no_drop, keys_stay)
    start = rules.start(level)
    came_from = {start: None}
    frontier = [start]
    while frontier:
        following = []
        for state in frontier:
            for action, successor in rules.successors(state):
                if successor is None:
                    actions = [action]
                    while came_from[state] is not None:
                        state, step = came_from[state]
                        actions.append(step)
                    return actions[::-1]
                if successor not in came_from:
                    came_from[successor] = (state, action)
                    following.append(successor)
        frontier = following
        if limit is not None and len(came_from) > limit:
            raise _SearchTooLarge
    return None


@dataclass(frozen=True)
class _Rules:
    """MiniGrid's rules on one level, over states (cell, direction, key carried, doors opened,
    keys picked, keys dropped): bit masks over ``Level.doors`` and ``Level.keys`` for opened and
    picked, and the sorted (cell, key) pairs of the keys lying where they were dropped (always
    empty unless ``keys_stay``)."""

    kinds: tuple
    refs: tuple
    fronts: list
    door_colour: list
    door_locked: list
    key_colour: list
    no_drop: frozenset = frozenset()
    """Cells no key may be dropped onto."""
    keys_stay: bool = False
    """A dropped key lies where it falls, to be picked up again (else it vanishes)."""

    @classmethod
    def of(cls, level: Level, closed_doors_open: bool, no_drop: frozenset = frozenset(),
           keys_stay: bool = False) -> "_Rules":
        door_locked = [locked for _, _, locked in level.doors]
        kinds = level.kinds
        if closed_doors_open:
            kinds = tuple(FREE if kind == DOOR and not door_locked[ref] else kind
                          for kind, ref in zip(kinds, level.refs))
        return cls(kinds, level.refs, _fronts(level), [colour for _, colour, _ in level.doors],
                   door_locked, [colour for _, colour in level.keys], no_drop, keys_stay)

    @staticmethod
    def start(level: Level) -> tuple:
        """The start state: a key carried at the start is picked already."""
        carry = level.carrying
        return (level.start, level.direction, carry, 0, 0 if carry < 0 else 1 << carry, ())

    def successors(self, state: tuple) -> list[tuple[int, tuple | None]]:
        """(action, next state) for every action that changes the state; the next state is
        None when the action steps onto a goal."""
        cell, direction, carry, opened, picked, lying = state
        front = self.fronts[4 * cell + direction]
        successors = [(LEFT, (cell, (direction - 1) % 4, carry, opened, picked, lying)),
                      (RIGHT, (cell, (direction + 1) % 4, carry, opened, picked, lying))]
        if front < 0:
            return successors
        for spot, dropped in lying:
            if spot == front:  # a dropped key blocks like any key, and may be picked up again
                if carry < 0:
                    rest = tuple(pair for pair in lying if pair[0] != front)
                    successors.append((PICKUP, (cell, direction, dropped, opened, picked, rest)))
                return successors
        kind, ref = self.kinds[front], self.refs[front]
        if kind == GOAL:
            return [(FORWARD, None)]
        if (kind == FREE or (kind == DOOR and opened >> ref & 1)
                or (kind == KEY and picked >> ref & 1)):
            successors.append((FORWARD, (front, direction, carry, opened, picked, lying)))
            if carry >= 0 and (kind == FREE or kind == KEY) and front not in self.no_drop:
                left = tuple(sorted(lying + ((front, carry),))) if self.keys_stay else ()
                successors.append((DROP, (cell, direction, -1, opened, picked, left)))
        elif kind == KEY and carry < 0:
            successors.append((PICKUP, (cell, direction, ref, opened, picked | 1 << ref, lying)))
        elif kind == DOOR and (not self.door_locked[ref] or (
                carry >= 0 and self.key_colour[carry] == self.door_colour[ref])):
            successors.append((TOGGLE, (cell, direction, carry, opened | 1 << ref, picked,
                                        lying)))
        return successors


def _flood(level: Level, passable) -> set:
    """Cells reachable from the start by 4-neighbour moves through cells ``passable`` admits."""
    seen, todo = {level.start}, [level.start]
    fronts = _fronts(level)
    while todo:
        cell = todo.pop()
        for direction in range(4):
            front = fronts[4 * cell + direction]
            if front >= 0 and front not in seen and passable(level.kinds[front]):
                seen.add(front)
                todo.append(front)
    return seen


def explain_unsolvable(level: Level, result: Search) -> str:
    """Why no goal is reachable, phrased so a person can fix the level."""
    start = _xy(level, level.start)
    goals = set(level.goals)
    if not goals & _flood(level, lambda kind: kind != BLOCK):
        return f"goal unreachable: walls (or balls/boxes) cut the agent at {start} off from every goal"
    if not goals & _flood(level, lambda kind: kind not in (BLOCK, LAVA)):
        return f"goal unreachable: every path from the agent at {start} to a goal crosses lava"
    for ref, (cell, colour, locked) in enumerate(level.doors):
        if not locked or result.opened >> ref & 1 or not _touches(level, cell, result.reached):
            continue
        keys = [(index, key_cell) for index, (key_cell, key_colour) in enumerate(level.keys)
                if key_colour == colour]
        where = f"a locked {colour} door at {_xy(level, cell)}"
        if not keys:
            return f"goal unreachable: the way crosses {where} and the level has no {colour} key"
        if not any(result.picked >> index & 1 for index, _ in keys):
            spots = ", ".join(str(_xy(level, key_cell)) for _, key_cell in keys)
            return (f"goal unreachable: the way crosses {where} and no {colour} key is reachable "
                    f"({colour} key at {spots} lies behind it or is walled off)")
        return (f"goal unreachable: the {colour} key cannot be brought to {where} "
                f"(the agent carries one object at a time)")
    return f"goal unreachable from the agent at {start}: keys, balls or boxes block the way"


def _touches(level: Level, cell: int, reached: frozenset) -> bool:
    """Whether ``cell`` is next to a reached cell."""
    y, x = divmod(cell, level.width)
    return any((y + dy) * level.width + x + dx in reached for dx, dy in _MOVES
               if 0 <= x + dx < level.width and 0 <= y + dy < level.height)


def _xy(level: Level, cell: int) -> tuple[int, int]:
    y, x = divmod(cell, level.width)
    return (x, y)


def measures(level: Level, length: int | None) -> dict:
    """Size and content measures of one level (``length``: shortest solution, if any)."""
    sx, sy = _xy(level, level.start)
    distance = min(abs(gx - sx) + abs(gy - sy) for gx, gy in (_xy(level, g) for g in level.goals))
    return {
        "width": level.width, "height": level.height, "walls": level.walls,
        "closed_doors": sum(not locked for _, _, locked in level.doors),
        "locked_doors": sum(locked for _, _, locked in level.doors),
        "keys": len(level.keys), "lava": level.lava,
        "start_goal_distance": distance, "solution_length": length,
    }


def generate(env_module: ModuleType, seed: int) -> Level:
    """Construct ``CustomEnv()``, reset it with ``seed`` and read its level.

    Raises:
        LevelProblem: with a reason a person can act on, if any step fails.
    """
    env_class = getattr(env_module, "CustomEnv", None)
    if not (isinstance(env_class, type) and issubclass(env_class, MiniGridEnv)):
        raise LevelProblem("the program must define class CustomEnv(minigrid.minigrid_env.MiniGridEnv)")
    seed_generators(seed)
    try:
        env = build_env(env_module)
    except Exception as exc:
        raise LevelProblem(f"CustomEnv() failed: {describe_exception(exc)}") from exc
    try:
        env.reset(seed=seed)
    except AssertionError as exc:
        if exc.__traceback__ is not None and _raised_by_reset(exc):
            read_level(env)  # names the broken placement (no agent, agent on a wall, ...)
        raise LevelProblem(f"_gen_grid failed: {describe_exception(exc)}") from exc
    except Exception as exc:
        raise LevelProblem(f"_gen_grid failed: {describe_exception(exc)}") from exc
    return read_level(env)


def _raised_by_reset(exc: BaseException) -> bool:
    """Whether the innermost frame of ``exc`` is MiniGridEnv.reset's own placement assertion."""
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code is MiniGridEnv.reset.__code__


def check_env(env_module: ModuleType, *, seeds: Sequence[int]) -> LevelCheck:
    """Check that every seeded level of the program is solvable, and measure the levels.

    Returns:
        feasible with measures averaged over the seeds (``solution_length`` also as min/max),
        or infeasible with the first failing seed's reason.
    """
    seeds = list(seeds)
    if not seeds:
        raise ValueError("check_env needs at least one seed")
    rows, failures = [], []
    for seed in seeds:
        try:
            level = generate(env_module, seed)
        except LevelProblem as exc:
            return LevelCheck(False, f"seed {seed}: {exc}", _summarise(rows))
        result = solve(level)
        rows.append(measures(level, result.length))
        if result.length is None:
            failures.append(f"seed {seed}: {explain_unsolvable(level, result)}")
        elif result.length > level.max_steps:
            failures.append(f"seed {seed}: the shortest solution takes {result.length} actions but "
                            f"max_steps is {level.max_steps}; raise max_steps")
    if failures:
        return LevelCheck(False, f"{failures[0]} ({len(failures)} of {len(seeds)} seeds unsolvable)",
                          _summarise(rows))
    return LevelCheck(True, None, _summarise(rows))


def _summarise(rows: list[dict]) -> dict:
    """Means over seeds of each measure, plus min and max of the solution length."""
    if not rows:
        return {}
    summary = {name: float(np.mean([row[name] for row in rows]))
               for name in rows[0] if name != "solution_length"}
    lengths = [row["solution_length"] for row in rows if row["solution_length"] is not None]
    if lengths:
        summary.update(solution_length=float(np.mean(lengths)),
                       solution_length_min=min(lengths), solution_length_max=max(lengths))
    return summary
