"""Environment mutations: deterministic, valid programs over chains, clear errors otherwise."""
import types

import numpy as np
import pytest

from envs.pygame_nav import SEED_ENV, check_env
from envs.pygame_nav.heldout import level
from envs.pygame_nav.mutations import ENV_OPERATORS_DOC, OPERATORS, connected, mutate_env
from envs.pygame_nav.program import Layout, env_program, read_layout


def load(source):
    module = types.ModuleType("program")
    exec(compile(source, "program", "exec"), module.__dict__)
    return module


def chain(source, seed, length):
    rng, out = np.random.default_rng(seed), []
    for _ in range(length):
        source, description = mutate_env(source, rng)
        out.append((source, description))
    return out


def test_mutations_are_deterministic_given_the_generator():
    assert chain(SEED_ENV, 7, 6) == chain(SEED_ENV, 7, 6)
    assert chain(SEED_ENV, 7, 6) != chain(SEED_ENV, 8, 6)


@pytest.mark.parametrize("seed", [0, 1])
def test_chains_stay_valid_connected_and_feasible(seed):
    for source, description in chain(SEED_ENV, seed, 12):
        assert description and "\n" not in description
        layout = read_layout(source)
        assert connected(layout)
        result = check_env(load(source), seeds=[0, 1])
        assert result.feasible, f"{description}: {result.reason}"


def test_every_operator_changes_the_layout_or_declines():
    rng = np.random.default_rng(0)
    start = level("bug_trap", 0)
    for operator in OPERATORS:
        out = operator(start, rng)
        assert out is None or (isinstance(out[0], Layout) and out[0] != start and isinstance(out[1], str))
        assert operator.__name__.replace("_", " ").split()[-1] in ENV_OPERATORS_DOC.replace("-", " ")


def test_dead_end_faces_a_fixed_start_and_bars_leave_a_gap():
    from envs.pygame_nav.mutations import add_bottleneck, add_dead_end
    layout = Layout(start=(60.0, 300.0), goal=(740.0, 300.0), min_start_goal=0.0)
    trap, description = add_dead_end(layout, np.random.default_rng(1))
    assert "open left" in description and len(trap.obstacles) == 3
    narrow, description = add_bottleneck(layout, np.random.default_rng(2))
    gap = int(description.split(" px gap")[0].split()[-1])
    assert 40 <= gap <= 46 and len(narrow.obstacles) in (1, 2)
    assert check_env(load(env_program(narrow)), seeds=[0]).feasible


def test_disconnecting_changes_are_refused():
    split = Layout(obstacles=((390, 0, 20, 600),))
    assert not connected(split)
    assert connected(Layout(obstacles=((390, 0, 20, 540),)))


def test_unrecognised_source_raises_a_clear_error():
    with pytest.raises(ValueError, match="does not assign WIDTH"):
        mutate_env("class CustomEnv:\n    pass\n", np.random.default_rng(0))
    with pytest.raises(ValueError, match="does not parse"):
        mutate_env("def (", np.random.default_rng(0))
