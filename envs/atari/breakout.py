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
    previous = getattr(predict_ball_trajectory, "ball", None)
    predict_ball_trajectory.ball = obs.get("Ball")
    if "Ball" not in obs:
        return None
    obs["Ball"]["dx"] = bounced(obs["Ball"], previous, "x", 8, 151)
    obs["Ball"]["dy"] = bounced(obs["Ball"], previous, "y", 31, 999)
    if value(obs, "Ball", "dy") > 0:
        return land(obs, "Ball", "y", 189, 8, 150)
    return value(obs, "Ball", "x")
""",),
    "generate_paddle_target": ("""\
@trainable
def generate_paddle_target(predicted_x, obs):
    if predicted_x is None:
        return None
    return predicted_x - 5
""",),
    "select_paddle_action": ("""\
@trainable
def select_paddle_action(target_x, obs):
    if target_x is None or "Player" not in obs:
        select_paddle_action.last = 0
        return 1
    arrival = 4
    if value(obs, "Ball", "dy") > 0:
        arrival = max(1, int((183 - value(obs, "Ball", "y")) / value(obs, "Ball", "dy")) + 1)
    press = plan_press(value(obs, "Player", "x"), getattr(select_paddle_action, "last", 0),
                       target_x, arrival, 2, 12, 10.4, 8, 144)
    select_paddle_action.last = press
    return {1: 2, -1: 3, 0: 0}[press]
""",),
}
"""Macro mutations: where the falling ball meets the paddle (its speed corrected on the step it
bounces off a wall, from the ball of the step before, kept in a function attribute), a target
that puts the shrunken paddle's centre under it, and a paddle steered by a plan of its next
three presses through its measured lag (12 px, then 10.4 px) that holds for two steps either
side of the contact. Measured (32 games, seeds 400-431, sticky 0.25): the rest-based steering
with a dead zone of 8 px scored about 141-188; this plan 513.0 +- 206.3."""

GAME = Game(
    "Breakout", "ALE/Breakout-v5", 4, True, observe_breakout, DOC, template="breakout.py",
    worst=0.0,
    stages=Stages(0.0, 300.0, 400.0, goal="keep the ball in play and break blocks, the upper "
                  "rows are worth more"),
    objects=("Ball", "Player"),
    primitives=('land(obs, "Ball", "y", 189, 8, 151)', 'rest(obs, "Player", "x", 0.5, 8, 144)'),
    macros=MACROS, horizon=300)
"""Breakout; feedback stages <= 0 / > 0 / >= 300, stop at 400."""
