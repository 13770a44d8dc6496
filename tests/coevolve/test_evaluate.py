"""Evaluation: common random numbers, caching, failures folded into cells."""
import os
import sys

import pytest

from coevolve.evaluate import Evaluator, ResultCache, episode_seed
from coevolve.program import Program
from coevolve.sandbox import Limits, SandboxPool

HERE = os.path.dirname(__file__)
PARITY = Program("policy", "toy", "def policy(seed):\n    return seed % 2\n")
ZERO = Program("policy", "toy", "def policy(seed):\n    return 0\n")
BROKEN = Program("policy", "toy", "def policy(seed):\n    raise KeyError('x')\n")
ENV_A = Program("env", "toy", "A = 1\n")
ENV_B = Program("env", "toy", "B = 2\n")


class CountingPool(SandboxPool):
    """A real pool that counts the jobs it ran."""

    jobs_run = 0

    def run(self, jobs, progress=None):
        self.jobs_run += len(jobs)
        return super().run(jobs, progress)


@pytest.fixture(scope="module")
def pool():
    sys.path.insert(0, HERE)
    with CountingPool(workers=2, limits=Limits(seconds=5, memory_mb=1024)) as pool:
        yield pool
    sys.path.remove(HERE)


def test_episode_seeds_depend_on_env_and_index_only():
    assert episode_seed("a", 0, 1) == episode_seed("a", 0, 1)
    assert episode_seed("a", 0, 1) != episode_seed("a", 0, 2)
    assert episode_seed("a", 0, 1) != episode_seed("b", 0, 1)


def test_cells_and_cache(pool, tmp_path):
    cache = ResultCache(str(tmp_path / "cache.jsonl"))
    evaluator = Evaluator("toy_domain", pool, episodes=20, seed=0, cache=cache)
    before = pool.jobs_run
    parity, zero, broken = evaluator.evaluate([(PARITY, ENV_A), (ZERO, ENV_A), (BROKEN, ENV_B)])
    assert pool.jobs_run - before == 60
    assert parity.success_rate == 1.0 and parity.errors == 0
    seeds = [episode_seed(ENV_A.sha256, 0, i) for i in range(20)]
    assert zero.success_rate == sum(s % 2 == 0 for s in seeds) / 20
    assert broken.success_rate == 0 and broken.errors == 20 and "KeyError" in broken.first_error
    again = evaluator.evaluate([(PARITY, ENV_A), (BROKEN, ENV_B)])
    assert pool.jobs_run - before == 60  # all cached
    assert again == [parity, broken]
    reloaded = Evaluator("toy_domain", pool, 20, 0, ResultCache(cache.path))
    assert reloaded.evaluate([(ZERO, ENV_A)]) == [zero]
    assert pool.jobs_run - before == 60  # cache survived on disk


def test_torn_cache_line_is_ignored(tmp_path):
    path = tmp_path / "cache.jsonl"
    path.write_text('{"key": ["a", "b", 1, 0], "cell": {"success_rate": 1.0, "mean_return": 1.0, '
                    '"mean_steps": 1.0, "episodes": 1, "errors": 0, "first_error": null, '
                    '"policy_seconds_per_step": 0.0}}\n{"key": ["a", "c"')
    assert len(ResultCache(str(path))) == 1
