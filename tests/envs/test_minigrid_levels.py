"""The MiniGrid level checker: shortest solutions, infeasibility reasons, contract checks, measures."""
import time

import numpy as np
import pytest
from minigrid.core.grid import Grid
from minigrid.core.world_object import WorldObj

from envs.minigrid import SEED_ENV, check_env
from envs.minigrid.levels import generate, solve
from envs.minigrid.runner import make_env
from tests.envs.test_minigrid_programs import grid_env, load


def simulator_shortest(env_module, limit: int = 40) -> int | None:
    """Independent oracle: breadth-first search stepping the real MiniGrid environment."""
    env = make_env(env_module, seed=0)
    env.max_steps, env.gen_obs = 10**6, lambda: None
    shape = (env.width, env.height, 3)
    start = _state(env)
    frontier, seen = [start], {start}
    for depth in range(1, limit + 1):
        following = []
        for state in frontier:
            for action in range(6):
                _restore(env, state, shape)
                _, reward, terminated, _, _ = env.step(action)
                if terminated and reward > 0:
                    return depth
                if not terminated and _state(env) not in seen:
                    seen.add(_state(env))
                    following.append(_state(env))
        frontier = following
    return None


def _state(env):
    carrying = None if env.carrying is None else env.carrying.encode()
    return tuple(env.agent_pos), env.agent_dir, carrying, env.grid.encode().tobytes()


def _restore(env, state, shape):
    pos, direction, carrying, grid = state
    env.grid, _ = Grid.decode(np.frombuffer(grid, dtype=np.uint8).reshape(shape))
    env.agent_pos, env.agent_dir = pos, direction
    env.carrying = None if carrying is None else WorldObj.decode(*carrying)


def length(rows, **kwargs) -> int | None:
    return solve(generate(grid_env(rows, **kwargs), seed=0)).length


@pytest.mark.parametrize("rows, expected", [
    (["######", "#>..G#", "######"], 3),
    (["######", "#<..G#", "######"], 5),   # two turns first
    (["######", "#^..G#", "######"], 4),   # one turn first
    (["#####", "#>..#", "#.#.#", "#..G#", "#####"], 5),
    (["#######", "#>.D.G#", "#######"], 5),  # toggle the closed door on the way
])
def test_known_shortest_solutions_with_turning(rows, expected):
    assert length(rows) == expected


@pytest.mark.parametrize("rows", [
    ["######", "#.r#G#", "#>.R.#", "######"],                       # key, locked door, goal
    ["#######", "#>.D..#", "#.###.#", "#...DG#", "#######"],        # two closed doors, a loop
    ["#######", "#>.L..#", "#.....#", "#..L.G#", "#######"],        # lava to steer around
])
def test_search_agrees_with_a_search_over_the_real_simulator(rows):
    assert length(rows) == simulator_shortest(grid_env(rows))


def test_dropped_keys_vanish_so_lengths_needing_a_drop_are_lower_bounds():
    # MiniGrid needs 18 actions: the red key must be dropped where it does not block the way.
    assert length(["########", "#r.#b#G#", "#>.R.B.#", "########"]) == 16


def test_sequential_locked_doors_are_feasible_with_their_measures():
    check = check_env(grid_env(["########", "#r.#b#G#", "#>.R.B.#", "########"]), seeds=[0, 1])
    assert check.feasible and check.reason is None
    assert check.measures["locked_doors"] == 2 and check.measures["keys"] == 2
    assert check.measures["solution_length_min"] == check.measures["solution_length_max"] > 10


def test_two_keys_in_one_room_need_carrying_one_at_a_time():
    rows = ["#########", "#rb#.#.G#", "#>..R.B.#", "#########"]
    assert length(rows) is not None


def test_locked_door_without_its_key_is_infeasible_with_a_reason():
    check = check_env(grid_env(["#######", "#>.R.G#", "#######"]), seeds=[3])
    assert not check.feasible
    assert check.reason.startswith("seed 3: goal unreachable: the way crosses a locked red door at (3, 1)")
    assert "no red key" in check.reason and "1 of 1 seeds" in check.reason


def test_key_locked_behind_its_own_door_is_infeasible_with_a_reason():
    check = check_env(grid_env(["########", "#>.R.rG#", "########"]), seeds=[0])
    assert not check.feasible
    assert "no red key is reachable" in check.reason and "(5, 1)" in check.reason


def test_wrong_colour_key_does_not_open_the_door():
    assert length(["#######", "#>bR.G#", "#######"]) is None


def test_walled_off_goal_and_lava_only_paths_have_their_own_reasons():
    walled = check_env(grid_env(["#######", "#>.#.G#", "#######"]), seeds=[0])
    assert "cut the agent at (1, 1) off from every goal" in walled.reason
    lava = check_env(grid_env(["#######", "#>.L.G#", "#######"]), seeds=[0])
    assert "crosses lava" in lava.reason


def test_level_needing_more_than_max_steps_is_rejected():
    check = check_env(grid_env(["########", "#>....G#", "########"], max_steps=4), seeds=[0])
    assert not check.feasible and "takes 5 actions but max_steps is 4" in check.reason


@pytest.mark.parametrize("rows, reason", [
    (["#####", "#>..#", "#####"], "places no goal"),
    (["#####", "#..G#", "#####"], "places no agent"),
])
def test_missing_goal_or_agent(rows, reason):
    check = check_env(grid_env(rows), seeds=[0])
    assert not check.feasible and reason in check.reason


def test_agent_on_a_wall_is_rejected():
    source = SEED_ENV.replace("self._place_ends(SEPARATION)",
                              "self._place_ends(SEPARATION)\n        self.agent_pos = (0, 0)")
    check = check_env(load(source), seeds=[2])
    assert not check.feasible and check.reason == "seed 2: places the agent on a wall at (0, 0)"


def test_program_errors_are_reasons_not_crashes():
    raising = SEED_ENV.replace("self._place_ends(SEPARATION)", "self._place_ends(SEPARATION / 0)")
    check = check_env(load(raising), seeds=[0])
    assert check.reason.startswith("seed 0: _gen_grid failed: ZeroDivisionError")
    assert "line" in check.reason
    needs_argument = SEED_ENV.replace("def __init__(self, **kwargs):", "def __init__(self, size, **kwargs):")
    assert "CustomEnv() failed: TypeError" in check_env(load(needs_argument), seeds=[0]).reason
    assert "must define class CustomEnv" in check_env(load("x = 1\n"), seeds=[0]).reason


def test_measures_count_the_level_contents():
    rows = ["########", "#>.r.L.#", "####D###", "#G.R...#", "########"]
    check = check_env(grid_env(rows), seeds=[0])
    assert check.feasible, check.reason
    measures = check.measures
    assert (measures["width"], measures["height"]) == (8, 5)
    assert measures["walls"] == 8 + 8 + 7 + 2 + 2
    assert (measures["closed_doors"], measures["locked_doors"], measures["keys"], measures["lava"]) == (1, 1, 1, 1)
    assert measures["start_goal_distance"] == 2
    assert measures["solution_length"] == simulator_shortest(grid_env(rows))


def test_seeds_must_be_given():
    with pytest.raises(ValueError, match="at least one seed"):
        check_env(load(SEED_ENV), seeds=[])


def test_a_big_level_with_three_locked_doors_checks_fast():
    source = SEED_ENV.replace("SIZE = 8", "SIZE = 25").replace(
        "self._place_ends(SEPARATION)", "self._place_ends(SEPARATION)\n"
        "        self._split(0.25, 'locked', 'red')\n        self._split(0.5, 'locked', 'blue')\n"
        "        self._split(0.75, 'locked', 'yellow')\n        self._scatter('wall', 0.1)")
    module = load(source)
    started = time.perf_counter()
    check = check_env(module, seeds=range(5))
    elapsed = time.perf_counter() - started
    assert check.feasible and check.measures["locked_doors"] == 3
    assert elapsed < 2.0  # 0.15-0.25 s on an idle 2-core machine (budget 0.5 s); slack for load
