"""Staged feedback thresholds of the three games."""
import pytest

from coevolve.atari.feedback import staged_feedback


@pytest.mark.parametrize("game,score,stage,done", [
    ("Pong", -21, 1, False), ("Pong", 0, 1, False), ("Pong", 0.1, 2, False),
    ("Pong", 18.9, 2, False), ("Pong", 19, 3, False), ("Pong", 21, 3, True),
    ("Breakout", 0, 1, False), ("Breakout", 1, 2, False), ("Breakout", 299, 2, False),
    ("Breakout", 300, 3, False), ("Breakout", 399, 3, False), ("Breakout", 400, 3, True),
    ("SpaceInvaders", 99.9, 1, False), ("SpaceInvaders", 100, 2, False),
    ("SpaceInvaders", 300, 3, False), ("SpaceInvaders", 1999, 3, False),
    ("SpaceInvaders", 2000, 3, True),
])
def test_stages(game, score, stage, done):
    feedback = staged_feedback(game, score, 1.5)
    assert (feedback.stage, feedback.done) == (stage, done)
    assert f"{score:.1f} +- 1.5" in feedback.text


def test_texts_differ_by_stage_and_unknown_game_is_rejected():
    texts = {staged_feedback("Pong", s).text.split(". ", 1)[1] for s in (-5, 5, 20, 21)}
    assert len(texts) == 4
    with pytest.raises(ValueError, match="Pong"):
        staged_feedback("Tetris", 0)


def test_generic_games_use_human_normalised_thresholds():
    from coevolve.atari.feedback import human_normalised, stages
    from envs.atari import get_game

    s = stages("Freeway")  # random 0.0, human 29.6
    assert (s.positive, s.good, s.stop) == (0.0, 14.8, 29.6)
    assert human_normalised("Freeway", 29.6) == 1.0 and human_normalised("Pong", -20.7) == 0.0
    assert staged_feedback("Freeway", 0.0).stage == 1
    assert staged_feedback("Freeway", 10.0).stage == 2 and "Human-normalised: 0.34" in \
        staged_feedback("Freeway", 10.0).text
    assert staged_feedback("Freeway", 30.0).done
    assert get_game("Boxing").worst == min(0.0, 0.1 - 12.0) and get_game("Pong").worst == -21.0
    with pytest.raises(ValueError, match="no random and human reference scores"):
        stages("Adventure")
