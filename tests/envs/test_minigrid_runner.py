"""The MiniGrid episode runner: success, returns, bad actions, errors, seeding, traces."""
import time

import numpy as np
import pytest

from envs.minigrid import HELDOUT_IDS, SEED_ENV, format_trace, heldout_suite, run_episode, trace_path
from envs.minigrid.runner import GridEncoder, as_action, encode_grid, make_env
from tests.envs.test_minigrid_programs import GOAL_SEEKER, grid_env, load

CORRIDOR = ["######", "#>..G#", "######"]


def constant_policy(value) -> object:
    """A policy program that always returns ``value`` (given as source text)."""
    return load(f"def policy(obs, agent_pos, agent_dir):\n    return {value}\n", "policy")


def test_success_and_minigrid_return():
    result = run_episode(grid_env(CORRIDOR, max_steps=50), load(GOAL_SEEKER, "policy"), seed=0)
    assert result.success and result.error is None
    assert result.steps == 3
    assert result.ret == pytest.approx(1 - 0.9 * 3 / 50)


def test_timeout_is_a_clean_failure_with_zero_return():
    result = run_episode(grid_env(CORRIDOR, max_steps=7), constant_policy(0), seed=0)
    assert (result.success, result.ret, result.steps, result.error) == (False, 0.0, 7, None)


def test_max_steps_option_overrides_the_level():
    result = run_episode(grid_env(CORRIDOR, max_steps=50), constant_policy(1), seed=0, max_steps=4)
    assert result.steps == 4 and not result.success


def test_lava_ends_the_episode_as_failure():
    result = run_episode(grid_env(["#####", "#>LG#", "#####"]), constant_policy(2), seed=0,
                         trace=True)
    assert (result.success, result.steps, result.error) == (False, 1, None)
    assert result.trace.outcome == "lava"


@pytest.mark.parametrize("value", ["None", "7", "-1", "6", "'left'", "2.5", "True", "[2]"])
def test_bad_actions_end_the_episode_with_a_reason(value):
    result = run_episode(grid_env(CORRIDOR), constant_policy(value), seed=0)
    assert not result.success and result.steps == 0
    assert result.error.startswith("policy returned") and "0..5" in result.error


@pytest.mark.parametrize("value", ["2", "2.0", "np.int64(2)", "np.float32(2.0)", "np.array(2)"])
def test_int_like_actions_are_accepted(value):
    policy = load(f"import numpy as np\ndef policy(obs, agent_pos, agent_dir):\n    return {value}\n",
                  "policy")
    result = run_episode(grid_env(CORRIDOR), policy, seed=0)
    assert result.success and result.error is None


def test_as_action_rejects_bools_and_non_integral_floats():
    assert [as_action(v) for v in (0, 5, np.uint8(3), 4.0)] == [0, 5, 3, 4]
    assert [as_action(v) for v in (True, np.bool_(False), 1.5, "1", None, 6)] == [None] * 6


def test_policy_exception_reports_type_message_and_line():
    policy = load("def policy(obs, agent_pos, agent_dir):\n    x = 1\n    return x // 0\n", "policy")
    result = run_episode(grid_env(CORRIDOR), policy, seed=0, trace=True)
    assert not result.success
    assert result.error.startswith("policy raised ZeroDivisionError: integer division")
    assert "line 3: return x // 0" in result.error
    assert result.trace.outcome == "error" and result.trace.error == result.error


def test_environment_exception_is_a_failed_episode():
    broken = SEED_ENV.replace("self._place_ends(SEPARATION)", "self._place_ends(SEPARATION)\n"
                              "        raise RuntimeError('bad level')")
    result = run_episode(load(broken), load(GOAL_SEEKER, "policy"), seed=0)
    assert not result.success and result.steps == 0
    assert result.error.startswith("environment failed to build its level: RuntimeError: bad level")
    assert "raise RuntimeError" in result.error


def test_missing_policy_function_is_an_error():
    result = run_episode(grid_env(CORRIDOR), load("x = 1\n", "policy"), seed=0)
    assert not result.success and "defines no callable policy" in result.error


def test_policy_sees_the_full_grid_encoding_position_and_direction():
    policy = load(
        "SEEN = []\n"
        "def policy(obs, agent_pos, agent_dir):\n"
        "    SEEN.append((obs.copy(), agent_pos, agent_dir))\n"
        "    return 2\n", "policy")
    env_module = grid_env(CORRIDOR)
    run_episode(env_module, policy, seed=0)
    expected = make_env(env_module, seed=0).grid.encode()
    assert len(policy.SEEN) == 3
    assert np.array_equal(policy.SEEN[0][0], expected)
    assert [(pos, d) for _, pos, d in policy.SEEN] == [((1, 1), 0), ((2, 1), 0), ((3, 1), 0)]
    assert all(type(v) is int for _, pos, d in policy.SEEN for v in (*pos, d))


def test_fast_encoding_matches_minigrid_on_a_busy_level():
    source = SEED_ENV.replace("SIZE = 8", "SIZE = 13").replace(
        "self._place_ends(SEPARATION)", "self._place_ends(SEPARATION)\n"
        "        self._split(0.5, 'locked', 'red')\n        self._scatter('lava', 0.1)\n"
        "        self._split(0.8, 'open', 'blue')\n        self._subdivide(0.2, 0.5, 'closed')")
    env = make_env(load(source), seed=4)
    assert np.array_equal(encode_grid(env.grid), env.grid.encode())
    assert encode_grid(env.grid).dtype == env.grid.encode().dtype


def test_incremental_encoding_follows_pickups_drops_and_toggles():
    env = make_env(grid_env(["#######", "#>rD.G#", "#######"]), seed=0)
    encoder = GridEncoder(env.grid)
    for action in (3, 4, 3, 2, 5, 5, 5, 2, 2):
        env.step(action)
        assert np.array_equal(encoder.encode(env.grid), env.grid.encode()), action
    env.grid = env.grid.copy()  # a level may replace its grid mid-episode
    assert np.array_equal(encoder.encode(env.grid), env.grid.encode())


def test_policy_memory_in_function_attributes_lasts_the_episode():
    policy = load(
        "def policy(obs, agent_pos, agent_dir):\n"
        "    policy.calls = getattr(policy, 'calls', 0) + 1\n"
        "    return 2 if policy.calls > 4 else 0\n", "policy")
    result = run_episode(grid_env(CORRIDOR), policy, seed=0)
    assert result.success and result.steps == 7


def test_same_seed_same_level_and_different_seeds_differ():
    module = load(SEED_ENV)
    first, again = make_env(module, seed=11), make_env(module, seed=11)
    assert np.array_equal(first.grid.encode(), again.grid.encode())
    assert first.agent_pos == again.agent_pos and first.agent_dir == again.agent_dir
    layouts = {(make_env(module, seed).grid.encode().tobytes(), make_env(module, seed).agent_pos)
               for seed in range(6)}
    assert len(layouts) > 1


def test_global_random_generators_are_seeded_per_episode():
    source = ("import random\nimport numpy as np\n" + SEED_ENV.split("from __future__ import annotations\n")[1]
              .replace("self._place_ends(SEPARATION)",
                       "self._place_ends(SEPARATION)\n"
                       "        self.put_obj(Wall(), 2 + random.randint(0, 2), 2 + int(np.random.randint(0, 3)))"))
    module = load(source)
    assert np.array_equal(make_env(module, seed=5).grid.encode(), make_env(module, seed=5).grid.encode())


def test_policy_seconds_measures_time_inside_the_policy():
    policy = load("import time\ndef policy(obs, agent_pos, agent_dir):\n"
                  "    time.sleep(0.01)\n    return 2\n", "policy")
    result = run_episode(grid_env(CORRIDOR), policy, seed=0)
    assert 0.03 <= result.policy_seconds < 1.0


@pytest.mark.parametrize("env_id", HELDOUT_IDS)
def test_registered_heldout_ids_run_with_the_same_contract(env_id):
    started = time.perf_counter()
    result = run_episode(None, load(GOAL_SEEKER, "policy"), seed=3, env_id=env_id, max_steps=30)
    assert result.error is None and result.steps <= 30
    assert time.perf_counter() - started < 5


def test_heldout_suite_names_its_ids():
    families = heldout_suite()
    assert [family.name for family in families] == list(HELDOUT_IDS)
    assert all(f.env_sources == (None,) and f.options == {"env_id": f.name} for f in families)


def test_exactly_one_of_program_and_env_id():
    with pytest.raises(ValueError, match="exactly one"):
        make_env(None, seed=0)


def test_trace_keeps_head_tail_stall_and_path():
    policy = load("def policy(obs, agent_pos, agent_dir):\n"
                  "    policy.n = getattr(policy, 'n', 0) + 1\n"
                  "    return 2 if policy.n == 1 else 0\n", "policy")
    result = run_episode(grid_env(CORRIDOR, max_steps=200), policy, seed=0, trace=True)
    trace = result.trace
    assert (len(trace.head), len(trace.tail), trace.omitted, trace.total_steps) == (60, 60, 80, 200)
    assert trace.head[0] == (1, 1, 0, 2) and trace.head[1] == (2, 1, 0, 0)
    assert (trace.stall_cell, trace.stall_visits, trace.outcome) == ((2, 1), 199, "timeout")
    assert trace_path(trace) == [(1, 1), (2, 1)]
    text = format_trace(trace)
    assert "timeout after 200 of 200 steps" in text and "80 steps omitted" in text
    assert "most revisited cell: (2, 1)" in text
    assert "   1: (1, 1) east -> forward" in text and " 200: (2, 1) " in text
    assert len(text.splitlines()) == 2 + 1 + 60 + 1 + 60


def test_trace_of_a_short_failed_episode_names_the_error():
    result = run_episode(grid_env(CORRIDOR), constant_policy("'jump'"), seed=0, trace=True)
    text = format_trace(result.trace)
    assert "error: policy returned 'jump'" in text and "(1, 1) east -> invalid" in text
