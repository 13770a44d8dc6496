"""A sandbox pool shared by the Atari tests (worker start-up is the slow part)."""
import pytest

from coevolve.sandbox import Limits, SandboxPool


@pytest.fixture(scope="session")
def atari_pool():
    with SandboxPool(workers=2, limits=Limits(seconds=120.0, memory_mb=4096),
                     preload=("envs.atari",)) as pool:
        yield pool
