"""Sound episode reuse: identical payoffs with and without, fewer episodes played where the
start and the behaviour are the same, everything played where anything random is drawn."""
import dataclasses

import pytest

from envs.pygame_nav.program import SEED_LAYOUT, env_program

from coevolve.domains import get_domain
from coevolve.evaluate import Evaluator
from coevolve.program import Program
from coevolve.sandbox import Limits, SandboxPool

FIXED_MINIGRID = '''
from minigrid.core.grid import Grid
from minigrid.core.mission import MissionSpace
from minigrid.core.world_object import Goal, Wall
from minigrid.minigrid_env import MiniGridEnv

class CustomEnv(MiniGridEnv):
    def __init__(self):
        super().__init__(mission_space=MissionSpace(mission_func=lambda: "go"), grid_size=8,
                         max_steps=60)

    def _gen_grid(self, width, height):
        self.grid = Grid(width, height)
        self.grid.wall_rect(0, 0, width, height)
        self.grid.set(4, 2, Wall())
        self.put_obj(Goal(), 6, 6)
        self.agent_pos, self.agent_dir = (1, 1), 0
'''
HIDDEN_STATE = FIXED_MINIGRID + '''
        self.slippery = self.np_random.random() < 0.5   # not in the grid: hidden state

    def step(self, action):
        if self.slippery and action == 2:
            action = 1
        return super().step(action)
'''
RANDOM_POLICY = ("import random\nimport numpy as np\n"
                 "def policy(obs, agent_pos, agent_dir):\n"
                 "    return 2 if random.random() < 0.7 else int(np.random.randint(0, 2))\n")
IMPORT_DRAW = ("import random\nTURN = random.random() < 0.5\n"
               "def policy(obs, agent_pos, agent_dir):\n    return 1 if TURN else 2\n")
PYGAME_FIXED = env_program(SEED_LAYOUT.with_changes(start=(60.0, 300.0), goal=(700.0, 300.0)))
PYGAME_RANDOM_POLICY = ("import numpy as np\ndef policy(obs):\n"
                        "    return (1.0, float(np.random.uniform(-1, 1)))\n")

CASES = {
    # name: (domain, env source or "seed", policy source or "seed", reused episodes of 12)
    "minigrid fixed level, planner": ("minigrid", FIXED_MINIGRID, "seed", 11),
    "minigrid fixed level, random policy": ("minigrid", FIXED_MINIGRID, RANDOM_POLICY, 0),
    "minigrid fixed level, draws at import": ("minigrid", FIXED_MINIGRID, IMPORT_DRAW, 0),
    "minigrid hidden state drawn at reset": ("minigrid", HIDDEN_STATE, "seed", None),
    "minigrid random level": ("minigrid", "seed", "seed", 0),
    "pygame fixed ends": ("pygame", PYGAME_FIXED, "seed", 11),
    "pygame fixed ends, random policy": ("pygame", PYGAME_FIXED, PYGAME_RANDOM_POLICY, 0),
    "pygame random ends": ("pygame", "seed", "seed", 0),
}


def program(kind, domain, source):
    if source == "seed":
        return domain.seed_env() if kind == "env" else domain.seed_policy()
    return Program(kind, domain.name, source)


@pytest.fixture(scope="module")
def pools():
    found = {}
    for name in ("minigrid", "pygame"):
        domain = get_domain(name)
        found[name] = SandboxPool(2, Limits(seconds=60), preload=(domain.env_package,))
    yield found
    for pool in found.values():
        pool.close()


@pytest.mark.parametrize("case", sorted(CASES))
def test_payoffs_are_identical_with_and_without_reuse(pools, case):
    name, env_source, policy_source, expected_reused = CASES[case]
    domain = get_domain(name)
    pair = (program("policy", domain, policy_source), program("env", domain, env_source))
    cells = {}
    for reuse in (True, False):
        evaluator = Evaluator(domain.env_package, pools[name], 12, seed=4, reuse=reuse)
        cells[reuse] = evaluator.evaluate([pair])[0]
        assert evaluator.played + evaluator.reused == 12
    with_reuse, without = (dataclasses.asdict(cells[r]) for r in (True, False))
    for cell in (with_reuse, without):
        cell.pop("policy_seconds_per_step")
    reused = with_reuse.pop("reused")
    assert reused == (expected_reused if expected_reused is not None else reused)
    assert without.pop("reused") == 0
    assert with_reuse == without
    if expected_reused is None:  # the hidden variant is part of the start: two classes
        assert 0 < cells[True].reused <= 10


def test_a_domain_that_cannot_fingerprint_plays_everything():
    with SandboxPool(1, Limits(seconds=30)) as pool:
        assert Evaluator("envs.atari", pool, 3, seed=0).reuse is False
