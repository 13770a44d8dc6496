"""Atari policy templates: one starter program per game with ``@trainable`` functions.

Every starter begins with the shared helpers of ``templates/primitives.py`` (``trainable``,
``value``, ``land``, ``nearest``, ``clamp``, ...). A game's template file is named by its
:class:`envs.atari.Game` record (``Game.template``), which also holds the offline optimiser's
objects, primitives and macros.

Each template defines ``act(obs) -> int`` composed from its trainable functions (Pong:
predict_ball_trajectory -> select_action; Breakout: predict_ball_trajectory ->
generate_paddle_target -> select_paddle_action; Space Invaders: decide_shoot, decide_movement ->
combine_actions; any other game: choose_action). The starters are deliberately weak; the
optimiser improves them.
"""
from __future__ import annotations

import ast
from pathlib import Path

from envs.atari import get_game

TEMPLATES = Path(__file__).parent / "templates"
"""The folder of the starter programs (read as source, not imported)."""


def template_text(game: str) -> str:
    """The template file of ``game``; the generic one filled in with the game's facts."""
    spec = get_game(game)  # raises ValueError naming the games
    text = (TEMPLATES / spec.template).read_text()
    if spec.template != "generic.py":
        return text
    meanings = spec.doc.split("Actions (the ALE's minimal action set): ")[1].split("\n")[0]
    return text.format(game=game, doc=spec.doc, actions=meanings.rstrip("."),
                       choices=list(range(spec.n_actions)))


def template_source(game: str) -> str:
    """The starter program of ``game``: its template with the shared helpers after the imports."""
    tree = ast.parse(template_text(game))
    helpers = [node for node in ast.parse((TEMPLATES / "primitives.py").read_text()).body
               if isinstance(node, ast.FunctionDef)]
    at = 0
    while at < len(tree.body) and (isinstance(tree.body[at], (ast.Import, ast.ImportFrom))
                                   or (at == 0 and isinstance(tree.body[0], ast.Expr))):
        at += 1
    tree.body[at:at] = helpers
    return ast.unparse(tree) + "\n"


SEED_POLICY = template_source("Pong")
"""The Pong starter, as the domain protocol's seed policy."""
