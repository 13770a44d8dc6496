"""Score facts of Atari games: feedback stages and the random / human reference scores.

Pong, Breakout and Space Invaders use the paper's stage thresholds (set in their game modules);
every other game uses thresholds on the human-normalised score ``(score - random) / (human -
random)``: better than random (> 0), half of human play (>= 0.5), human play (>= 1, the stop).
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


def human_stages(game: str) -> Stages | None:
    """Thresholds on the human-normalised score of ``game``; None without references."""
    if game not in REFERENCES:
        return None
    low, high = REFERENCES[game]
    positive, good, stop = (low + t * (high - low) for t in HUMAN_STAGES)
    return Stages(positive, good, stop, goal=f"score more points: a random policy scores "
                  f"{low:g} and a human {high:g}")


def human_worst(game: str) -> float:
    """The worst score of a game without a known minimum: human-normalised -1 (at most 0)."""
    low, high = REFERENCES.get(game, (0.0, 1.0))
    return min(0.0, low - (high - low))
