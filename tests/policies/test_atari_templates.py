"""Atari starter programs: self-contained, valid, trainable functions composed into act."""
import ast
import random
import types

import pytest

from coevolve.validate import validate_source
from envs.atari import ALLOWED_IMPORTS, POLICY_REQUIRED, Protocol, get_game, run_episode
from policies.atari import SEED_POLICY, template_source
from policies.atari.mutations import trainable_names

EXPECTED = {
    "Pong": ["predict_ball_trajectory", "select_action"],
    "Breakout": ["predict_ball_trajectory", "generate_paddle_target", "select_paddle_action"],
    "SpaceInvaders": ["decide_shoot", "decide_movement", "combine_actions"],
}


def load(source: str) -> types.ModuleType:
    random.seed(0)  # as the job runner seeds an episode
    module = types.ModuleType("policy_program")
    exec(compile(source, "policy_program.py", "exec"), module.__dict__)
    return module


@pytest.mark.parametrize("game", list(EXPECTED))
def test_template_is_valid_and_self_contained(game):
    source = template_source(game)
    assert validate_source(source, POLICY_REQUIRED, ALLOWED_IMPORTS) == []
    imports = {alias.name.split(".")[0] for node in ast.walk(ast.parse(source))
               if isinstance(node, ast.Import) for alias in node.names}
    assert imports <= {"random", "numpy", "math"}
    assert not any(isinstance(n, ast.ImportFrom) for n in ast.walk(ast.parse(source)))
    assert trainable_names(source) == EXPECTED[game]
    module = load(source)
    assert all(getattr(module, name).trainable is True for name in EXPECTED[game])
    assert get_game(game).objects and get_game(game).template.endswith(".py")


@pytest.mark.parametrize("game,steps", [("Pong", 600), ("Breakout", 4000),
                                        ("SpaceInvaders", 4000)])
def test_template_plays_an_episode(game, steps):
    result = run_episode(Protocol(game, 0.0, steps), load(template_source(game)), seed=0)
    assert result.error is None
    assert result.steps > 100
    if game != "Pong":
        assert result.steps < steps  # the episode ran to its end
        assert result.ret > 0


def test_seed_policy_is_the_pong_template():
    assert SEED_POLICY == template_source("Pong")


@pytest.mark.parametrize("game", ["Freeway", "Boxing", "Asterix"])
def test_generic_template_and_macros_for_any_ocatari_game(game):
    source = template_source(game)
    assert validate_source(source, POLICY_REQUIRED, ALLOWED_IMPORTS) == []
    assert trainable_names(source) == ["choose_action"]
    result = run_episode(Protocol(game, 0.25, 200), load(source), seed=0)
    assert result.error is None and result.steps == 200
    for text in get_game(game).macros["choose_action"]:
        macro = load(source.replace(source[source.index("@trainable\ndef choose_action"):
                                           source.index("def act")], text + "\n\n"))
        assert run_episode(Protocol(game, 0.0, 50), macro, seed=0).error is None
    assert get_game(game).primitives
