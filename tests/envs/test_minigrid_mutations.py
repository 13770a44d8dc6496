"""MiniGrid environment mutation operators: determinism, validity, feasibility and growth."""
import ast

import numpy as np
import pytest
from minigrid.minigrid_env import MiniGridEnv

from envs.minigrid import ALLOWED_IMPORTS, SEED_ENV, check_env
from envs.minigrid.mutations import MAX_SIZE, OPERATORS, mutate_env, parse_level, recipe_calls
from envs.minigrid.runner import make_env
from tests.envs.test_minigrid_programs import COVOLVE_ENV, load

SAFE_STDLIB = {"__future__", "random", "math", "collections", "itertools", "typing", "numpy"}


def imported_modules(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module.split(".")[0])
    return names


def assert_valid_program(source: str) -> None:
    """Parses, imports only what a MiniGrid program may, and ``CustomEnv()`` builds a level."""
    assert imported_modules(source) <= set(ALLOWED_IMPORTS) | SAFE_STDLIB
    module = load(source)
    assert issubclass(module.CustomEnv, MiniGridEnv)
    env = make_env(module, seed=0)
    assert env.grid.width <= MAX_SIZE and env.max_steps >= 4 * (env.grid.width - 2) ** 2


def chain(source: str, seed: int, length: int, seeds=range(3)):
    """Mutate ``length`` times, keeping each feasible mutant as the next parent (as the loop does)."""
    rng = np.random.default_rng(seed)
    kept, checks = source, []
    for _ in range(length):
        mutant, description = mutate_env(kept, rng)
        check = check_env(load(mutant), seeds=seeds)
        checks.append((check, description))
        if check.feasible:
            kept = mutant
    return kept, checks


def test_same_generator_state_gives_the_same_mutant():
    first = [mutate_env(SEED_ENV, np.random.default_rng(seed)) for seed in range(12)]
    again = [mutate_env(SEED_ENV, np.random.default_rng(seed)) for seed in range(12)]
    assert first == again
    assert len({source for source, _ in first}) > 6


def test_descriptions_are_one_line_and_sources_change():
    for seed in range(12):
        source, description = mutate_env(SEED_ENV, np.random.default_rng(seed))
        assert description and "\n" not in description
        assert ast.dump(ast.parse(source)) != ast.dump(ast.parse(SEED_ENV))


def test_every_operator_keeps_the_contract():
    rich = SEED_ENV.replace("self._place_ends(SEPARATION)", "self._place_ends(SEPARATION)\n"
                            "        self._split(0.5, 'closed', 'red')\n"
                            "        self._scatter('wall', 0.05)")
    for index, operator in enumerate(OPERATORS):
        level = parse_level(rich)
        assert operator.applies(level), operator.name
        description = operator.apply(level, np.random.default_rng(index))
        source = ast.unparse(level.tree)
        assert description and source != ast.unparse(parse_level(rich).tree), operator.name
        assert_valid_program(source)


def test_random_walk_of_mutants_always_parses_and_keeps_the_contract():
    rng = np.random.default_rng(7)
    source = SEED_ENV
    for _ in range(30):
        source, _ = mutate_env(source, rng)
        assert_valid_program(source)
    assert load(source).CustomEnv().width <= MAX_SIZE


def test_chain_of_30_stays_mostly_feasible_and_grows_harder():
    seed_measures = check_env(load(SEED_ENV), seeds=range(3)).measures
    kept, checks = chain(SEED_ENV, seed=1, length=30)
    feasible = sum(check.feasible for check, _ in checks)
    assert feasible >= 18, [(c.reason, d) for c, d in checks if not c.feasible]
    final = check_env(load(kept), seeds=range(3)).measures
    assert final["width"] >= seed_measures["width"] + 5
    assert final["solution_length"] >= 3 * seed_measures["solution_length"]
    assert final["walls"] > 2 * seed_measures["walls"]
    assert final["locked_doors"] >= 1 and final["keys"] >= final["locked_doors"]


def test_random_walks_build_each_kind_of_feature():
    features = set()
    for seed in range(3):
        rng, source = np.random.default_rng(seed), SEED_ENV
        for _ in range(25):
            source, _ = mutate_env(source, rng)
            features.update(call.func.attr for call in recipe_calls(parse_level(source)))
    assert features == {"_split", "_subdivide", "_segment", "_scatter", "_river"}


def test_hand_written_covolve_program_is_mutated_sensibly():
    rng = np.random.default_rng(3)
    source = COVOLVE_ENV
    descriptions = []
    for _ in range(12):
        source, description = mutate_env(source, rng)
        descriptions.append(description)
        assert_valid_program(source)
    level = parse_level(source)
    assert recipe_calls(level), descriptions
    helpers = {node.name for node in level.cls.body if isinstance(node, ast.FunctionDef)}
    assert {call.func.attr for call in recipe_calls(level)} <= helpers
    assert "self.grid.vert_wall(split, 0)" in source  # its own level code is kept


def test_hand_written_program_chain_stays_feasible():
    _, checks = chain(COVOLVE_ENV, seed=2, length=12, seeds=range(2))
    assert sum(check.feasible for check, _ in checks) >= 8


def test_grid_scaling_of_a_hand_written_size_argument_and_max_steps():
    source = COVOLVE_ENV.replace("def __init__(self, size=10, max_steps=None, **kwargs):",
                                 "def __init__(self, size=10, **kwargs):").replace(
        "        if max_steps is None:\n            max_steps = 4 * size ** 2\n", "").replace(
        "max_steps=max_steps", "max_steps=400")
    grow = next(operator for operator in OPERATORS if operator.name == "grow")
    level = parse_level(source)
    description = grow.apply(level, np.random.default_rng(0))
    env = load(ast.unparse(level.tree)).CustomEnv()
    assert description.startswith("grid scaling: size 10 -> ")
    assert env.width > 10 and env.max_steps == round(400 * (env.width / 10) ** 2)


def test_size_is_capped():
    big = SEED_ENV.replace("SIZE = 8", f"SIZE = {MAX_SIZE}")
    assert not next(op for op in OPERATORS if op.name == "grow").applies(parse_level(big))


@pytest.mark.parametrize("source, message", [
    ("def broken(:\n", "does not parse"),
    ("x = 1\n", "no class CustomEnv"),
    ("class CustomEnv:\n    pass\n", "no _gen_grid"),
])
def test_unusable_sources_raise_value_error(source, message):
    with pytest.raises(ValueError, match=message):
        mutate_env(source, np.random.default_rng(0))


def test_a_conflicting_helper_name_raises_value_error():
    source = COVOLVE_ENV + "\n    def _split(self):\n        return None\n"
    split = next(operator for operator in OPERATORS if operator.name == "split")
    with pytest.raises(ValueError, match="already defines _split"):
        split.apply(parse_level(source), np.random.default_rng(0))


def test_mutants_do_not_import_this_project():
    source = SEED_ENV
    rng = np.random.default_rng(11)
    for _ in range(15):
        source, _ = mutate_env(source, rng)
    assert not imported_modules(source) & {"envs", "coevolve", "policies", "solvers"}
