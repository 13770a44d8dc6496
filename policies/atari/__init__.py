"""Atari policy templates: one starter program per game with ``@trainable`` functions.

Each template defines ``act(obs) -> int`` composed from its trainable functions (Pong:
predict_ball_trajectory -> select_action; Breakout: predict_ball_trajectory ->
generate_paddle_target -> select_paddle_action; Space Invaders: decide_shoot, decide_movement ->
combine_actions). The starters are deliberately weak; the optimiser improves them.
"""
from __future__ import annotations

from pathlib import Path

from envs.atari import get_game

_TEMPLATE_FILES = {"Pong": "pong.py", "Breakout": "breakout.py",
                   "SpaceInvaders": "space_invaders.py"}

OBJECTS = {
    "Pong": ("Ball", "Player", "Enemy"),
    "Breakout": ("Ball", "Player"),
    "SpaceInvaders": ("Player", "Alien0", "Bullet0", "Satellite"),
}
"""Object names the offline optimiser may look up in new ``value(obs, NAME, KEY)`` primitives."""


def template_source(game: str) -> str:
    """The starter program of ``game``."""
    get_game(game)  # raises ValueError naming the games
    return (Path(__file__).parent / "templates" / _TEMPLATE_FILES[game]).read_text()


SEED_POLICY = template_source("Pong")
"""The Pong starter, as the domain protocol's seed policy."""
