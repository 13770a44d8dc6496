"""Hostile programs are contained by the sandbox, with the reason recorded, and the pool goes on."""
import os
import time

import pytest

from coevolve.sandbox import Job, Limits, SandboxPool, worker_environment
from coevolve.validate import validate_source

HERE = os.path.join(os.path.dirname(__file__), "..", "coevolve")  # toy_domain.py
GOOD = "def policy(seed):\n    return seed % 2\n"

HOSTILE = {
    "infinite loop": ("def policy(seed):\n    while True:\n        pass\n", "timeout after"),
    "memory bomb": ("def policy(seed):\n    return len(bytearray(8 * 1024**3))\n", "MemoryError"),
    "unbounded recursion": ("def policy(seed):\n    return policy(seed)\n", "RecursionError"),
    "exception": ("def policy(seed):\n    raise ValueError('boom')\n", "ValueError: boom"),
    "sys.exit": ("import sys\ndef policy(seed):\n    sys.exit(3)\n", "SystemExit: 3"),
    "os._exit ends the program process": ("import os\ndef policy(seed):\n    os._exit(7)\n",
                                          "program process exited with status 7"),
    "segfault": ("import ctypes\ndef policy(seed):\n    return ctypes.string_at(0)\n",
                 "program process died: signal SIGSEGV"),
    "slow import": ("import time\ntime.sleep(10)\ndef policy(seed):\n    return 0\n",
                    "timeout after"),
}


@pytest.fixture(scope="module", params=["bwrap", "process"])
def pool(request):
    import sys
    sys.path.insert(0, HERE)
    with SandboxPool(workers=2, limits=Limits(seconds=3.0, memory_mb=1024, sandbox=request.param),
                     preload=("toy_domain",)) as pool:
        yield pool
    sys.path.remove(HERE)


def episode(source, seed=1, seconds=None):
    return Job("toy_domain", "run_episode", None, source, {"seed": seed}, seconds)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_program_is_contained_and_pool_goes_on(pool, name):
    source, reason = HOSTILE[name]
    results = pool.run([episode(source), episode(GOOD, 3), episode(GOOD, 4)])
    assert results[0].value is None
    assert reason in results[0].error
    assert [r.value.success for r in results[1:]] == [True, True]


def test_wrong_action_type_is_a_failed_episode(pool):
    result = pool.run([episode("def policy(seed):\n    return 'left'\n")])[0]
    assert result.error is None
    assert result.value.success is False and "str" in result.value.error


def test_printing_megabytes_goes_nowhere(pool):
    source = "def policy(seed):\n    for _ in range(50):\n        print('x' * 100_000)\n    return seed % 2\n"
    result = pool.run([episode(source, 5)])[0]
    assert result.error is None and result.value.success


def test_api_keys_are_scrubbed(pool, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://example")
    monkeypatch.setenv("MY_SERVICE_TOKEN", "t0ken")
    monkeypatch.setenv("HARMLESS", "yes")
    source = ("import os\ndef result():\n    return {k: v for k, v in os.environ.items()"
              " if k in ('OPENAI_API_KEY', 'OPENAI_BASE_URL', 'MY_SERVICE_TOKEN', 'HARMLESS')}\n")
    with SandboxPool(workers=1, limits=Limits(seconds=10, sandbox=pool.sandbox_mode)) as fresh:
        seen = fresh.run([Job("toy_domain", "call", None, source)])[0].value
    assert seen == {"HARMLESS": "yes"}
    assert "OPENAI_API_KEY" not in worker_environment([])


def test_per_job_limit_overrides_pool_limit(pool):
    slow = "import time\ndef policy(seed):\n    time.sleep(1.5)\n    return seed % 2\n"
    quick, patient = pool.run([episode(slow, 1, seconds=0.5), episode(slow, 1, seconds=5)])
    assert "timeout after 0.5" in quick.error
    assert patient.value.success


def test_episodes_spread_over_workers(pool):
    slow = "import time\ndef policy(seed):\n    time.sleep(0.4)\n    return seed % 2\n"
    pool.run([episode(GOOD, i) for i in range(4)])  # both workers started (not timed)
    start = time.monotonic()
    results = pool.run([episode(slow, i) for i in range(4)])
    assert all(r.value is not None for r in results)
    assert time.monotonic() - start < 1.5  # 4 x 0.4 s on 2 workers is ~0.8 s, serially 1.6 s


def test_results_come_back_in_job_order(pool):
    results = pool.run([episode(GOOD, seed) for seed in range(50)])
    assert [r.value.ret for r in results] == [float(seed % 2) for seed in range(50)]


def test_a_group_shares_one_process_and_a_failure_restarts_the_rest():
    """Jobs of one group see each other's module changes; after a crash the rest go on fresh."""
    import sys
    sys.path.insert(0, HERE)
    counter = ("import collections\ndef result():\n    collections.seen = getattr(collections, 'seen', 0) + 1\n"
               "    return collections.seen\n")
    crash = "import os\ndef result():\n    os._exit(1)\n"
    jobs = [Job("toy_domain", "call", None, counter, group="a"),
            Job("toy_domain", "call", None, counter, group="a"),
            Job("toy_domain", "call", None, crash, group="a"),
            Job("toy_domain", "call", None, counter, group="a"),
            Job("toy_domain", "call", None, counter, group="b"),
            Job("toy_domain", "call", None, counter)]
    with SandboxPool(workers=1, limits=Limits(seconds=10)) as one:
        results = one.run(jobs)
    sys.path.remove(HERE)
    assert [r.value for r in results] == [1, 2, None, 1, 1, 1]
    assert "exited with status 1" in results[2].error


@pytest.mark.parametrize("source, fragment", [
    ("import os\ndef policy(o, p, d):\n    os.system('ls')\n", "import of `os`"),
    ("import subprocess\ndef policy(o, p, d):\n    return 0\n", "import of `subprocess`"),
    ("import socket\ndef policy(o, p, d):\n    return 0\n", "import of `socket`"),
    ("def policy(o, p, d):\n    return eval('1')\n", "`eval` is not allowed"),
    ("def policy(o, p, d):\n    return open('/etc/passwd').read()\n", "`open` is not allowed"),
    ("def policy(o, p, d):\n    return ().__class__.__bases__[0].__subclasses__()\n",
     "attribute `__subclasses__`"),
    ("def policy(o, p, d)\n    return 0\n", "syntax error at line 1"),
    ("def act(o, p, d):\n    return 0\n", "must define `policy`"),
    ("from . import x\ndef policy(o, p, d):\n    return 0\n", "relative imports"),
])
def test_static_validation_rejects_with_reason(source, fragment):
    reasons = validate_source(source, ["policy"], ["minigrid"])
    assert any(fragment in r for r in reasons), reasons


def test_static_validation_accepts_a_clean_program():
    source = ("import numpy as np\nfrom collections import deque\nimport minigrid\n"
              "def policy(obs, pos, d):\n    return int(np.argmax([0, 1, 2]))\n")
    assert validate_source(source, ["policy"], ["minigrid"]) == []
