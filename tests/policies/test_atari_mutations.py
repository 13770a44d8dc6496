"""GP operators over trainable functions: typed, confined to trainable code, seeded."""
import ast

import numpy as np
import pytest

from policies.atari import OBJECTS, template_source
from policies.atari.mutations import (crossover, insert_branch, mutate_policy, return_kind,
                                      trainable_functions)


def functions(source):
    return {f.name: f for f in trainable_functions(ast.parse(source))}


def non_trainable(source):
    tree = ast.parse(source)
    keep = [n for n in tree.body if n not in trainable_functions(tree)]
    return [ast.dump(n) for n in keep]


def test_return_kinds_are_read_from_the_returns():
    kinds = {name: return_kind(f) for game in OBJECTS
             for name, f in functions(template_source(game)).items()}
    assert kinds["select_action"] == ("choice", (0, 2, 3))
    assert kinds["select_paddle_action"] == ("choice", (0, 1, 2, 3))
    assert kinds["decide_movement"] == ("choice", (-1, 0, 1))
    assert kinds["decide_shoot"] == ("bool", ())
    assert kinds["predict_ball_trajectory"] == ("number", ())


@pytest.mark.parametrize("game", list(OBJECTS))
def test_mutation_is_deterministic_and_edits_only_trainable_functions(game):
    source = template_source(game)
    first = [mutate_policy(source, np.random.default_rng(7), OBJECTS[game]) for _ in range(2)]
    assert first[0] == first[1]
    rng = np.random.default_rng(1)
    changed = 0
    for _ in range(30):
        child, note = mutate_policy(source, rng, OBJECTS[game])
        compile(child, "child.py", "exec")
        assert non_trainable(child) == non_trainable(source)
        assert note.split(":")[0] in functions(source)
        changed += child != ast.unparse(ast.parse(source))
    assert changed >= 25


def test_inserted_branch_returns_a_value_of_the_function_kind():
    rng = np.random.default_rng(3)
    for _ in range(20):
        tree = ast.parse(template_source("Pong"))
        function = functions(ast.unparse(tree))["select_action"]
        insert_branch(function, rng, OBJECTS["Pong"])
        branch = next(n for n in function.body if isinstance(n, ast.If)
                      and isinstance(n.body[0], ast.Return)
                      and isinstance(n.body[0].value, ast.Constant))
        assert branch.body[0].value.value in (0, 2, 3)


def test_crossover_takes_code_from_the_other_program():
    pong = template_source("Pong")
    other, _ = mutate_policy(pong, np.random.default_rng(0), OBJECTS["Pong"])
    rng = np.random.default_rng(5)
    children = {crossover(pong, other, rng)[0] for _ in range(20)}
    assert any(child != ast.unparse(ast.parse(pong)) for child in children)
    with pytest.raises(ValueError, match="share no"):
        crossover(pong, template_source("SpaceInvaders"), rng)


def test_program_without_trainable_functions_is_rejected():
    with pytest.raises(ValueError, match="no @trainable"):
        mutate_policy("def act(obs):\n    return 0\n", np.random.default_rng(0))
