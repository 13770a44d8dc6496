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

from envs.atari import GAMES, get_game

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
lands at the player's paddle, the nearest alien or shot to the cannon, which way to dodge a
bomb, the alien column to aim at."""

MACROS = {
    "Pong": {
        "predict_ball_trajectory": ["""\
@trainable
def predict_ball_trajectory(obs):
    if "Ball" not in obs:
        return None
    return land(obs, "Ball", "x", 140, 31, 193)
"""],
        "select_action": ["""\
@trainable
def select_action(predicted_y, obs):
    if predicted_y is None or "Player" not in obs:
        return 0
    if predicted_y < value(obs, "Player", "y") + 4:
        return 2
    if predicted_y > value(obs, "Player", "y") + 4:
        return 3
    return 0
"""]},
    "Breakout": {
        "predict_ball_trajectory": ["""\
@trainable
def predict_ball_trajectory(obs):
    if "Ball" not in obs:
        return None
    if value(obs, "Ball", "dy") > 0:
        return land(obs, "Ball", "y", 185, 8, 150)
    return value(obs, "Ball", "x")
"""],
        "generate_paddle_target": ["""\
@trainable
def generate_paddle_target(predicted_x, obs):
    if predicted_x is None:
        return None
    return predicted_x - 8
"""],
        "select_paddle_action": ["""\
@trainable
def select_paddle_action(target_x, obs):
    if target_x is None or "Player" not in obs:
        return 0
    if target_x > value(obs, "Player", "x") + value(obs, "Player", "dx"):
        return 2
    if target_x < value(obs, "Player", "x") + value(obs, "Player", "dx"):
        return 3
    return 0
"""]},
    "SpaceInvaders": {
        "decide_movement": ["""\
@trainable
def decide_movement(obs):
    if "Player" not in obs:
        return 0
    escape = dodge(obs, value(obs, "Player", "x"), 6, 30)
    if escape != 0:
        return escape
    if column(obs, value(obs, "Player", "x"), 3) > value(obs, "Player", "x"):
        return 1
    if column(obs, value(obs, "Player", "x"), 3) < value(obs, "Player", "x"):
        return -1
    return 0
"""],
        "decide_shoot": ["""\
@trainable
def decide_shoot(obs):
    if shot_flying(obs):
        return False
    return abs(column(obs, value(obs, "Player", "x"), 3) - value(obs, "Player", "x")) < 4
"""]},
}
"""Macro mutations: whole trainable functions built from the typed primitives (ball landing
with wall bounces, paddle motion lead, bomb dodging, alien-column targeting), with plain
constants the other operators then tune. Comparisons that bound a band share both operands,
so the matched-margin edit can open a dead zone in one step."""

PRIMITIVES["SpaceInvaders"] += ('dodge(obs, value(obs, "Player", "x"), 6, 30)',
                                'column(obs, value(obs, "Player", "x"), 3)')


def player_name(game: str) -> str:
    """The object a generic game's player is: "Player" if it has one, else its first category."""
    from envs.atari.games import object_classes

    names = list(object_classes(game))
    return "Player" if "Player" in names else names[0]


def game_objects(game: str) -> tuple[str, ...]:
    """Object names usable in new look-ups: the hand-made list, or a generic game's categories."""
    if game in OBJECTS:
        return OBJECTS[game]
    from envs.atari.games import object_classes

    return tuple(object_classes(game))


def game_primitives(game: str) -> tuple[str, ...]:
    """Primitive calls of ``game``; a generic game's are offsets from its player to each
    other category."""
    if game in PRIMITIVES:
        return PRIMITIVES[game]
    me = player_name(game)
    return tuple(f'offset(obs, "{name}", "{key}", "{me}")' for name in game_objects(game)
                 if name != me for key in ("x", "y"))


_MOVES = {"UP": (0, -1), "DOWN": (0, 1), "LEFT": (-1, 0), "RIGHT": (1, 0)}


def game_macros(game: str) -> dict[str, list[str]]:
    """Macros of ``game``; a generic game's: hold one movement action, or chase (or flee)
    the nearest object of a category with the plain moves of the minimal action set."""
    if game in MACROS:
        return MACROS[game]
    meanings = get_game(game).doc.split("Actions (the ALE's minimal action set): ")[1]
    index = {}
    for item in meanings.split("\n")[0].rstrip(".").split(", "):
        number, name = item.split(" ", 1)
        index[name] = int(number)
    out = [f"@trainable\ndef choose_action(obs):\n    return {index[name]}\n"
           for name in index if name not in ("NOOP",)]
    moves = {name: index[name] for name in _MOVES if name in index}
    if len(moves) >= 2:
        me, rest = player_name(game), "FIRE" if "FIRE" in index else "NOOP"
        for name in game_objects(game):
            if name == me:
                continue
            for sign in (1, -1):
                lines = ["@trainable", "def choose_action(obs):"]
                for move, (ux, uy) in _MOVES.items():
                    if move not in moves:
                        continue
                    axis, direction = ("x", ux) if ux else ("y", uy)
                    op = ">" if direction * sign > 0 else "<"
                    bound = 4 if op == ">" else -4
                    lines.append(f'    if offset(obs, "{name}", "{axis}", "{me}") {op} {bound}:')
                    lines.append(f"        return {moves[move]}")
                lines.append(f"    return {index.get(rest, 0)}")
                out.append("\n".join(lines) + "\n")
    return {"choose_action": out}


def generic_template(game: str) -> str:
    """The generic starter of an OCAtari game: a uniformly random action, documented."""
    spec = get_game(game)
    meanings = spec.doc.split("Actions (the ALE's minimal action set): ")[1].split("\n")[0]
    text = (Path(__file__).parent / "templates" / "generic.py").read_text()
    return text.format(game=game, doc=spec.doc, actions=meanings.rstrip("."),
                       choices=list(range(spec.n_actions)))


def template_source(game: str) -> str:
    """The starter program of ``game``: its template with the shared helpers after the imports."""
    get_game(game)  # raises ValueError naming the games
    folder = Path(__file__).parent / "templates"
    if game in _TEMPLATE_FILES:
        tree = ast.parse((folder / _TEMPLATE_FILES[game]).read_text())
    else:
        tree = ast.parse(generic_template(game))
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
