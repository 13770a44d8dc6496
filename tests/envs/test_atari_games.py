"""The Atari domain against the emulator: observations, action effects, flags, FIRE handling."""
import types

import pytest

from envs.api import EpisodeResult
from envs.atari import GAMES, POLICY_REQUIRED, Protocol, make_env, policy_doc, run_episode
from envs.atari.breakout import BREAKOUT_ROWS
from envs.atari.runner import step


def policy(act) -> types.ModuleType:
    """A policy module whose act is ``act``."""
    module = types.ModuleType("policy")
    module.act = act
    return module


def observe(game, env, info):
    return GAMES[game].observe(env.objects, info)


def test_pong_observation_and_action_directions():
    env = make_env("Pong")
    _, info = env.reset(seed=0)
    obs = observe("Pong", env, info)
    assert set(obs) <= {"Player", "Ball", "Enemy"} and "Player" in obs
    assert set(obs["Player"]) == {"x", "y", "w", "h", "dx", "dy"}
    assert obs["Player"]["x"] == 140
    start = obs["Player"]["y"]
    for _ in range(3):
        step(env, 2)
    assert observe("Pong", env, info)["Player"]["y"] < start  # 2 moves the paddle up
    for _ in range(10):
        step(env, 3)
    assert observe("Pong", env, info)["Player"]["y"] > start  # 3 moves it down


def test_breakout_observation_has_rows_lives_and_no_placeholders():
    env = make_env("Breakout")
    _, info = env.reset(seed=0)
    obs = observe("Breakout", env, info)
    assert set(BREAKOUT_ROWS) | {"Player", "lives"} <= set(obs)
    assert obs["lives"] == 5
    for row, y in zip(BREAKOUT_ROWS, range(57, 93, 6)):
        assert obs[row] and all(block["y"] == y and block["w"] > 0 for block in obs[row])
    assert all(value for key, value in obs.items() if key in ("Player", "Ball"))
    x = obs["Player"]["x"]
    step(env, 2)
    assert observe("Breakout", env, info)["Player"]["x"] > x  # 2 RIGHT


def test_breakout_harness_fires_after_reset_and_after_lost_lives():
    seen_ball = []

    def act(obs):
        seen_ball.append("Ball" in obs)
        return 0  # never FIRE: only the harness launches balls

    result = run_episode(Protocol("Breakout", 0.0, 4000), policy(act), seed=0)
    assert any(seen_ball)
    assert result.error is None
    assert result.steps < 4000  # all five balls were launched and lost: the game ended


def test_space_invaders_indexed_objects():
    env = make_env("SpaceInvaders")
    _, info = env.reset(seed=0)
    obs = observe("SpaceInvaders", env, info)
    assert "Player" in obs and "Alien0" in obs and "Alien35" in obs and "Shield2" in obs
    assert all(isinstance(v, dict) and set(v) == {"x", "y", "w", "h", "dx", "dy"}
               for v in obs.values())


def test_swapped_flags_end_the_episode_as_terminated():
    env = make_env("Pong")
    env.reset(seed=3)
    terminated = truncated = False
    for _ in range(4000):
        _, terminated, truncated, _ = step(env, 0)
        if terminated or truncated:
            break
    assert terminated and not truncated  # OCAtari returns (truncated, terminated): we unswap


def test_run_episode_scores_a_lost_pong_game():
    result = run_episode(Protocol("Pong", 0.0, 4000), policy(lambda obs: 0), seed=1, trace=True)
    assert isinstance(result, EpisodeResult)
    assert result.ret == -21 and result.steps < 4000 and result.success is False
    assert len(result.trace["rewards"]) == 21


def test_run_episode_reports_bad_actions_and_exceptions():
    bad = run_episode(Protocol("Pong", 0.0, 50), policy(lambda obs: 9), seed=0)
    assert "outside 0..5" in bad.error and bad.steps == 0
    wrong_type = run_episode(Protocol("Pong", 0.0, 50), policy(lambda obs: "up"), seed=0)
    assert "must return an int" in wrong_type.error
    raising = run_episode(Protocol("Pong", 0.0, 50), policy(lambda obs: 1 / 0), seed=0)
    assert raising.error.startswith("ZeroDivisionError")


def test_unknown_game_is_rejected():
    with pytest.raises(ValueError, match="Pong, Breakout, SpaceInvaders"):
        run_episode(Protocol("Tetris", 0.0, 4000), policy(lambda obs: 0), seed=0)


def test_docs_name_the_contract():
    assert POLICY_REQUIRED == ("act",)
    assert "act(obs) -> int" in policy_doc("Breakout") and "FIRE" in policy_doc("Breakout")


def test_motion_is_zero_on_the_step_an_object_appears():
    first = []

    def act(obs):
        if not first:
            first.append(obs)
        return 0

    run_episode(Protocol("Pong", 0.0, 5), policy(act), seed=0)
    assert first[0]["Player"]["dx"] == 0 and first[0]["Player"]["dy"] == 0
    env = make_env("Pong")
    _, info = env.reset(seed=0)
    assert observe("Pong", env, info)["Player"]["dx"] == 140  # what OCAtari alone reports


def test_any_ocatari_game_is_generic_with_indexed_objects_and_ale_actions():
    from envs.atari.games import get_game, ocatari_games

    assert {"Freeway", "Boxing", "Asterix", "Pong"} <= set(ocatari_games())
    freeway = get_game("Freeway")
    assert freeway.n_actions == 3 and "0 NOOP, 1 UP, 2 DOWN" in freeway.doc
    assert "Chicken (up to 2): The player figure" in freeway.doc
    env = make_env("Freeway")
    _, info = env.reset(seed=0)
    obs = freeway.observe(env.objects, info)
    assert obs["Chicken"] == obs["Chicken0"] and "Car9" in obs and "Car" in obs
    assert all(set(v) == {"x", "y", "w", "h", "dx", "dy"} for v in obs.values()
               if isinstance(v, dict))
    result = run_episode(Protocol("Freeway", 0.25, 300), policy(lambda obs: 1), seed=0)
    assert result.error is None and result.ret >= 1 and result.steps == 300  # UP crosses


def test_environments_follow_the_v5_protocol():
    env = make_env("Pong", 0.25)
    ale = env._env.unwrapped.ale
    assert ale.getFloat("repeat_action_probability") == 0.25
    assert ale.getInt("max_num_frames_per_episode") == 108000
    assert env._env.unwrapped.get_action_meanings() == ["NOOP", "FIRE", "RIGHT", "LEFT",
                                                         "RIGHTFIRE", "LEFTFIRE"]


@pytest.mark.parametrize("game,axis,press,wait", [("Breakout", "x", 2, 1), ("Pong", "y", 3, 40)])
def test_a_paddle_keeps_moving_the_step_after_a_press(game, axis, press, wait):
    """The fact behind the ``rest`` primitive: a press moves the paddle that step and again the
    next (about half of a held step's move), then it stops."""
    env = make_env(game)  # sticky 0: every press acts
    _, info = env.reset(seed=0)
    for _ in range(wait):  # Breakout: launch; Pong: let the paddle settle
        _, _, _, info = step(env, 1 if game == "Breakout" else 0)
    positions = [observe(game, env, info)["Player"][axis]]
    for action in (press, 0, 0, 0):
        _, _, _, info = step(env, action)
        positions.append(observe(game, env, info)["Player"][axis])
    moves = [b - a for a, b in zip(positions, positions[1:])]
    assert moves[0] >= 8 and moves[1] >= 8  # carried into the step after the press
    assert abs(moves[3]) <= 1  # and then at rest
