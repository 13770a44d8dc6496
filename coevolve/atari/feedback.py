"""Staged natural-language feedback from a policy's mean full-episode score.

Each game has three stages set by score thresholds (its :class:`envs.atari.Game` record's
``stages``): a failing stage, a stage that scores but is far from good play, and a stage close to
expert play; a stop score ends the run. Games without hand-made thresholds use the human
reference scores (:mod:`envs.atari.scores`).
"""
from __future__ import annotations

from dataclasses import dataclass

from envs.atari import GAMES, get_game
from envs.atari.scores import REFERENCES, Stages, human_normalised


def stages(game: str) -> Stages:
    """The thresholds of ``game``; ValueError for an unknown game or one without references."""
    found = get_game(game).stages
    if found is None:
        raise ValueError(f"no feedback stages for game {game!r}: it has no random and human "
                         f"reference scores; games with references: {', '.join(REFERENCES)}")
    return found


@dataclass(frozen=True)
class Feedback:
    """The feedback one evaluation earns."""

    stage: int
    """1 (failing), 2 (scoring) or 3 (near expert)."""
    text: str
    """The message the optimiser receives."""
    done: bool
    """True once the stop score is reached."""


def staged_feedback(game: str, mean: float, std: float = 0.0) -> Feedback:
    """The feedback for a mean full-episode score of ``mean`` in ``game``."""
    s = stages(game)
    score = f"The policy scored {mean:.1f} +- {std:.1f} per episode."
    if game not in GAMES:
        score += f" Human-normalised: {human_normalised(game, mean):.2f}."
    past_first = mean >= s.positive if s.inclusive else mean > s.positive
    if mean >= s.stop:
        return Feedback(3, f"{score} That reaches the target of {s.stop:g}; the policy is done.",
                        True)
    if mean >= s.good:
        return Feedback(3, f"{score} Close to expert play (>= {s.good:g}); refine the remaining "
                        f"failure cases to reach {s.stop:g}.", False)
    if past_first:
        return Feedback(2, f"{score} The policy scores but is far from good play (>= {s.good:g}"
                        f" is the next stage). Improve it to {s.goal}.", False)
    return Feedback(1, f"{score} The policy is failing. Fix the basic behaviour first: {s.goal}.",
                    False)
