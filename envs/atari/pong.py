"""Pong: you are the right paddle; the first side to 21 points wins.

Every fact in ``DOC`` was checked against the emulator (ALE 0.12, OCAtari 2.2.1, RAM mode,
frameskip 4) by ``experiments/atari_actions.py`` and ``tests/envs/test_atari_games.py``.
"""
from __future__ import annotations

from envs.atari.game import Game, object_dict, present
from envs.atari.scores import Stages


def observe_pong(objects, info: dict) -> dict:
    """Pong: ``Player``, ``Ball``, ``Enemy`` (each only while visible)."""
    return {obj.category: object_dict(obj) for obj in present(objects)}


DOC = """\
Pong (ALE/Pong-v5). You control the RIGHT paddle ("Player", x=140, 4 px wide, 15 px tall)
against the computer's left paddle ("Enemy", x=16). obs is a dict with keys "Player", "Ball",
"Enemy", each {x, y, w, h, dx, dy}: x, y the top-left corner in pixels (y grows DOWNWARD),
dx, dy the movement since the previous step (0 on the step an object appears). A key is absent while the object is not visible
(the ball is missing between points). The ball (2x4 px) bounces off the top wall (ball y=31)
and the bottom wall (ball y=193); it reaches your paddle's column at x=140 (dx > 0 when it
comes toward you) and is lost behind it. The paddle's y ranges from 34 (top) to 190 (bottom). Actions (checked on the
emulator): 0 NOOP and 1 FIRE keep the paddle still; 2 RIGHT and 4 RIGHTFIRE move the paddle UP
(y decreases); 3 LEFT and 5 LEFTFIRE move it DOWN (y increases);
the paddle has momentum: a press moves it about 10 px that step, 10 px the next and 3 px the one
after (about 22 px a step while held). Reward +1 when the enemy
misses, -1 when you miss; the game ends when one side reaches 21 (score range -21..21)."""

MACROS = {
    "predict_ball_trajectory": ("""\
@trainable
def predict_ball_trajectory(obs):
    if "Ball" not in obs:
        return None
    return land(obs, "Ball", "x", 140, 31, 193)
""",),
    "select_action": ("""\
@trainable
def select_action(predicted_y, obs):
    if predicted_y is None or "Player" not in obs:
        return 0
    if predicted_y < rest(obs, "Player", "y", 0.65, 34, 190) - 6:
        return 2
    if predicted_y > rest(obs, "Player", "y", 0.65, 34, 190) + 14:
        return 3
    return 0
""",),
}
"""Macro mutations: the ball's landing point with wall bounces, and a paddle that follows it
by where its momentum brings it to rest, still while the ball lands within 10 px of the
paddle's aim (its top edge + 4). One press moves the paddle about 23 px, so a paddle that
chases a nearer target only swings across it (measured on 6 games, sticky 0.25: -4.5 with no
dead zone, +15.3 with this one). The two comparisons share both operands, so the
matched-margin edit widens, narrows or shifts the band in one step."""

GAME = Game(
    "Pong", "ALE/Pong-v5", 6, False, observe_pong, DOC, template="pong.py", worst=-21.0,
    stages=Stages(0.0, 19.0, 21.0, goal="win points: return every ball and angle it past the "
                  "enemy paddle; the maximum is 21"),
    objects=("Ball", "Player", "Enemy"),
    primitives=('land(obs, "Ball", "x", 140, 31, 193)', 'rest(obs, "Player", "y", 0.65, 34, 190)'),
    macros=MACROS, horizon=400)
"""Pong; feedback stages <= 0 / > 0 / >= 19, stop at 21."""
