"""The MiniGrid episode runner: one policy program plays one seeded level.

This is the hot loop of the whole system, so it builds the environment once per episode, never
renders, skips MiniGrid's partial view, and keeps the grid encoding up to date incrementally.
"""
from __future__ import annotations

import collections
import numbers
import time
from dataclasses import dataclass
from types import ModuleType

import gymnasium as gym
import minigrid  # noqa: F401  (registers the MiniGrid-* ids with Gymnasium)
import numpy as np
from minigrid.core.grid import Grid
from minigrid.core.world_object import Ball, Box, Floor, Goal, Key, Lava, Wall
from minigrid.minigrid_env import MiniGridEnv

from envs.api import (EpisodeResult, describe_exception, generator_states, reply_type, seed_generators,
                      state_digest)

N_ACTIONS = 6
ACTION_NAMES = ("left", "right", "forward", "pickup", "drop", "toggle")
DIR_NAMES = ("east", "south", "west", "north")
TRACE_HEAD = 60
TRACE_TAIL = 60
_EMPTY_CELL = (1, 0, 0)


@reply_type
@dataclass(frozen=True)
class EpisodeTrace:
    """A compact record of one episode, for feedback to a policy designer and for renders."""

    head: tuple
    """The first steps as (x, y, dir, action), the position being where the action was taken."""
    tail: tuple
    """The last steps after ``head`` (at most TRACE_TAIL), same layout."""
    omitted: int
    """How many steps between ``head`` and ``tail`` were left out."""
    total_steps: int
    """Steps the episode lasted."""
    max_steps: int
    """The level's step limit."""
    path: tuple
    """Every cell the agent occupied, in order, consecutive repeats removed."""
    stall_cell: tuple | None
    """The most revisited cell (x, y), or None for an empty episode."""
    stall_visits: int
    """How many steps were taken from ``stall_cell``."""
    outcome: str
    """"goal", "lava", "terminated" (ended without reward), "timeout" or "error"."""
    error: str | None
    """The error that ended the episode, if any."""
    final_pos: tuple
    """The agent's last cell."""
    final_dir: int
    """The agent's last direction."""


def build_env(env_module: ModuleType | None, env_id: str | None = None) -> MiniGridEnv:
    """Construct (not reset) the program's ``CustomEnv()`` or the registered ``env_id``."""
    if (env_module is None) == (env_id is None):
        raise ValueError("give exactly one of env_module (a program) and env_id (a registered id)")
    if env_id is not None:
        return gym.make(env_id).unwrapped
    env_class = getattr(env_module, "CustomEnv", None)
    if not (isinstance(env_class, type) and issubclass(env_class, MiniGridEnv)):
        raise TypeError("the program must define class CustomEnv(minigrid.minigrid_env.MiniGridEnv)")
    return env_class()


def make_env(env_module: ModuleType | None, seed: int, env_id: str | None = None) -> MiniGridEnv:
    """Seed the generators, construct the environment and reset it with ``seed``."""
    seed_generators(seed)
    env = build_env(env_module, env_id)
    env.reset(seed=seed)
    return env


GENERATORS = frozenset({"_np_random", "np_random"})
"""Attributes holding random generators: tracked by :func:`generator_states`, not digested."""


def start_state(env: MiniGridEnv) -> str | None:
    """Fingerprint of a reset level: everything the environment holds but its generators."""
    return state_digest(env, skip=GENERATORS, ignore=frozenset({"_np_random_seed"}))


def start_states(env_module: ModuleType | None, *, seeds, env_id: str | None = None,
                 max_steps: int | None = None, **_options) -> list:
    """The start fingerprint of each seed's level, as :func:`run_episode` with the same options
    would start it (None where a level cannot be built)."""
    states = []
    for seed in seeds:
        try:
            states.append(start_state(reset_level(env_module, seed, env_id, max_steps)))
        except Exception:
            states.append(None)
    return states


def reset_level(env_module, seed: int, env_id: str | None, max_steps: int | None) -> MiniGridEnv:
    """The seeded, reset level an episode starts from."""
    env = make_env(env_module, seed, env_id)
    if max_steps is not None:
        env.max_steps = int(max_steps)
    return env


def encode_grid(grid: Grid) -> np.ndarray:
    """``grid.encode()`` (shape (width, height, 3), uint8), computed faster."""
    return GridEncoder(grid).encode(grid)


class GridEncoder:
    """Keeps ``grid.encode()`` up to date step by step at a fraction of its cost.

    Each step re-encodes only the cells whose object was replaced, plus the objects whose
    encoding can change in place (doors, and any type not known to be fixed).
    """

    _FIXED = frozenset({Wall, Goal, Lava, Floor, Key, Ball, Box})

    def __init__(self, grid: Grid):
        self.grid = grid
        self.cells = list(grid.grid)
        self.flat = np.empty((len(self.cells), 3), dtype=np.uint8)
        self.volatile: set[int] = set()
        for index, obj in enumerate(self.cells):
            self._put(index, obj)

    def _put(self, index: int, obj) -> None:
        self.flat[index] = _EMPTY_CELL if obj is None else obj.encode()
        if obj is not None and type(obj) not in self._FIXED:
            self.volatile.add(index)
        else:
            self.volatile.discard(index)

    def encode(self, grid: Grid) -> np.ndarray:
        """A fresh array equal to ``grid.encode()``."""
        if grid is not self.grid or len(grid.grid) != len(self.cells):
            self.__init__(grid)
        elif grid.grid != self.cells:  # identity comparison of the objects, in C
            for index, (obj, old) in enumerate(zip(grid.grid, self.cells)):
                if obj is not old:
                    self.cells[index] = obj
                    self._put(index, obj)
        for index in self.volatile:
            self.flat[index] = self.cells[index].encode()
        return self.flat.reshape(grid.height, grid.width, 3).transpose(1, 0, 2).copy()


def as_action(value) -> int | None:
    """The action 0..5 that ``value`` stands for, or None if it is not an int-like 0..5."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (numbers.Integral, np.integer)):
        action = int(value)
    elif isinstance(value, (numbers.Real, np.floating)) and float(value).is_integer():
        action = int(value)
    else:
        return None
    return action if 0 <= action < N_ACTIONS else None


def _no_observation():
    """Stands in for MiniGridEnv.gen_obs: the runner never uses the partial view."""
    return None


class _Recorder:
    """Collects the trace of one episode cheaply."""

    def __init__(self, start: tuple):
        self.head: list = []
        self.tail: collections.deque = collections.deque(maxlen=TRACE_TAIL)
        self.path: list = [start]
        self.visits: collections.Counter = collections.Counter()
        self.recorded = 0

    def record(self, x: int, y: int, direction: int, action: int | None) -> None:
        step = (x, y, direction, action)
        (self.head if len(self.head) < TRACE_HEAD else self.tail).append(step)
        self.visits[(x, y)] += 1
        self.recorded += 1

    def moved(self, cell: tuple) -> None:
        if cell != self.path[-1]:
            self.path.append(cell)

    def finish(self, steps: int, max_steps: int, outcome: str, error: str | None,
               final_pos: tuple, final_dir: int) -> EpisodeTrace:
        stall = self.visits.most_common(1)
        return EpisodeTrace(
            head=tuple(self.head), tail=tuple(self.tail),
            omitted=self.recorded - len(self.head) - len(self.tail), total_steps=steps,
            max_steps=max_steps, path=tuple(self.path),
            stall_cell=stall[0][0] if stall else None, stall_visits=stall[0][1] if stall else 0,
            outcome=outcome, error=error, final_pos=final_pos, final_dir=final_dir)


def run_episode(env_module: ModuleType | None, policy_module: ModuleType, *, seed: int,
                trace: bool = False, env_id: str | None = None,
                max_steps: int | None = None, fingerprint: bool = False) -> EpisodeResult:
    """Play one episode of ``policy_module.policy`` on the seeded level.

    Args:
        env_module: the executed environment program (defines ``CustomEnv``), or None with
            ``env_id``.
        policy_module: the executed policy program (defines ``policy``), freshly executed.
        seed: seeds ``random``, ``numpy.random`` and ``env.reset``.
        trace: also return an :class:`EpisodeTrace` in ``trace``.
        env_id: a registered Gymnasium MiniGrid id to play instead of a program.
        max_steps: overrides the level's step limit.
        fingerprint: also report the start's fingerprint (``start``; it costs a few ms).

    Returns:
        The result; success means a goal was reached, with MiniGrid's return
        ``1 - 0.9 * steps / max_steps`` (0 otherwise). Errors in either program end the
        episode as a failure with ``error`` set.
    """
    try:
        env = reset_level(env_module, seed, env_id, max_steps)
    except Exception as exc:  # a broken environment program is a failed episode, not a crash
        error = f"environment failed to build its level: {describe_exception(exc)}"
        recorder = _Recorder((-1, -1)) if trace else None
        return EpisodeResult(False, 0.0, 0, error=error, trace=recorder and recorder.finish(
            0, max_steps or 0, "error", error, (-1, -1), -1))
    start_fingerprint = start_state(env) if fingerprint else None
    drawn = generator_states(env.np_random)
    if type(env).step is MiniGridEnv.step:
        env.gen_obs = _no_observation  # the base step's partial view is never used here
    policy = getattr(policy_module, "policy", None)
    limit = env.max_steps
    x, y = int(env.agent_pos[0]), int(env.agent_pos[1])
    direction = int(env.agent_dir)
    recorder = _Recorder((x, y)) if trace else None
    encoder = GridEncoder(env.grid)
    steps, policy_seconds, success, error, outcome = 0, 0.0, False, None, "timeout"
    if not callable(policy):
        error, outcome = "the policy program defines no callable policy(obs, agent_pos, agent_dir)", "error"
    while error is None and steps < limit:
        obs = encoder.encode(env.grid)
        start = time.perf_counter()
        try:
            raw = policy(obs, (x, y), direction)
        except Exception as exc:
            error = f"policy raised {describe_exception(exc)}"
        policy_seconds += time.perf_counter() - start
        action = None if error else as_action(raw)
        if recorder:
            recorder.record(x, y, direction, action)
        if error is None and action is None:
            error = f"policy returned {raw!r:.60}; expected an int action 0..5"
        if error:
            outcome = "error"
            break
        try:
            _, reward, terminated, truncated, _ = env.step(action)
        except Exception as exc:
            error, outcome = f"environment step raised {describe_exception(exc)}", "error"
            break
        steps += 1
        x, y = int(env.agent_pos[0]), int(env.agent_pos[1])
        direction = int(env.agent_dir)
        if recorder:
            recorder.moved((x, y))
        if terminated:
            success = reward > 0
            outcome = "goal" if success else _termination_cause(env)
            break
        if truncated:
            break
    ret = 1.0 - 0.9 * steps / limit if success else 0.0
    episode_trace = recorder.finish(steps, limit, outcome, error, (x, y), direction) if recorder else None
    deterministic = generator_states(env.np_random) == drawn
    return EpisodeResult(success, ret, steps, policy_seconds, error, episode_trace,
                         start_fingerprint, deterministic)


def _termination_cause(env: MiniGridEnv) -> str:
    """"lava" if the agent ended on lava, else "terminated"."""
    cell = env.grid.get(*env.agent_pos)
    return "lava" if cell is not None and cell.type == "lava" else "terminated"


def format_trace(trace: EpisodeTrace) -> str:
    """Render a trace as short text: outcome, stall point, error, then the steps."""
    lines = [f"outcome: {trace.outcome} after {trace.total_steps} of {trace.max_steps} steps; "
             f"final cell {trace.final_pos} facing {_dir_name(trace.final_dir)}"]
    if trace.stall_cell is not None:
        lines.append(f"most revisited cell: {trace.stall_cell} ({trace.stall_visits} steps taken there)")
    if trace.error:
        lines.append(f"error: {trace.error}")
    lines.append("step: cell facing -> action")
    lines.extend(_format_step(i + 1, step) for i, step in enumerate(trace.head))
    if trace.omitted:
        lines.append(f"... {trace.omitted} steps omitted ...")
    first_tail = len(trace.head) + trace.omitted + 1
    lines.extend(_format_step(first_tail + i, step) for i, step in enumerate(trace.tail))
    return "\n".join(lines)


def _format_step(number: int, step: tuple) -> str:
    x, y, direction, action = step
    name = ACTION_NAMES[action] if action is not None else "invalid"
    return f"{number:4d}: ({x}, {y}) {_dir_name(direction)} -> {name}"


def _dir_name(direction: int) -> str:
    return DIR_NAMES[direction] if 0 <= direction < 4 else "?"


def trace_path(trace: EpisodeTrace) -> list[tuple[int, int]]:
    """The cells the agent occupied during the traced episode, in order."""
    return [tuple(cell) for cell in trace.path]
