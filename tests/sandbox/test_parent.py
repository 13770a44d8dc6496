"""The parent's side of the reply channel against a worker that misbehaves.

Programs cannot reach the parent's pipes (the zygote holds them), but the parent does not trust
the zygote either: every read and wait has a deadline, and anything off is a failed job with its
reason, after which the worker is replaced and the next job is served.
"""
import os
import sys
import time

import pytest

from coevolve.sandbox import Job, Limits, SandboxError, SandboxPool
from coevolve.sandbox import pool as pool_module

HERE = os.path.dirname(__file__)


@pytest.fixture
def rogue(monkeypatch):
    monkeypatch.setattr(pool_module, "GRACE_SECONDS", 0.5)
    sys.path.insert(0, HERE)
    with SandboxPool(1, Limits(seconds=1.0, sandbox="process"), worker_module="rogue_zygote") as pool:
        yield pool
    sys.path.remove(HERE)


def job(how, **kwargs):
    return Job("rogue_zygote", how, kwargs=kwargs)


@pytest.mark.parametrize("how, reason", [
    ("close", "worker closed its pipes"),
    ("partial", "timeout after"),
    ("junk", "malformed reply: reply is not JSON"),
    ("huge", "exceeds the"),
    ("late", "timeout after"),
    ("extra", "worker sent a reply nobody asked for"),
])
def test_a_misbehaving_worker_fails_its_job_and_is_replaced(rogue, how, reason):
    start = time.monotonic()
    results = rogue.run([job(how), job("ok", value=2), job("ok", value=3)])
    if how == "extra":  # the second answer names the first job again: the parent notices
        assert results[0].value == 1 and reason in results[1].error
        assert results[2].value == 3
    else:
        assert results[0].value is None and reason in results[0].error, results[0]
        assert [r.value for r in results[1:]] == [2, 3]
    assert rogue.replaced >= 1
    assert time.monotonic() - start < 15


def test_a_pickle_from_the_worker_is_never_loaded(rogue, tmp_path):
    marker = tmp_path / "pwned"
    result = rogue.run([job("pickle", marker=str(marker))])[0]
    assert "malformed reply" in result.error
    assert not marker.exists()


def test_a_worker_that_cannot_confine_itself_stops_the_pool(monkeypatch):
    monkeypatch.setenv("ROGUE_NOT_READY", "1")
    sys.path.insert(0, HERE)
    try:
        with SandboxPool(1, Limits(seconds=1.0, sandbox="process"), worker_module="rogue_zygote") as pool:
            with pytest.raises(SandboxError, match="seccomp refused"):
                pool.run([job("ok")])
    finally:
        sys.path.remove(HERE)
