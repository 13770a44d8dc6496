"""Atari policy templates: one starter program per game with ``@trainable`` functions.

Every starter begins with the shared helpers of ``templates/primitives.py`` (``trainable``,
``value``, ``land``, ``nearest``, ``clamp``).

Each template defines ``act(obs) -> int`` composed from its trainable functions (Pong:
predict_ball_trajectory -> select_action; Breakout: predict_ball_trajectory ->
generate_paddle_target -> select_paddle_action; Space Invaders: decide_shoot, decide_movement ->
combine_actions). The starters are deliberately weak; the optimiser improves them.
"""
from __future__ import annotations

import ast
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


PRIMITIVES = {
    "Pong": ('land(obs, "Ball", "x", 140, 31, 193)',),
    "Breakout": ('land(obs, "Ball", "y", 189, 8, 151)',),
    "SpaceInvaders": ('nearest(obs, "Alien", "x", value(obs, "Player", "x"))',
                      'nearest(obs, "Bullet", "x", value(obs, "Player", "x"))',
                      'nearest(obs, "Bullet", "y", value(obs, "Player", "x"))'),
}
"""Calls of the starters' helper functions (``templates/primitives.py``) that the offline
optimiser may put into new expressions, with the game's documented constants: where the ball
lands at the player's paddle, the nearest alien or shot to the cannon."""


def template_source(game: str) -> str:
    """The starter program of ``game``: its template with the shared helpers after the imports."""
    get_game(game)  # raises ValueError naming the games
    folder = Path(__file__).parent / "templates"
    tree = ast.parse((folder / _TEMPLATE_FILES[game]).read_text())
    helpers = [node for node in ast.parse((folder / "primitives.py").read_text()).body
               if isinstance(node, ast.FunctionDef)]
    at = 0
    while at < len(tree.body) and (isinstance(tree.body[at], (ast.Import, ast.ImportFrom))
                                   or (at == 0 and isinstance(tree.body[0], ast.Expr))):
        at += 1
    tree.body[at:at] = helpers
    return ast.unparse(tree) + "\n"


SEED_POLICY = template_source("Pong")
"""The Pong starter, as the domain protocol's seed policy."""
