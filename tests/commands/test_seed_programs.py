"""`coevolve run --seed-env FILE --seed-policy FILE`: a run starts from the user's programs."""
import json
import os

import pytest

from coevolve.cli import main
from coevolve.config import RunConfig
from coevolve.session import Session
from policies.minigrid.catalogue import assemble_policy

LEVEL = '''\
"""A 7x7 room; WALL splits it in two."""
from minigrid.core.grid import Grid
from minigrid.core.mission import MissionSpace
from minigrid.core.world_object import Goal
from minigrid.minigrid_env import MiniGridEnv

WALL = False


class CustomEnv(MiniGridEnv):
    def __init__(self, **kwargs):
        super().__init__(mission_space=MissionSpace(mission_func=self._gen_mission),
                         grid_size=7, max_steps=100, **kwargs)

    @staticmethod
    def _gen_mission():
        return "get to the green goal square"

    def _gen_grid(self, width, height):
        self.grid = Grid(width, height)
        self.grid.wall_rect(0, 0, width, height)
        if WALL:
            self.grid.vert_wall(3, 0)
        self.put_obj(Goal(), 5, 5)
        self.agent_pos, self.agent_dir = (1, 1), 0
        self.mission = self._gen_mission()
'''
POLICY = assemble_policy(["plan_to_goal"])
CRASHING = "def policy(obs, agent_pos, agent_dir):\n    return 1 // 0\n"


def write(folder, name, text):
    path = os.path.join(folder, name)
    with open(path, "w") as handle:
        handle.write(text)
    return path


def run_args(out, *extra):
    return ["run", "--domain", "minigrid", "--iterations", "0", "--episodes", "2", "--workers",
            "1", "--out", out, "--quiet", *extra]


def test_a_run_starts_from_the_given_programs_and_keeps_copies(tmp_path):
    env, policy = write(tmp_path, "level.py", LEVEL), write(tmp_path, "agent.py", POLICY)
    out = str(tmp_path / "run")
    assert main(run_args(out, "--seed-env", env, "--seed-policy", policy)) == 0
    with open(os.path.join(out, "iterations.jsonl")) as handle:
        record = json.loads(handle.readline())
    assert record["env"]["origin"] == {"designer": "user", "model": None, "iteration": None,
                                       "note": "from level.py"}
    assert record["new_cells"][0]["success"] == 1.0
    for archived, copy, text in (("env_0000.py", "seed_env.py", LEVEL),
                                 ("policy_0000.py", "seed_policy.py", POLICY)):
        for name in (archived, copy):
            with open(os.path.join(out, "programs", name)) as handle:
                assert handle.read() == text
    with open(os.path.join(out, "config.json")) as handle:
        assert json.load(handle)["seed_env"] == env


def test_a_run_killed_before_iteration_0_resumes_from_its_copies(tmp_path):
    env = write(tmp_path, "level.py", LEVEL)
    out = str(tmp_path / "run")
    config = RunConfig(domain="minigrid", iterations=0, episodes=2, workers=1, seed_env=env)
    Session.create(config, out).close()  # killed before iteration 0 was logged
    os.remove(env)
    assert main(["resume", out, "--quiet"]) == 0
    with open(os.path.join(out, "programs", "env_0000.py")) as handle:
        assert handle.read() == LEVEL


@pytest.mark.parametrize("flag, name, text, message", [
    ("--seed-env", None, None, "cannot read env program --seed-env"),
    ("--seed-env", "level.py", "class CustomEnv(:\n", "is not a valid minigrid env program"),
    ("--seed-env", "level.py", LEVEL.replace("WALL = False", "WALL = True"),
     "the seed environment is rejected:"),
    ("--seed-policy", "agent.py", CRASHING,
     "the seed policy is rejected: the policy failed at run time"),
])
def test_bad_seed_programs_are_one_line_and_write_nothing(tmp_path, capsys, flag, name, text,
                                                          message):
    path = write(tmp_path, name, text) if name else str(tmp_path / "missing.py")
    out = str(tmp_path / "run")
    assert main(run_args(out, flag, path)) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert not os.path.exists(out)
