"""The MiniGrid reference solver: the feasibility search's plan, played as a policy."""
import pytest

from coevolve.domains import get_domain
from coevolve.evaluate import Evaluator
from coevolve.program import Program
from coevolve.sandbox import SandboxPool
from envs.minigrid import run_episode
from envs.minigrid.levels import check_env, generate, plan, search, solve
from envs.minigrid.runner import make_env
from tests.envs.test_minigrid_levels import simulator_shortest
from tests.envs.test_minigrid_programs import grid_env, grid_source, load

KEY_SWAP = ["########",
            "#>.B.RG#",
            "#b#.####",
            "###r####",
            "########"]
"""The blue key opens the way to the red key, which lies down a dead end: the carried blue key
must be dropped, and dropping it in front (the shortest plan, since the search lets a dropped key
vanish) blocks the dead end or the corridor."""

KEY_BARS_THE_CORRIDOR = ["########",
                         "#.#.####",
                         "#>rbBRG#",
                         "########"]
"""The red key bars the corridor to the blue key, and the red door lies past the blue one: the
red key must be put down in a pocket and fetched again, which a search that lets a dropped key
vanish finds impossible."""

LEVELS = [["#####", "#>.G#", "#####"],
          ["######", "#>#.G#", "#.D..#", "######"],
          ["#######", "#>.b#.#", "#..#.G#", "#..B..#", "#######"],
          KEY_BARS_THE_CORRIDOR]


def replay(env_module, actions) -> bool:
    """Whether taking ``actions`` in the real level reaches the goal."""
    env = make_env(env_module, seed=0)
    for action in actions:
        _, reward, terminated, _, _ = env.step(action)
        if terminated:
            return reward > 0
    return False


@pytest.mark.parametrize("rows", LEVELS)
def test_the_plan_is_a_shortest_solution_of_the_real_level(rows):
    env_module = grid_env(rows)
    actions = plan(generate(env_module, 0))
    assert len(actions) == simulator_shortest(env_module)
    assert replay(env_module, actions)


def test_the_search_alone_would_block_its_own_way_with_a_dropped_key():
    env_module = grid_env(KEY_SWAP)
    assert not replay(env_module, plan(generate(env_module, 0)))


def test_a_key_put_down_to_fetch_another_is_fetched_again():
    env_module = grid_env(KEY_BARS_THE_CORRIDOR)
    level = generate(env_module, 0)
    assert search(level).length is None  # dropped keys vanish: the red one is lost
    assert solve(level).length == simulator_shortest(env_module)
    assert check_env(env_module, seeds=[0]).feasible


def fresh_reference():
    """The reference policy as a fresh module (every episode executes the program afresh)."""
    return load(get_domain("minigrid").reference_policy().source, "policy")


@pytest.mark.parametrize("rows", [KEY_SWAP, *LEVELS])
def test_the_reference_solves_levels_that_need_keys_doors_and_a_key_swap(rows):
    result = run_episode(grid_env(rows), fresh_reference(), seed=0)
    assert result.success and result.error is None


def test_the_reference_plays_in_the_sandbox_with_a_fresh_memory_each_episode():
    """12 episodes play 3 to a program process: the module is imported once per process, and
    each episode still starts without the last one's plan."""
    program = get_domain("minigrid").reference_policy()
    assert "sha256" in program.source and program.origin.designer == "reference"
    env = Program("env", "minigrid", grid_source(KEY_SWAP))
    with SandboxPool(1) as pool:
        cell = Evaluator("envs.minigrid", pool, 12, 0, reuse=False).evaluate([(program, env)])[0]
    assert cell.success_rate == 1.0 and cell.errors == 0

