"""envs.api: one description of a program's exception, one seeding, shared by every domain."""
import random

import numpy as np
import pytest
from envs.api import ProgramError, construct_env, describe_exception, seeded_reset

import envs.driving
import envs.minigrid
import envs.pygame_nav
from coevolve.sandbox.jobs import load_program

RAISING_POLICIES = {
    envs.minigrid: "def policy(obs, agent_pos, agent_dir):\n    return 1 / 0\n",
    envs.pygame_nav: "def policy(obs):\n    return 1 / 0\n",
    envs.driving: "def policy(obs):\n    return 1 / 0\n",
}


def test_the_description_names_the_innermost_program_line():
    module = load_program("def inner():\n    return [][1]\n\ndef outer():\n    return inner()\n",
                          "policy_program.py")
    with pytest.raises(IndexError) as caught:
        module.outer()
    assert describe_exception(caught.value) == (
        "IndexError: list index out of range (policy_program.py, line 2: return [][1])")
    assert describe_exception(ValueError("plain")) == "ValueError: plain"


def test_an_exception_whose_text_raises_is_still_described():
    class Odd(Exception):
        def __str__(self):
            raise RuntimeError("no text")
    assert describe_exception(Odd()) == "Odd"


@pytest.mark.parametrize("domain", list(RAISING_POLICIES), ids=lambda d: d.NAME)
def test_every_domain_reports_a_raising_policy_in_the_same_words(domain):
    env = load_program(domain.SEED_ENV, "env_program.py")
    policy = load_program(RAISING_POLICIES[domain], "policy_program.py")
    result = domain.run_episode(env, policy, seed=3)
    assert not result.success
    assert result.error == ("policy raised ZeroDivisionError: division by zero "
                            "(policy_program.py, line 2: return 1 / 0)")


class Drawing:
    """Draws its level from the global generators in reset."""

    def reset(self, seed=None):
        return {"level": (random.random(), float(np.random.rand()))}, {}


def test_seeded_reset_starts_every_level_of_a_seed_from_the_same_generators():
    env = Drawing()
    first, _ = seeded_reset(env, 7, lambda obs: None)
    random.random()
    second, _ = seeded_reset(env, 7, lambda obs: None)
    assert first == second and seeded_reset(env, 8, lambda obs: None)[0] != first
    with pytest.raises(ProgramError, match="reset\\(\\): no level"):
        seeded_reset(env, 7, lambda obs: "no level")


def test_construct_env_says_what_is_missing_or_what_raised():
    with pytest.raises(ProgramError, match="must define `class CustomEnv`"):
        construct_env(load_program("x = 1\n", "env_program.py"))
    broken = load_program("class CustomEnv:\n    def __init__(self):\n        1 / 0\n",
                          "env_program.py")
    with pytest.raises(ProgramError, match=r"CustomEnv\(\) raised ZeroDivisionError: division by "
                                           r"zero \(env_program.py, line 3: 1 / 0\)"):
        construct_env(broken)
