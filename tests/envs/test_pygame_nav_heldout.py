"""Held-out suite: seven families of 20 standalone, reachable levels."""
import ast
import types

import pytest

from envs.api import HeldoutFamily
from envs.pygame_nav import check_env, heldout_suite
from envs.pygame_nav.heldout import level
from envs.pygame_nav.program import read_layout


def load(source):
    module = types.ModuleType("program")
    exec(compile(source, "program", "exec"), module.__dict__)
    return module


def imported(source):
    """Top-level modules a program imports."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module.split(".")[0])
    return names


def test_families_and_levels():
    suite = heldout_suite()
    assert [f.name for f in suite] == ["scattered", "corridor_maze", "bug_trap", "rooms", "spiral", "tiled_maze",
                                       "narrow_maze"]
    for family in suite:
        assert isinstance(family, HeldoutFamily) and family.options == {}
        assert len(family.env_sources) == 20 and len(set(family.env_sources)) == 20
        assert all(imported(s) == {"heapq", "math", "numpy"} for s in family.env_sources)
    assert heldout_suite()[0].env_sources == suite[0].env_sources     # fixed seeds
    assert read_layout(suite[5].env_sources[0]) == level("tiled_maze", 0)
    assert min(len(read_layout(s).obstacles) for s in suite[5].env_sources) > 1000
    with pytest.raises(ValueError, match="unknown held-out family"):
        level("cave", 0)


@pytest.mark.parametrize("family", heldout_suite(), ids=lambda f: f.name)
def test_every_level_is_reachable(family):
    for k, source in enumerate(family.env_sources):
        result = check_env(load(source), seeds=[k])
        assert result.feasible, f"{family.name}[{k}]: {result.reason}"


def test_bug_trap_opens_toward_the_start_with_the_goal_behind():
    for k in range(20):
        layout = level("bug_trap", k)
        back, top, bottom = layout.obstacles
        assert layout.start[0] < back[0] < layout.goal[0]
        assert top[1] + top[3] < layout.start[1] < bottom[1] and top[1] + top[3] < layout.goal[1] < bottom[1]
