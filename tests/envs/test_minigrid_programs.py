"""Program sources and a loader shared by the MiniGrid environment tests, and their own checks.

The other ``test_minigrid_*`` files import from here (``tests.envs.test_minigrid_programs``).
"""
from __future__ import annotations

import itertools
import linecache
import types

_counter = itertools.count()

COVOLVE_ENV = '''
import random

import numpy as np
from minigrid.core.grid import Grid
from minigrid.core.mission import MissionSpace
from minigrid.core.world_object import Door, Goal, Key
from minigrid.minigrid_env import MiniGridEnv


class CustomEnv(MiniGridEnv):
    def __init__(self, size=10, max_steps=None, **kwargs):
        mission_space = MissionSpace(mission_func=self._gen_mission)
        if max_steps is None:
            max_steps = 4 * size ** 2
        super().__init__(mission_space=mission_space, grid_size=size, max_steps=max_steps, **kwargs)

    @staticmethod
    def _gen_mission():
        return "use the key to open the door and then get to the goal"

    def _gen_grid(self, width, height):
        self.grid = Grid(width, height)
        self.grid.wall_rect(0, 0, width, height)
        split = random.randint(3, width - 4)
        self.grid.vert_wall(split, 0)
        self.put_obj(Door("yellow", is_locked=True), split, int(np.random.randint(1, height - 1)))
        self.place_obj(Key("yellow"), top=(1, 1), size=(split - 1, height - 2))
        self.put_obj(Goal(), width - 2, height - 2)
        self.place_agent(top=(1, 1), size=(split - 1, height - 2))
'''

GOAL_SEEKER = '''
import numpy as np


def policy(obs, agent_pos, agent_dir):
    """Walk east, then south, then north to the goal (enough for an open room)."""
    goal = np.argwhere(obs[:, :, 0] == 8)[0]
    x, y = agent_pos
    want = 0 if goal[0] > x else 2 if goal[0] < x else 1 if goal[1] > y else 3
    return 2 if want == agent_dir else 1
'''


def load(source: str, kind: str = "env") -> types.ModuleType:
    """Execute ``source`` into a fresh module, as the sandbox worker does."""
    filename = f"{kind}_{next(_counter)}_program.py"
    code = compile(source, filename, "exec")
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    module = types.ModuleType(filename[:-3])
    exec(code, module.__dict__)
    return module


def grid_env(rows: list[str], max_steps: int = 200) -> types.ModuleType:
    """The program of :func:`grid_source`, loaded."""
    return load(grid_source(rows, max_steps))


def grid_source(rows: list[str], max_steps: int = 200) -> str:
    """A program whose level is drawn from text rows, one character per cell.

    ``#`` wall, ``.`` empty, ``G`` goal, ``L`` lava, ``>v<^`` the agent facing east/south/west/
    north, ``r``/``b`` a red/blue key, ``R``/``B`` a locked red/blue door, ``D`` a closed grey door.
    """
    source = f'''
from minigrid.core.grid import Grid
from minigrid.core.mission import MissionSpace
from minigrid.core.world_object import Door, Goal, Key, Lava, Wall
from minigrid.minigrid_env import MiniGridEnv

ROWS = {rows!r}
COLOURS = {{"r": "red", "b": "blue"}}


class CustomEnv(MiniGridEnv):
    def __init__(self):
        super().__init__(mission_space=MissionSpace(mission_func=lambda: "reach the goal"),
                         width=len(ROWS[0]), height=len(ROWS), max_steps={max_steps})

    def _gen_grid(self, width, height):
        self.grid = Grid(width, height)
        for y, row in enumerate(ROWS):
            for x, char in enumerate(row):
                if char == "#":
                    self.grid.set(x, y, Wall())
                elif char == "G":
                    self.grid.set(x, y, Goal())
                elif char == "L":
                    self.grid.set(x, y, Lava())
                elif char == "D":
                    self.grid.set(x, y, Door("grey"))
                elif char in "rb":
                    self.grid.set(x, y, Key(COLOURS[char]))
                elif char in "RB":
                    self.grid.set(x, y, Door(COLOURS[char.lower()], is_locked=True))
                elif char in "><v^":
                    self.agent_pos = (x, y)
                    self.agent_dir = ">v<^".index(char)
'''
    return source


def test_grid_env_draws_the_rows():
    from envs.minigrid.runner import make_env

    env = make_env(grid_env(["#####", "#>rG#", "#####"]), seed=0)
    assert (env.agent_pos, env.agent_dir) == ((1, 1), 0)
    assert [env.grid.get(x, 1).type for x in (2, 3)] == ["key", "goal"]


def test_covolve_style_program_runs_unchanged():
    from envs.minigrid import check_env, run_episode

    env_module = load(COVOLVE_ENV)
    check = check_env(env_module, seeds=range(3))
    assert check.feasible, check.reason
    assert check.measures["locked_doors"] == 1 and check.measures["width"] == 10
    result = run_episode(env_module, load(GOAL_SEEKER, "policy"), seed=0)
    assert result.error is None and result.steps > 0
