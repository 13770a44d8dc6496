"""Staged natural-language feedback from a policy's mean full-episode score.

Each game has three stages set by score thresholds (the paper's): a failing stage, a stage that
scores but is far from good play, and a stage close to expert play; a stop score ends the run.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stages:
    """Score thresholds of one game."""

    positive: float
    """Scores above this (or at least this, when ``inclusive``) leave the first stage."""
    good: float
    """Scores at least this reach the last stage."""
    stop: float
    """Scores at least this end the optimisation."""
    inclusive: bool = False
    """Whether ``positive`` itself already leaves the first stage (Space Invaders: >= 100)."""
    goal: str = ""
    """What a high score takes, in a sentence."""


STAGES = {
    "Pong": Stages(0.0, 19.0, 21.0, goal="win points: return every ball and angle it past the "
                   "enemy paddle; the maximum is 21"),
    "Breakout": Stages(0.0, 300.0, 400.0, goal="keep the ball in play and break blocks, the "
                       "upper rows are worth more"),
    "SpaceInvaders": Stages(100.0, 300.0, 2000.0, inclusive=True,
                            goal="shoot aliens quickly while dodging their bombs"),
}
"""Thresholds per game: Pong <= 0 / > 0 / >= 19 (stop 21); Breakout <= 0 / > 0 / >= 300
(stop 400); Space Invaders < 100 / >= 100 / >= 300 (stop 2000)."""


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
    if game not in STAGES:
        raise ValueError(f"no feedback stages for game {game!r}; choose one of {', '.join(STAGES)}")
    s = STAGES[game]
    score = f"The policy scored {mean:.1f} +- {std:.1f} per episode."
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
