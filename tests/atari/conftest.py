"""Shared fixtures of the Atari tests: a sandbox pool, and the local chat-completions server.

The server is the one of ``tests/llm/conftest.py``, loaded from its file (tests are not a
package under ``--import-mode=importlib``).
"""
import importlib.util
from pathlib import Path

import pytest

from coevolve.sandbox import Limits, SandboxPool


def _llm_conftest():
    path = Path(__file__).parent.parent / "llm" / "conftest.py"
    spec = importlib.util.spec_from_file_location("llm_test_server", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ChatServer = _llm_conftest().ChatServer


@pytest.fixture(scope="session")
def atari_pool():
    with SandboxPool(workers=2, limits=Limits(seconds=120.0, memory_mb=4096),
                     preload=("envs.atari",)) as pool:
        yield pool


@pytest.fixture
def chat_server():
    """A started local chat-completions server; set ``.script`` to choose its answers."""
    with ChatServer() as server:
        yield server
