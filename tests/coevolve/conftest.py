"""Registers the toy domain (tests/coevolve/toyworld) for loop tests."""
import os
import sys

import pytest

from coevolve.domains import DOMAINS, Domain

TOYWORLD = os.path.join(os.path.dirname(__file__), "toyworld")


@pytest.fixture
def toy_domain(monkeypatch):
    """The toy domain, importable here and in sandbox workers."""
    monkeypatch.syspath_prepend(TOYWORLD)
    monkeypatch.setitem(DOMAINS, "toy", Domain("toy", "toy_envs", "toy_policies"))
    return DOMAINS["toy"]
