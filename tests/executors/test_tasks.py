"""Splitting jobs into tasks of (policy, environment, chunk of episodes); choosing an executor."""
import os
import socket
import subprocess
import sys

import pytest

from coevolve.errors import UserInputError
from coevolve.executors import make_executor
from coevolve.executors.tasks import pair_of, plan_tasks
from coevolve.sandbox import Job, SandboxPool


def jobs_of(*sizes):
    """Consecutive runs of episodes, one run per pair, ``sizes[k]`` episodes in pair k."""
    return [Job("m", "run_episode", f"E{k}", f"P{k}", {"seed": i})
            for k, n in enumerate(sizes) for i in range(n)]


@pytest.mark.parametrize("sizes, slots", [((100,), 2), ((10, 10, 10), 2), ((1, 50, 3, 7), 4),
                                          ((5,), 8), ((), 2), ((3, 3), 1)])
def test_tasks_cover_every_job_once_in_order_and_never_mix_pairs(sizes, slots):
    jobs = jobs_of(*sizes)
    tasks = plan_tasks(jobs, slots)
    assert [i for task in tasks for i in task] == list(range(len(jobs)))
    assert all(len({pair_of(jobs[i]) for i in task}) == 1 for task in tasks)
    limit = max(1, -(-len(jobs) // (slots * 4)))
    assert all(0 < len(task) <= limit for task in tasks)


def test_one_slow_pair_is_spread_over_all_slots():
    tasks = plan_tasks(jobs_of(2, 100, 2), slots=2, per_slot=4)
    big = [task for task in tasks if len(task) > 2]
    assert len(big) >= 2 * 4 - 2  # the 100 episodes of the middle pair are cut for 8 slots
    assert max(map(len, big)) - min(map(len, big)) <= 1  # near-equal chunks


def test_bad_slot_counts_are_refused():
    with pytest.raises(ValueError, match="at least 1"):
        plan_tasks(jobs_of(3), slots=0)


def test_make_executor_local_and_user_errors():
    pool = make_executor("local", 2)
    assert isinstance(pool, SandboxPool) and pool.size == 2
    with pytest.raises(UserInputError, match="unknown executor 'dask'"):
        make_executor("dask")
    with pytest.raises(UserInputError, match="--ray-address needs --executor ray"):
        make_executor("local", address="auto")


BLOCK_RAY = """
import importlib.abc, sys
class NoRay(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "ray" or name.startswith("ray."):
            raise ModuleNotFoundError("No module named 'ray'", name="ray")
sys.meta_path.insert(0, NoRay())
from coevolve.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_executor_ray_without_ray_installed_is_one_clear_error(tmp_path):
    out = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-c", BLOCK_RAY, "run", "--domain", "minigrid", "--executor", "ray",
         "--iterations", "0", "--out", str(out), "--quiet"],
        capture_output=True, text=True, timeout=120, cwd=str(tmp_path),
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'coevolve[ray]'" in lines[0], done.stderr
    assert not out.exists()  # refused before anything was written


def test_unreachable_or_malformed_ray_address_is_a_user_error():
    from coevolve.executors.ray import check_reachable
    with socket.socket() as probe:  # a port nobody listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(UserInputError, match=f"cannot reach the Ray cluster at 127.0.0.1:{port}"):
        check_reachable(f"127.0.0.1:{port}", seconds=2)
    with pytest.raises(UserInputError, match="not auto, HOST:PORT or ray://HOST:PORT"):
        check_reachable("head-node")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        check_reachable(f"ray://127.0.0.1:{server.getsockname()[1]}")  # answers: no error
