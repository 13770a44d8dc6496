"""Fixtures of the report tests; helpers that write run directories live in report_runs.py."""
import os
import sys

import pytest

from coevolve.sandbox import SandboxPool

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)  # report_runs and toy_render_domain (imported by sandbox workers too)


@pytest.fixture(scope="module")
def toy_pool():
    """A one-worker sandbox that can import the toy render domain."""
    pool = SandboxPool(1, preload=("toy_render_domain",))
    yield pool
    pool.close()
