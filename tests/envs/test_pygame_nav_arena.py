"""The base arena (NavCore / NavArena) and the seed environment program follow the contract."""
import types

import gymnasium
import numpy as np
import pytest

from envs.pygame_nav import SEED_ENV
from envs.pygame_nav.arena import ENV_ID, NavArena
from envs.pygame_nav.blocks import NavCore
from envs.pygame_nav.contract import obs_problem
from envs.pygame_nav.program import Layout, env_program, read_layout, write_layout


def load(source):
    module = types.ModuleType("program")
    exec(compile(source, "program", "exec"), module.__dict__)
    return module


def corridor(**changes):
    """A 400 x 200 arena: start at the left, goal at the right, one block in the middle row."""
    layout = dict(width=400, height=200, agent_radius=15, speed=5.0, max_steps=300, goal_size=(60, 60),
                  min_start_goal=0.0, start=(40.0, 100.0), goal=(350.0, 100.0))
    layout.update(changes)
    return NavCore(**layout)


def test_observation_follows_the_contract():
    obs, info = corridor(obstacles=[(150, 0, 20, 60)]).reset(seed=0)
    assert obs_problem(obs) is None
    assert obs["agent_pos"] == [40.0, 100.0] and obs["bounds"] == [400.0, 200.0]
    assert obs["objects"][0] == {"type": "zone", "pos": [350.0, 100.0], "size": [60.0, 60.0], "purpose": "goal"}
    assert obs["objects"][1] == {"type": "obstacle", "pos": [150.0, 0.0], "size": [20.0, 60.0]}
    assert info == {"success": False}


def test_velocity_is_clipped_and_scaled_by_speed():
    env = corridor()
    env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step((3.0, -0.5))
    assert obs["agent_pos"] == pytest.approx([45.0, 97.5])
    assert (reward, terminated, truncated, info["blocked"]) == (0.0, False, False, False)


def test_move_into_an_obstacle_or_out_of_the_arena_is_rejected():
    env = corridor(obstacles=[(57, 80, 20, 40)])
    env.reset(seed=0)
    obs, *_, info = env.step((1.0, 0.0))          # the disc would reach x = 60 > 57 - 15
    assert obs["agent_pos"] == [40.0, 100.0] and info["blocked"]
    env = corridor(start=(16.0, 100.0))
    env.reset(seed=0)
    obs, *_, info = env.step((-1.0, 0.0))
    assert obs["agent_pos"] == [16.0, 100.0] and info["blocked"]
    obs, *_, info = env.step((0.0, 1.0))
    assert obs["agent_pos"] == [16.0, 105.0] and not info["blocked"]


def test_success_needs_the_whole_disc_in_the_goal_and_truncation_ends_at_max_steps():
    env = corridor(start=(280.0, 100.0), max_steps=50)
    env.reset(seed=0)
    for _ in range(10):                              # centre up to 330 < 320 + 15: not yet inside
        assert not env.step((1.0, 0.0))[4]["success"]
    obs, reward, terminated, truncated, info = env.step((1.0, 0.0))
    assert (reward, terminated, truncated, info["success"]) == (1.0, True, False, True)
    env = corridor(max_steps=4)
    env.reset(seed=0)
    assert [env.step((0.0, 0.0))[3] for _ in range(4)] == [False, False, False, True]


def test_bad_configuration_and_actions_raise():
    with pytest.raises(ValueError, match="jump through a wall"):
        corridor(speed=40.0)
    with pytest.raises(ValueError, match="cannot contain the agent"):
        corridor(goal_size=(20, 60))
    env = corridor()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="two finite numbers"):
        env.step((np.nan, 0.0))


def test_random_layouts_are_seeded_and_respect_the_start_goal_distance():
    env = NavCore(random_obstacles=12, min_start_goal=450.0)
    first, _ = env.reset(seed=3)
    again, _ = env.reset(seed=3)
    other, _ = env.reset(seed=4)
    assert first == again and first != other
    assert len(first["objects"]) > 5
    goal = first["objects"][0]["pos"]
    assert np.hypot(first["agent_pos"][0] - goal[0], first["agent_pos"][1] - goal[1]) >= 450.0
    with pytest.raises(RuntimeError, match="lower the start-goal distance"):
        NavCore(width=200, height=200, min_start_goal=500.0).reset(seed=0)


def test_gymnasium_registration_builds_the_arena():
    env = gymnasium.make(ENV_ID, render_mode="rgb_array", start=(100.0, 100.0), goal=(600.0, 400.0),
                         min_start_goal=0.0, obstacles=[(300, 200, 50, 50)])
    obs, _ = env.reset(seed=0)
    assert isinstance(env.unwrapped, NavArena) and obs_problem(obs) is None
    assert env.action_space.shape == (2,)
    assert env.render().shape == (600, 800, 3)
    obs, *_ = env.step(np.array([1.0, 1.0], dtype=np.float32))
    assert obs["agent_pos"] == pytest.approx([106.0, 106.0])


def test_seed_program_is_a_standalone_open_arena():
    module = load(SEED_ENV)
    assert not any(line.startswith(("from envs", "import envs")) for line in SEED_ENV.splitlines())
    obs, _ = module.CustomEnv().reset(seed=1)
    assert obs_problem(obs) is None
    assert [o["type"] for o in obs["objects"]] == ["zone"]
    goal = obs["objects"][0]["pos"]
    assert np.hypot(obs["agent_pos"][0] - goal[0], obs["agent_pos"][1] - goal[1]) >= 450.0


def test_layout_round_trips_and_write_layout_keeps_the_rest_of_the_program():
    layout = Layout(obstacles=tuple((10 * k, 20, 30, 40) for k in range(9)), start=(50.0, 60.0))
    source = env_program(layout) + "\n# a human note\n"
    assert read_layout(source) == layout
    changed = layout.with_changes(speed=4.5, obstacles=layout.obstacles[:2])
    edited = write_layout(source, changed)
    assert read_layout(edited) == changed and edited.endswith("# a human note\n")
    assert load(edited).CustomEnv().speed == 4.5
    with pytest.raises(ValueError, match="does not assign"):
        read_layout("class CustomEnv:\n    pass\n")
