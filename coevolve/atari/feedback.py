"""Staged natural-language feedback from a policy's mean full-episode score.

Each game has three stages set by score thresholds: a failing stage, a stage that scores but is
far from good play, and a stage close to expert play; a stop score ends the run. Pong, Breakout
and Space Invaders use the paper's thresholds; every other game uses thresholds on the
human-normalised score ``(score - random) / (human - random)``: better than random (> 0), half
of human play (>= 0.5), human play (>= 1, the stop).
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


REFERENCES = {
    "Alien": (227.8, 7127.7), "Amidar": (5.8, 1719.5), "Assault": (222.4, 742.0),
    "Asterix": (210.0, 8503.3), "Asteroids": (719.1, 47388.7), "Atlantis": (12850.0, 29028.1),
    "BankHeist": (14.2, 753.1), "BattleZone": (2360.0, 37187.5), "BeamRider": (363.9, 16926.5),
    "Berzerk": (123.7, 2630.4), "Bowling": (23.1, 160.7), "Boxing": (0.1, 12.1),
    "Breakout": (1.7, 30.5), "Centipede": (2090.9, 12017.0), "ChopperCommand": (811.0, 7387.8),
    "CrazyClimber": (10780.5, 35829.4), "DemonAttack": (152.1, 1971.0),
    "DoubleDunk": (-18.6, -16.4), "Enduro": (0.0, 860.5), "FishingDerby": (-91.7, -38.7),
    "Freeway": (0.0, 29.6), "Frostbite": (65.2, 4334.7), "Gopher": (257.6, 2412.5),
    "Hero": (1027.0, 30826.4), "IceHockey": (-11.2, 0.9), "Jamesbond": (29.0, 302.8),
    "Kangaroo": (52.0, 3035.0), "Krull": (1598.0, 2665.5), "KungFuMaster": (258.5, 22736.3),
    "MontezumaRevenge": (0.0, 4753.3), "MsPacman": (307.3, 6951.6),
    "NameThisGame": (2292.3, 8049.0), "Phoenix": (761.4, 7242.6), "Pitfall": (-229.4, 6463.7),
    "Pong": (-20.7, 14.6), "PrivateEye": (24.9, 69571.3), "Qbert": (163.9, 13455.0),
    "Riverraid": (1338.5, 17118.0), "RoadRunner": (11.5, 7845.0), "Skiing": (-17098.1, -4336.9),
    "SpaceInvaders": (148.0, 1668.7), "StarGunner": (664.0, 10250.0), "Tennis": (-23.8, -8.3),
    "TimePilot": (3568.0, 5229.2), "UpNDown": (533.4, 11693.2), "Venture": (0.0, 1187.5),
    "VideoPinball": (16256.9, 17667.9), "YarsRevenge": (3092.9, 54576.9),
}
"""(random, human) reference scores per game, as tabulated by Badia et al. 2020 (Agent57,
appendix H) from Mnih et al. 2015 and Wang et al. 2016 (30 no-op starts)."""

HUMAN_STAGES = (0.0, 0.5, 1.0)
"""Human-normalised thresholds of a generic game: leave stage 1, reach stage 3, stop."""


def human_normalised(game: str, score: float) -> float | None:
    """``(score - random) / (human - random)``, or None for a game without references."""
    if game not in REFERENCES:
        return None
    low, high = REFERENCES[game]
    return (score - low) / (high - low)


def stages(game: str) -> Stages:
    """The thresholds of ``game``: the paper's, or human-normalised ones; ValueError if none."""
    if game in STAGES:
        return STAGES[game]
    if game not in REFERENCES:
        raise ValueError(f"no feedback stages for game {game!r}: it has no random and human "
                         f"reference scores; games with references: {', '.join(REFERENCES)}")
    low, high = REFERENCES[game]
    positive, good, stop = (low + t * (high - low) for t in HUMAN_STAGES)
    return Stages(positive, good, stop, goal=f"score more points: a random policy scores "
                  f"{low:g} and a human {high:g}")


def worst_score(game: str) -> float:
    """Score charged to a failed episode: the game's lowest score, or human-normalised -1."""
    worst = {"Pong": -21.0, "Breakout": 0.0, "SpaceInvaders": 0.0}
    if game in worst:
        return worst[game]
    low, high = REFERENCES.get(game, (0.0, 1.0))
    return min(0.0, low - (high - low))


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
    if game not in STAGES:
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
