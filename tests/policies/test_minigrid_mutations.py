"""Mutation operators and program assembly for MiniGrid policies (source-level checks)."""
import ast
import sys
import types

import numpy as np
import pytest

from policies.minigrid import (BUILDING_BLOCKS_DOC, CATALOGUE, SEED_BEHAVIOURS, SEED_POLICY,
                               assemble_policy, mutate_policy)
from policies.minigrid.catalogue import BLOCKS_SOURCE

ALLOWED_TOP_LEVEL = set(sys.stdlib_module_names) | {"numpy"}


def _chain(source: str, rng_seed: int, length: int) -> list[tuple[str, str]]:
    """``length`` successive mutants of ``source`` with their descriptions."""
    rng = np.random.default_rng(rng_seed)
    out = []
    for _ in range(length):
        source, description = mutate_policy(source, rng)
        out.append((source, description))
    return out


def _imports(tree: ast.Module) -> set[str]:
    """Top-level module names a program imports anywhere."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add((node.module or "").split(".")[0])
    return names


def _literal(tree: ast.Module, name: str):
    """Value of a top-level literal assignment."""
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and getattr(stmt.targets[0], "id", None) == name:
            return ast.literal_eval(stmt.value)
    raise AssertionError(f"{name} is not assigned")


def test_seed_policy_file_is_the_assembled_seed():
    assert SEED_POLICY == assemble_policy(SEED_BEHAVIOURS), (
        "seed_policy.py is stale: rewrite it with "
        "policies.minigrid.assemble_policy(SEED_BEHAVIOURS)")


def test_seed_policy_is_naive():
    tree = ast.parse(SEED_POLICY)
    assert _literal(tree, "BEHAVIOURS") == ["greedy_to_goal"]
    functions = {s.name for s in tree.body if isinstance(s, ast.FunctionDef)}
    assert not functions & {"plan_to_goal", "get_key", "open_door_ahead", "_distance_field"}


def test_catalogue_program_is_itself_a_valid_policy():
    module = types.ModuleType("catalogue")
    exec(BLOCKS_SOURCE, module.__dict__)
    assert list(CATALOGUE.behaviours) == module.BEHAVIOURS
    assert all(callable(getattr(module, name)) for name in CATALOGUE.behaviours)
    assert CATALOGUE.params == module.PARAMS


def test_mutation_is_deterministic_given_the_generator():
    assert _chain(SEED_POLICY, 3, 10) == _chain(SEED_POLICY, 3, 10)
    assert _chain(SEED_POLICY, 3, 10) != _chain(SEED_POLICY, 4, 10)


def test_every_mutant_of_a_chain_is_a_valid_minimal_self_contained_program():
    for source, description in _chain(SEED_POLICY, 11, 50):
        assert description and "\n" not in description
        tree = ast.parse(source)
        assert _imports(tree) <= ALLOWED_TOP_LEVEL
        module = types.ModuleType("mutant")
        exec(compile(source, "<mutant>", "exec"), module.__dict__)
        assert callable(module.policy)
        behaviours = _literal(tree, "BEHAVIOURS")
        assert behaviours and all(callable(getattr(module, b)) for b in behaviours)
        functions = [s for s in tree.body if isinstance(s, ast.FunctionDef)]
        assert len({f.name for f in functions}) == len(functions), "a helper is defined twice"
        read = {n.id for s in functions for n in ast.walk(s) if isinstance(n, ast.Name)}
        for f in functions:
            assert f.name in read or f.name in behaviours or f.name == "policy", (
                f"unused helper {f.name} after '{description}'")
        used_keys = {n.slice.value for n in ast.walk(tree) if isinstance(n, ast.Subscript)
                     and getattr(n.value, "id", None) == "PARAMS"}
        assert set(_literal(tree, "PARAMS")) == used_keys


def test_chain_uses_every_operator():
    kinds = {d.split()[0] for _, d in _chain(SEED_POLICY, 5, 60)}
    assert kinds == {"insert", "remove", "swap", "perturb", "set"}


def test_insert_adds_the_behaviour_its_helpers_and_its_parameters():
    rng = np.random.default_rng(0)
    source, description = SEED_POLICY, ""
    while not description.startswith("insert behaviour plan_to_goal"):
        source, description = mutate_policy(SEED_POLICY, rng)
    module = types.ModuleType("mutant")
    exec(source, module.__dict__)
    assert "plan_to_goal" in module.BEHAVIOURS
    assert callable(module._distance_field)
    assert module.PARAMS == {"avoid_lava": False, "plan_through_doors": False}


def test_toggle_and_perturb_change_exactly_one_parameter():
    source = assemble_policy(["replan_when_stuck", "plan_to_goal"])
    before = _literal(ast.parse(source), "PARAMS")
    rng = np.random.default_rng(1)
    seen = set()
    for _ in range(40):
        mutant, description = mutate_policy(source, rng)
        kind = description.split()[0]
        if kind in ("set", "perturb"):
            after = _literal(ast.parse(mutant), "PARAMS")
            changed = [k for k in before if before[k] != after[k]]
            assert changed == [description.split()[1]]
            if kind == "perturb":
                assert isinstance(after[changed[0]], int) and after[changed[0]] >= 1
            seen.add(kind)
    assert seen == {"set", "perturb"}


def test_a_programs_own_version_of_a_behaviour_survives_mutation():
    tree = ast.parse(SEED_POLICY)
    greedy = next(s for s in tree.body
                  if isinstance(s, ast.FunctionDef) and s.name == "greedy_to_goal")
    greedy.body.insert(1, ast.parse("MARKER = 12345").body[0])
    rng = np.random.default_rng(2)
    source, checked = ast.unparse(tree), 0
    for _ in range(5):
        source, description = mutate_policy(source, rng)
        if "greedy_to_goal" in _literal(ast.parse(source), "BEHAVIOURS"):
            assert "MARKER = 12345" in source, description
            checked += 1
    assert checked >= 3


def test_a_program_not_built_from_blocks_is_refused_not_blindly_perturbed():
    source = "def policy(obs, agent_pos, agent_dir):\n    return 2 if agent_dir == 0 else 1\n"
    with pytest.raises(ValueError, match="no BEHAVIOURS/PARAMS"):
        mutate_policy(source, np.random.default_rng(0))


@pytest.mark.parametrize("source, message", [
    ("def policy(obs, agent_pos, agent_dir)\n    return 2\n", "does not parse"),
    ("def act(obs):\n    return 2\n", "no top-level function `policy"),
    ("def policy(obs, agent_pos, agent_dir):\n    return obs\n", "building blocks"),
    ("BEHAVIOURS = ['greedy_to_goal']\ndef policy(o, p, d):\n    return 2\n", "add PARAMS"),
    ("BEHAVIOURS = [f'x']\nPARAMS = {}\ndef policy(o, p, d):\n    return 2\n", "plain literals"),
    ("BEHAVIOURS = ['fly']\nPARAMS = {}\ndef policy(o, p, d):\n    return 2\n",
     "unknown behaviour"),
])
def test_bad_sources_raise_actionable_errors(source, message):
    with pytest.raises(ValueError, match=message):
        mutate_policy(source, np.random.default_rng(0))


def test_assemble_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown behaviour"):
        assemble_policy(["teleport"])
    with pytest.raises(ValueError, match="unknown parameter"):
        assemble_policy(["plan_to_goal"], {"fly": True})


def test_building_blocks_doc_names_every_block_and_parameter():
    for name in list(CATALOGUE.behaviours) + list(CATALOGUE.params):
        assert f"`{name}`" in BUILDING_BLOCKS_DOC, name
