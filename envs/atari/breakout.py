"""Breakout: keep the ball in play with the paddle and break the blocks.

Every fact in ``DOC`` was checked against the emulator (ALE 0.12, OCAtari 2.2.1, RAM mode,
frameskip 4) by ``experiments/atari_actions.py`` and ``tests/envs/test_atari_games.py``.
"""
from __future__ import annotations

from envs.atari.game import Game, object_dict, present
from envs.atari.scores import Stages


BREAKOUT_ROWS = ("RB", "OB", "YB", "GB", "AB", "BB")
"""Block-row keys from the top row (red, y=57) down to the bottom row (blue, y=87), 6 px apart."""


def observe_breakout(objects, info: dict) -> dict:
    """Breakout: ``Player``, ``Ball``, block rows ``RB``..``BB`` and ``lives``."""
    obs = {key: [] for key in BREAKOUT_ROWS}
    for obj in present(objects):
        if obj.category == "Block":
            row = BREAKOUT_ROWS[(int(obj.y) - 57) // 6]
            obs[row].append({"x": int(obj.x), "y": int(obj.y), "w": int(obj.w), "h": int(obj.h)})
        else:
            obs[obj.category] = object_dict(obj)
    obs["lives"] = int(info.get("lives", 0))
    return obs


DOC = """\
Breakout (ALE/Breakout-v5). You control the paddle ("Player", y=189, 16 px wide, 4 px tall) at
the bottom. obs is a dict: "Player" and "Ball" as {x, y, w, h, dx, dy} (x, y top-left, y grows
DOWNWARD; "Ball" is absent while no ball is in play), the block rows "RB", "OB", "YB", "GB",
"AB", "BB" (red y=57, orange y=63, yellow y=69, green y=75, aqua y=81, blue y=87), each a list
of {x, y, w, h} segments of adjacent remaining blocks (each block 8 px wide, 6 px tall, x from
8 to 151), and "lives" (5 at the start). The paddle's x ranges from 8 (left) to 144 (right), so
its centre is x + 8; the ball (2x4 px) bounces off the side walls (ball x 8..151) and the top,
and is lost below the paddle. Once the ball first reaches the top wall the paddle shrinks to
about 12 px (its left edge x stays; obs still says w 16), so its centre becomes about x + 6.
The paddle moves with momentum: a press moves it about 12 px that step and 11 px the next (23 px
a step while held), so it stops one step after the last press. Actions (checked on the emulator): 0 NOOP; 1 FIRE (launches a
new ball; the harness presses it after reset and after each lost life); 2 RIGHT moves the paddle
right (x increases); 3 LEFT moves it left. Points per block: yellow and green 4, aqua and blue 1
(checked), red and orange 7 (the game's rule). The game ends when the 5 lives are lost."""

MACROS = {
    "predict_ball_trajectory": ("""\
@trainable
def predict_ball_trajectory(obs):
    if "Ball" not in obs:
        return None
    if value(obs, "Ball", "dy") > 0:
        return land(obs, "Ball", "y", 185, 8, 150)
    return value(obs, "Ball", "x")
""",),
    "generate_paddle_target": ("""\
@trainable
def generate_paddle_target(predicted_x, obs):
    if predicted_x is None:
        return None
    return predicted_x - 8
""",),
    "select_paddle_action": ("""\
@trainable
def select_paddle_action(target_x, obs):
    if target_x is None or "Player" not in obs:
        return 1
    if target_x > rest(obs, "Player", "x", 0.5, 8, 144) + 8:
        return 2
    if target_x < rest(obs, "Player", "x", 0.5, 8, 144) - 8:
        return 3
    return 0
""",),
}
"""Macro mutations: where the falling ball meets the paddle, and a paddle steered by where it
will come to rest (its momentum) rather than where it is, with a dead zone of 8 px each side:
a press moves it about 23 px in all, so a narrower one only swings it across the target
(measured on 12 games, sticky 0.25: 65.9 with 4 px, 188.3 with 8 px). The two comparisons share
both operands, so the matched-margin edit widens or narrows the dead zone in one step."""

GAME = Game(
    "Breakout", "ALE/Breakout-v5", 4, True, observe_breakout, DOC, template="breakout.py",
    worst=0.0,
    stages=Stages(0.0, 300.0, 400.0, goal="keep the ball in play and break blocks, the upper "
                  "rows are worth more"),
    objects=("Ball", "Player"),
    primitives=('land(obs, "Ball", "y", 189, 8, 151)', 'rest(obs, "Player", "x", 0.5, 8, 144)'),
    macros=MACROS, horizon=300)
"""Breakout; feedback stages <= 0 / > 0 / >= 300, stop at 400."""
