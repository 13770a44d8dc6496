"""The Ray executor: same payoffs as the local pool, hostile programs contained, lost tasks retried."""
import dataclasses
import os
import sys

import pytest
import ray

from coevolve.domains import get_domain
from coevolve.evaluate import Evaluator
from coevolve.executors.ray import RayExecutor
from coevolve.program import Program
from coevolve.sandbox import Job, Limits, SandboxPool

TOY = os.path.join(os.path.dirname(__file__), "..", "coevolve")  # toy_domain.py
ROGUE = os.path.join(os.path.dirname(__file__), "..", "sandbox")  # rogue_zygote.py
LIMITS = Limits(seconds=3.0, memory_mb=1024)
GOOD = "def policy(seed):\n    return seed % 2\n"
HOSTILE = {
    "infinite loop": ("def policy(seed):\n    while True:\n        pass\n", "timeout after 3.0 s"),
    "memory bomb": ("def policy(seed):\n    return len(bytearray(8 * 1024**3))\n", "MemoryError"),
    "os._exit": ("import os\ndef policy(seed):\n    os._exit(7)\n", "exited with status 7"),
    "signal to the actor": ("import os, signal\ndef policy(seed):\n    os.kill(os.getppid(), signal.SIGKILL)\n",
                            "PermissionError"),
}


@pytest.fixture(scope="module")
def executors():
    """A local Ray instance with 2 CPUs, a Ray executor on it, and a local pool to compare."""
    sys.path[:0] = [TOY, ROGUE]
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    with RayExecutor(2, LIMITS, preload=("envs.minigrid",)) as remote, \
            SandboxPool(2, LIMITS, preload=("envs.minigrid",)) as local:
        yield remote, local
    ray.shutdown()
    sys.path.remove(TOY)
    sys.path.remove(ROGUE)


def episode(source, seed=1, seconds=None):
    return Job("toy_domain", "run_episode", None, source, {"seed": seed}, seconds)


def _payoffs(cell):
    """Everything of a cell but the wall-clock timing."""
    return {k: v for k, v in dataclasses.asdict(cell).items() if k != "policy_seconds_per_step"}


def test_ray_gives_the_local_pools_payoffs(executors):
    remote, local = executors
    minigrid = get_domain("minigrid")
    walker = Program("policy", "minigrid", "def policy(obs, agent_pos, agent_dir):\n    return 2\n")
    pairs = [(minigrid.seed_policy(), minigrid.seed_env()), (walker, minigrid.seed_env())]
    cells = {}
    for name, executor in (("ray", remote), ("local", local)):
        evaluator = Evaluator("envs.minigrid", executor, episodes=6, seed=3)
        cells[name] = [_payoffs(cell) for cell in evaluator.evaluate(pairs)]
    assert cells["ray"] == cells["local"]
    assert cells["ray"][0] != cells["ray"][1]  # the two policies really differ

    toy = [(Program("policy", "toy", source), Program("env", "toy", f"LEVEL = {n}\n"))
           for n, source in enumerate([GOOD, "def policy(seed):\n    return 0\n",
                                       "def policy(seed):\n    raise KeyError('x')\n"])]
    toy_cells = [[_payoffs(c) for c in Evaluator("toy_domain", executor, 25, 0).evaluate(toy)]
                 for executor in (remote, local)]
    assert toy_cells[0] == toy_cells[1]
    assert toy_cells[0][2]["errors"] == 25 and "KeyError" in toy_cells[0][2]["first_error"]


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_program_is_contained_under_ray(executors, name):
    remote, _ = executors
    source, reason = HOSTILE[name]
    results = remote.run([episode(source), *[episode(GOOD, seed) for seed in range(8)]])
    failure = results[0].error or results[0].value.error
    assert reason in failure
    assert all(r.error is None and r.value.success for r in results[1:])


PATCHER = """
import numpy as np
import minigrid.minigrid_env as me
np.argwhere = lambda *a, **k: np.zeros((0, 2), dtype=int)
me.MiniGridEnv.step = lambda self, action: (None, 0.0, False, False, {})
def policy(obs, agent_pos, agent_dir):
    return 2
"""


def test_a_monkeypatching_program_changes_no_later_pair_under_ray(executors):
    remote, local = executors
    minigrid = get_domain("minigrid")
    env, seed_policy = minigrid.seed_env(), minigrid.seed_policy()
    patcher = Program("policy", "minigrid", PATCHER)
    alone = Evaluator("envs.minigrid", local, episodes=8, seed=5).evaluate([(seed_policy, env)])[0]
    after = Evaluator("envs.minigrid", remote, episodes=8, seed=5).evaluate(
        [(patcher, env), (seed_policy, env)])[1]
    assert _payoffs(after) == _payoffs(alone) and alone.success_rate == 1.0


def test_no_free_cpu_fails_the_jobs_instead_of_hanging(executors):
    remote, _ = executors
    assert remote.run([episode(GOOD, 3)])[0].value.success  # its 2 actors hold both CPUs
    starved = RayExecutor(2, LIMITS, start_seconds=2.0)
    try:
        results = starved.run([episode(GOOD, seed) for seed in range(6)])
    finally:
        starved.close()
    assert {r.error for r in results} == {"no Ray worker could be started"}


def rogue(how, **kwargs):
    return Job("rogue_zygote", how, kwargs=kwargs)


def test_lost_actor_is_retried_once_then_recorded(executors, tmp_path):
    """A worker that takes its actor down (no program can: a broken or compromised worker)."""
    executors[0].close()  # frees the 2 CPUs of the local Ray instance for a second executor
    marker = str(tmp_path / "killed-once")
    with RayExecutor(2, Limits(seconds=3.0, sandbox="process"), worker_module="rogue_zygote") as broken:
        survived, lost, *rest = broken.run([rogue("kill_parent_once", marker=marker),
                                            rogue("kill_parent"),
                                            *[rogue("ok", value=k) for k in range(6)]])
        assert survived.error is None and survived.value == 1  # the second actor ran it
        assert lost.value is None and "ray task failed on two workers" in lost.error
        assert "ActorDied" in lost.error
        assert [r.value for r in rest] == list(range(6))
        assert broken.retried == 2
        assert broken.run([rogue("ok", value=9)])[0].value == 9  # the executor goes on


def test_hung_actor_is_replaced(executors):
    with RayExecutor(2, Limits(seconds=0.5, sandbox="process"), slack_seconds=0.5,
                     worker_module="rogue_zygote") as impatient:
        frozen, *rest = impatient.run([rogue("stop_parent"),
                                       *[rogue("ok", value=k) for k in range(4)]])
        assert frozen.value is None and "task hung" in frozen.error
        assert [r.value for r in rest] == list(range(4))
        assert impatient.replaced == 2

