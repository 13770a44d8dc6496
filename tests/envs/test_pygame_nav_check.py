"""Feasibility check: reachability for the agent's disc on hand-built arenas, measures, rejections."""
import math
import time
import types

import pytest

from envs.pygame_nav import SEED_ENV, check_env
from envs.pygame_nav.program import Layout, env_program


def load(source):
    module = types.ModuleType("program")
    exec(compile(source, "program", "exec"), module.__dict__)
    return module


def wall_with_gap(gap, **changes):
    """A vertical wall at x = 390..410 across the 800 x 600 arena, with a gap of ``gap`` px at y = 300."""
    top = 300 - gap // 2
    layout = Layout(start=(100.0, 300.0), goal=(700.0, 300.0), min_start_goal=0.0,
                    obstacles=((390, 0, 20, top), (390, top + gap, 20, 600 - top - gap)))
    return load(env_program(layout.with_changes(**changes)))


@pytest.mark.parametrize("gap", [20, 29, 30])
def test_gap_not_wider_than_the_agent_is_unreachable(gap):
    result = check_env(wall_with_gap(gap), seeds=[0])
    assert not result.feasible
    assert result.reason.startswith("seed 0: the goal is unreachable") and "30 px" in result.reason


@pytest.mark.parametrize("gap", [40, 60])
def test_gap_a_few_pixels_wider_than_the_agent_is_reachable(gap):
    result = check_env(wall_with_gap(gap), seeds=[0, 1])
    assert result.feasible and result.reason is None
    assert result.measures["narrowest_passage"] == pytest.approx(gap, abs=4.0)


def test_measures_of_an_open_arena_against_geometry():
    layout = Layout(start=(100.0, 100.0), goal=(700.0, 500.0), min_start_goal=0.0, obstacles=((0, 590, 100, 10),))
    result = check_env(load(env_program(layout)), seeds=[0])
    m = result.measures
    straight = math.dist((100, 100), (700 - 35 + 15, 500 - 35 + 15))   # to the nearest spot inside the goal
    assert result.feasible and m["width"] == 800 and m["height"] == 600 and m["obstacles"] == 1
    assert m["free_fraction"] == pytest.approx(1 - 1000 / 480000, abs=2e-3)
    assert straight <= m["path_length"] <= straight * 1.09
    assert m["speed"] == 6.0 and m["min_steps"] == pytest.approx(m["path_length"] / 6.0)
    assert m["narrowest_passage"] > 150


def test_detour_is_longer_than_the_straight_line():
    open_path = check_env(wall_with_gap(600), seeds=[0]).measures["path_length"]
    detour = check_env(load(env_program(Layout(start=(100.0, 300.0), goal=(700.0, 300.0), min_start_goal=0.0,
                                               obstacles=((390, 0, 20, 540),)))), seeds=[0]).measures["path_length"]
    assert open_path < 600 and detour > open_path + 150


def test_step_budget_too_small_is_infeasible():
    result = check_env(wall_with_gap(80, max_steps=40), seeds=[0])
    assert not result.feasible and "over max_steps=40" in result.reason


def test_walled_in_goal_and_blocked_start_are_infeasible():
    boxed = Layout(start=(100.0, 300.0), goal=(700.0, 300.0), min_start_goal=0.0,
                   obstacles=((640, 240, 120, 10), (640, 350, 120, 10), (640, 240, 10, 120), (750, 240, 10, 120)))
    assert "unreachable" in check_env(load(env_program(boxed)), seeds=[0]).reason
    cornered = Layout(start=(20.0, 20.0), goal=(700.0, 300.0), min_start_goal=0.0, obstacles=((0, 36, 40, 10), (36, 0, 10, 40)))
    assert "unreachable" in check_env(load(env_program(cornered)), seeds=[0]).reason
    overlapping = env_program(Layout(obstacles=((90, 90, 20, 20),))) + (
        "\n\nclass CustomEnv(CustomEnv):\n    def reset(self, seed=None, options=None):\n"
        "        info = super().reset(seed=seed)[1]\n        self.pos = (100.0, 100.0)\n"
        "        return self.observation(), info\n")
    assert "starts overlapping" in check_env(load(overlapping), seeds=[0]).reason


def test_broken_programs_are_rejected_with_reasons():
    def reason(source):
        result = check_env(load(source), seeds=[0])
        assert not result.feasible
        return result.reason
    assert "define `class CustomEnv`" in reason("x = 1\n")
    assert "CustomEnv() raised ZeroDivisionError" in reason("class CustomEnv:\n    def __init__(self):\n        1 / 0\n")
    assert "reset() raised RuntimeError" in reason(SEED_ENV.replace("min_start_goal=MIN_START_GOAL", "min_start_goal=5000"))
    no_goal = SEED_ENV + "\n\nclass CustomEnv(CustomEnv):\n    def observation(self):\n        obs = super().observation()\n" \
                         "        obs['objects'] = obs['objects'][1:]\n        return obs\n"
    assert "holds no goal" in reason(no_goal)
    bad_step = SEED_ENV + "\n\nclass CustomEnv(CustomEnv):\n    def step(self, action):\n        return None\n"
    assert "step() must return" in reason(bad_step)
    with pytest.raises(ValueError, match="at least one seed"):
        check_env(load(SEED_ENV), seeds=[])


def test_random_layouts_are_checked_on_every_seed():
    result = check_env(load(env_program(Layout(random_obstacles=15))), seeds=[0, 1, 2, 3])
    assert result.feasible and 10 <= result.measures["obstacles"] <= 15


def test_a_thousand_obstacles_are_checked_fast():
    tiles = [(x, y, 10, 10) for x in range(60, 1560, 40) for y in range(60, 1160, 40)][:1000]
    layout = Layout(width=1600, height=1200, start=(25.0, 25.0), goal=(1560.0, 1160.0), min_start_goal=0.0,
                    max_steps=2000, obstacles=tuple(tiles))
    module = load(env_program(layout))
    started = time.perf_counter()
    result = check_env(module, seeds=[0])
    assert time.perf_counter() - started < 0.5
    assert result.feasible and result.measures["obstacles"] == 1000
    assert 30 <= result.measures["narrowest_passage"] <= 70      # tiles 30 px apart: the route hugs the border
