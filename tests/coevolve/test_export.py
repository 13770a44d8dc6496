"""Exporting a run's MSNE meta-policy: the module, the object, and the command."""
import ast
import collections
import os
import subprocess
import sys
import types

import numpy as np
import pytest

import coevolve
from coevolve.cli import main
from coevolve.errors import UserInputError
from coevolve.export import _readable_string, meta_policy_source, write_meta_policy
from coevolve.program import source_sha256
from coevolve.store import RunStore
from envs.minigrid import SEED_ENV
from envs.minigrid.runner import run_episode
from envs.pygame_nav import SEED_ENV as PYGAME_SEED_ENV
from policies.minigrid import SEED_POLICY
from policies.minigrid.catalogue import assemble_policy
from policies.minigrid.mutations import mutate_policy
from policies.pygame_nav import SEED_POLICY as PYGAME_SEED_POLICY

DOORS = assemble_policy(["open_door_ahead", "get_key", "plan_to_goal", "open_nearest_door"])
# two programs with the same global names: each must keep its own
SAME_NAMES = ['SIDE = 0\n\ndef policy(obs, agent_pos, agent_dir):\n    return SIDE\n',
              'SIDE = 1\n\ndef policy(obs, agent_pos, agent_dir):\n    return SIDE\n']


def write_run(root, domain: str, policies: list[str], weights: list[float]) -> None:
    """A run directory as the loop writes it: one archived policy per iteration, the last
    iteration's MSNE over them given by ``weights``."""
    store = RunStore(root)
    store.create({"domain": domain, "designer": "offline", "seed": 0})
    for t, source in enumerate(policies):
        entry = {"label": f"policy_{t:04d}", "file": store.save_program("policy", t, source),
                 "sha256": source_sha256(source)}
        msne = {f"policy_{i:04d}": (weights[i] if t == len(policies) - 1 else 1.0 / (t + 1))
                for i in range(t + 1)}
        store.append_iteration({"iteration": t, "policy": entry, "env": None, "msne": msne})


@pytest.fixture(scope="module")
def minigrid_run(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("run"))
    mutant = mutate_policy(SEED_POLICY, np.random.default_rng(1))[0]
    write_run(root, "minigrid", [SEED_POLICY, mutant, DOORS], [0.75, 0.0, 0.25])
    return root


def exported(root, iteration=None) -> types.ModuleType:
    module = types.ModuleType("exported")
    exec(compile(meta_policy_source(root, iteration), "exported", "exec"), module.__dict__)
    return module


def test_the_module_holds_the_support_with_its_weights_and_exact_sources(minigrid_run):
    module = exported(minigrid_run)
    assert module.DOMAIN == "minigrid"
    assert module.WEIGHTS == {"policy_0000": 0.75, "policy_0002": 0.25}  # zero weight left out
    assert module.SOURCES["policy_0000"] == SEED_POLICY
    assert module.SOURCES["policy_0002"] == DOORS
    assert exported(minigrid_run, iteration=0).WEIGHTS == {"policy_0000": 1.0}


def test_sources_with_quotes_and_backslashes_come_back_exactly(tmp_path):
    tricky = ('"""doc with \\n and \'\'\' and a \\"quote\\""""\nX = "\\\\"\n'
              'def policy(obs, agent_pos, agent_dir):\n    return len(X) + 1  # ends in a quote "')
    tricky += '"'
    write_run(str(tmp_path), "minigrid", [tricky], [1.0])
    assert exported(str(tmp_path)).SOURCES["policy_0000"] == tricky
    assert ast.literal_eval(_readable_string("a\rb\x00")) == "a\rb\x00"


def test_one_policy_per_episode_sampled_by_weight_from_the_seed(minigrid_run):
    module = exported(minigrid_run)
    def labels(seed, episodes):
        meta = module.MetaPolicy(seed=seed)
        return [meta.sample() for _ in range(episodes)]
    meta = module.MetaPolicy(seed=7)
    assert [meta.reset(seed=e) for e in range(20)] == labels(7, 20)
    counts = collections.Counter(labels(7, 4000))
    assert abs(counts["policy_0000"] / 4000 - 0.75) < 0.03
    assert labels(7, 50) == labels(7, 50) != labels(8, 50)


def test_programs_with_the_same_globals_do_not_collide(tmp_path):
    write_run(str(tmp_path), "minigrid", SAME_NAMES, [0.5, 0.5])
    module = exported(str(tmp_path))
    meta = module.MetaPolicy(seed=0)
    for episode in range(20):
        label = meta.reset(seed=episode)
        assert meta(None, (1, 1), 0) == int(label[-1])


def test_acting_before_reset_is_an_error(minigrid_run):
    with pytest.raises(RuntimeError, match="reset"):
        exported(minigrid_run).MetaPolicy()(None, (1, 1), 0)


def test_playing_a_level_matches_the_harness_episode(minigrid_run):
    module = exported(minigrid_run, iteration=0)  # only the seed policy
    env_program = types.ModuleType("level")
    exec(SEED_ENV, env_program.__dict__)
    policy_program = types.ModuleType("policy")
    exec(SEED_POLICY, policy_program.__dict__)
    for seed in range(3):
        harness = run_episode(env_program, policy_program, seed=seed)
        played = module.MetaPolicy().play(env_program.CustomEnv(), seed=seed)
        assert (played["success"], played["steps"]) == (harness.success, harness.steps)
        assert played["return"] == pytest.approx(harness.ret)


def test_a_pygame_meta_policy_plays_a_gymnasium_arena(tmp_path):
    write_run(str(tmp_path), "pygame", [PYGAME_SEED_POLICY], [1.0])
    meta = coevolve.load_meta_policy(str(tmp_path))
    level = types.ModuleType("level")
    exec(PYGAME_SEED_ENV, level.__dict__)
    results = [meta.play(level.CustomEnv(), seed=s) for s in range(2)]
    assert all(r["success"] for r in results) and all(r["steps"] > 0 for r in results)


BLOCKER = """
import sys
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"coevolve", "envs", "policies", "solvers"}:
            raise ImportError("the exported module imported " + name)
sys.meta_path.insert(0, Blocker())
sys.path.insert(0, sys.argv[1])
import gymnasium as gym, minigrid
from meta_policy import MetaPolicy
meta = MetaPolicy(seed=0)
meta.sample = lambda: "policy_0002"  # the one that opens doors
for env_id in ("MiniGrid-Empty-5x5-v0", "MiniGrid-DoorKey-5x5-v0"):
    print(env_id, [meta.play(gym.make(env_id), seed=s)["success"] for s in range(3)])
"""


def test_the_exported_file_runs_in_a_fresh_isolated_interpreter(minigrid_run, tmp_path):
    write_meta_policy(minigrid_run, str(tmp_path / "meta_policy.py"))
    result = subprocess.run([sys.executable, "-I", "-c", BLOCKER, str(tmp_path)],
                            capture_output=True, text=True, cwd=str(tmp_path), timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["MiniGrid-Empty-5x5-v0 [True, True, True]",
                                          "MiniGrid-DoorKey-5x5-v0 [True, True, True]"]


def test_the_command_writes_the_module_into_the_run(minigrid_run, capsys):
    assert main(["export", minigrid_run]) == 0
    path = os.path.join(minigrid_run, "meta_policy.py")
    assert "meta-policy" in capsys.readouterr().err and os.path.isfile(path)
    with open(path) as handle:
        assert handle.read() == meta_policy_source(minigrid_run)


@pytest.mark.parametrize("argv, message", [
    (["export", "/no/such/run"], "is not a directory"),
    (["export", "{run}", "--iteration", "9"], "has no iteration 9 (logged: 0..2)"),
    (["export", "{run}", "--out", "{run}"], "is a directory"),
])
def test_bad_input_is_one_line_and_status_2(minigrid_run, capsys, argv, message):
    argv = [a.format(run=minigrid_run) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_tampered_archive_is_refused(tmp_path):
    write_run(str(tmp_path), "minigrid", [SEED_POLICY], [1.0])
    with open(tmp_path / "programs" / "policy_0000.py", "a") as handle:
        handle.write("# edited\n")
    with pytest.raises(UserInputError, match="modified after it was archived"):
        meta_policy_source(str(tmp_path))


def test_a_directory_without_iterations_is_refused(tmp_path):
    RunStore(str(tmp_path)).create({"domain": "minigrid"})
    with pytest.raises(UserInputError, match="no finished iteration"):
        meta_policy_source(str(tmp_path))
