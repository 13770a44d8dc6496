"""GP operators over trainable functions: typed, confined to trainable code, seeded."""
import ast
import re

import numpy as np
import pytest

from envs.atari import GAMES
from policies.atari import template_source
from policies.atari.mutations import (PolicyMutator, crossover, insert_branch, mutate_policy,
                                      return_kind, trainable_functions)

OBJECTS = {name: game.objects for name, game in GAMES.items()}


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
    mutate = PolicyMutator(OBJECTS[game]).mutate
    first = [mutate(source, np.random.default_rng(7)) for _ in range(2)]
    assert first[0] == first[1]
    rng = np.random.default_rng(1)
    changed = 0
    for _ in range(30):
        child, note = mutate(source, rng)
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
        insert_branch(function, rng, PolicyMutator(OBJECTS["Pong"]))
        branch = next(n for n in function.body if isinstance(n, ast.If)
                      and isinstance(n.body[0], ast.Return)
                      and isinstance(n.body[0].value, ast.Constant))
        assert branch.body[0].value.value in (0, 2, 3)


def test_crossover_takes_code_from_the_other_program():
    pong = template_source("Pong")
    other, _ = PolicyMutator(OBJECTS["Pong"]).mutate(pong, np.random.default_rng(0))
    rng = np.random.default_rng(5)
    children = {crossover(pong, other, rng)[0] for _ in range(20)}
    assert any(child != ast.unparse(ast.parse(pong)) for child in children)
    with pytest.raises(ValueError, match="share no"):
        crossover(pong, template_source("SpaceInvaders"), rng)


def test_program_without_trainable_functions_is_rejected():
    with pytest.raises(ValueError, match="no @trainable"):
        mutate_policy("def act(obs):\n    return 0\n", np.random.default_rng(0))


def test_matched_margin_opens_a_dead_zone_in_one_edit():
    from policies.atari.mutations import matched_margin

    tree = ast.parse(template_source("Pong"))
    function = functions(ast.unparse(tree))["select_action"]
    note = None
    for seed in range(20):  # widen (most draws) rather than shift
        candidate = copy_function(function)
        note = matched_margin(candidate, np.random.default_rng(seed), PolicyMutator())
        if "widened" in note:
            break
    text = ast.unparse(candidate)
    up = re.search(r"predicted_y < value\(obs, 'Player', 'y'\) - (\d+)", text)
    down = re.search(r"predicted_y > value\(obs, 'Player', 'y'\) \+ (\d+)", text)
    assert up and down and up.group(1) == down.group(1), text



def test_matched_margin_pairs_the_bounds_of_a_band_with_constant_offsets():
    from policies.atari.mutations import matched_margin

    function = ast.parse("""
@trainable
def steer(target, obs):
    if target > rest(obs, 'Player', 'x', 0.5, 8, 144) + 4:
        return 2
    if target < rest(obs, 'Player', 'x', 0.5, 8, 144) - 4:
        return 3
    if target < value(obs, 'Player', 'y'):
        return 0
    return 0
""").body[0]
    note = matched_margin(function, np.random.default_rng(0), PolicyMutator())
    assert note is not None and "rest(" in note  # the band, not the unrelated comparison
    text = ast.unparse(function)
    assert "rest(obs, 'Player', 'x', 0.5, 8, 144) + 4 " in text
    assert "rest(obs, 'Player', 'x', 0.5, 8, 144) - 4 " in text  # each bound edited once more

def test_lead_motion_adds_the_objects_velocity():
    from policies.atari.mutations import lead_motion

    function = functions(template_source("Pong"))["predict_ball_trajectory"]
    note = lead_motion(function, np.random.default_rng(0), PolicyMutator())
    assert "value(obs, 'Ball', 'dy') *" in ast.unparse(function), note


def test_macros_replace_a_function_with_primitive_code_and_compile():
    from envs.atari import get_game
    from policies.atari.mutations import apply_macro

    for game in ("Pong", "Breakout", "SpaceInvaders"):
        source = template_source(game)
        for seed in range(4):
            new, note = apply_macro(source, np.random.default_rng(seed), get_game(game).macros)
            assert "macro" in note and new != source
            compile(new, "policy", "exec")
    macros = {"select_action": [ast.unparse(functions(template_source("Pong"))["select_action"])]}
    with pytest.raises(ValueError, match="no macro applies"):
        apply_macro(template_source("Pong"), np.random.default_rng(0), macros)


def copy_function(function):
    import copy

    return copy.deepcopy(function)
