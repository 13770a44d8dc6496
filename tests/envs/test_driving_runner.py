"""The driving runner's infractions and policy contract, the feasibility check, renders and held-out levels."""
import ast
import base64
import os
import subprocess
import types

import pytest

from coevolve.validate import validate_source
from envs.driving import ALLOWED_IMPORTS, SEED_ENV, check_env, heldout_suite, render, run_episode
from envs.driving.check import reference_policy
from envs.driving.program import Layout, env_program, read_layout
from tests.envs.test_driving_observation import EMPTY

COVOLVE = "/work/.mirror/sygkounas+Covolve/repo"


def module(source, name="program"):
    m = types.ModuleType(name)
    exec(compile(source, name, "exec"), m.__dict__)
    return m


def policy(body):
    return module(f"def policy(obs):\n    return {body}\n", "policy")


def level(**changes):
    return module(env_program(EMPTY.with_changes(**changes)))


def test_seed_programs_are_standalone_and_valid():
    assert validate_source(SEED_ENV, ("CustomEnv",), ALLOWED_IMPORTS) == []
    imported = {(n.module if isinstance(n, ast.ImportFrom) else a.name).split(".")[0]
                for n in ast.walk(ast.parse(SEED_ENV)) if isinstance(n, (ast.Import, ast.ImportFrom))
                for a in (n.names if isinstance(n, ast.Import) else [n])}
    assert imported == {"math", "numpy", "highway_env"}
    assert read_layout(SEED_ENV) == Layout()


def test_the_reference_driver_completes_the_seed_route_on_the_check_seeds():
    check = check_env(module(SEED_ENV), seeds=[0, 1, 2])
    assert check.feasible, check.reason
    for key in ("route_length", "intersections", "lights", "vehicles", "vehicle_density", "pedestrians",
                "crossing_rate", "brake_checkers_rate", "red_runners_rate", "intruders_rate", "burst_rate",
                "reference_time_s"):
        assert key in check.measures
    assert check.measures["lights"] == 2 and 20.0 < check.measures["reference_time_s"] < 90.0


def test_an_unpassable_level_is_rejected_with_the_seed_infraction_and_place():
    check = check_env(level(max_steps=100), seeds=[0, 1])
    assert not check.feasible
    assert check.reason.startswith("seed 0: the reference driver did not complete the route: timeout at route metre")


def test_infractions_end_the_episode_and_are_recorded():
    parked = run_episode(level(parked=1, parked_intrusion=2.5), policy("(0.0, 1.0, 0.0)"), seed=0)
    assert parked.trace["infraction"] == "collision" and parked.trace["where"]["with"] == "parked car"
    red = run_episode(level(lights=(0,), light_cycle=(1.0, 1.0, 500.0)), policy("(0.0, 0.6, 0.0)"), seed=3)
    assert red.trace["infraction"] in ("red_light",), red.trace
    off = run_episode(level(), policy("(1.0, 0.5, 0.0)"), seed=0)
    assert off.trace["infraction"] == "off_road" and not off.success
    stuck = run_episode(level(max_steps=60), policy("(0.0, 0.0, 1.0)"), seed=0)
    assert (stuck.trace["infraction"], stuck.steps, stuck.success) == ("timeout", 60, False)
    done = run_episode(level(), reference_policy(), seed=0, trace=True)
    assert done.success and done.trace["infraction"] is None and done.trace["progress"] > 0.95
    assert len(done.trace["path"]) > 10 and all(isinstance(v, float) for v in done.trace["path"][-1])


def test_the_light_cycle_decides_red_light_violations():
    green = run_episode(level(lights=(0,), light_cycle=(500.0, 1.0, 1.0)), policy("(0.0, 0.6, 0.0)"), seed=3)
    assert green.success, green.trace


def test_policy_contract_class_with_path_bad_actions_and_errors():
    seen = []
    program = module("class Policy:\n    def compute_action(self, obs, path):\n        seen.append(path)\n"
                     "        return [0.0, 0.0, 1.0]\n", "policy")
    program.seen = seen
    result = run_episode(level(max_steps=3), program, seed=0)
    assert result.error is None and result.steps == 3 and len(seen[0]) > 100 and seen[0][0] == [0.0, 0.0]
    assert "three finite numbers" in run_episode(level(), policy("(0.0, float('nan'), 0.0)"), seed=0).error
    assert "policy raised ZeroDivisionError" in run_episode(level(), policy("1 / 0"), seed=0).error
    assert "must define `policy(obs)` or `class Policy`" in run_episode(level(), module("x = 1"), seed=0).error


def test_episodes_are_seeded():
    first, again = (run_episode(module(SEED_ENV), reference_policy(), seed=5, trace=True) for _ in range(2))
    assert first.trace == again.trace and first.steps == again.steps


def test_render_returns_png_content_with_the_path_and_infraction():
    trace = run_episode(level(parked=1, parked_intrusion=2.5), policy("(0.0, 1.0, 0.0)"), seed=0, trace=True).trace
    env = level(parked=1, parked_intrusion=2.5)
    png = base64.b64decode(render(env, 0, trace))
    assert png.startswith(b"\x89PNG") and png != base64.b64decode(render(env, 0, None))


def test_heldout_town_is_denser_and_its_levels_are_valid_programs():
    families = heldout_suite()
    assert [f.name for f in families] == ["town_dense_grid", "town_crossings", "town_narrow"]
    seed = read_layout(SEED_ENV)
    for family in families:
        for source in family.env_sources:
            layout = read_layout(source)
            assert len(layout.turns) > len(seed.turns) and layout.turn_radius < seed.turn_radius
            assert sum(layout.blocks) / len(layout.blocks) < sum(seed.blocks) / len(seed.blocks)
    check = check_env(module(families[0].env_sources[0]), seeds=[0])
    assert check.feasible, check.reason


def _covolve_policy():
    if not os.path.isdir(COVOLVE):
        pytest.skip("no fetched snapshot of sygkounas/Covolve")
    return subprocess.run(["git", "-C", COVOLVE, "show", "HEAD:Results/carla/policy/policy.txt"],
                          capture_output=True, text=True, check=True).stdout


def test_covolves_released_carla_policy_drives_the_seed_route_unchanged():
    source = _covolve_policy()
    for seed in (0, 1):
        result = run_episode(module(SEED_ENV), module(source, "policy"), seed=seed)
        assert result.error is None and result.success, result.trace
