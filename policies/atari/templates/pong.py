"""Pong policy: move the right paddle to where the ball will arrive.

Game facts (checked on the emulator): you are the RIGHT paddle ("Player", x=140, 4 px wide,
15 px tall, y = top edge from 34 to 190, y grows downward). The ball (2x4 px) bounces off the
walls at y=31 and y=193 and is lost when it passes your paddle. Actions: 0 NOOP, 2 moves the
paddle UP (y decreases), 3 moves it DOWN (y increases). +1 when the enemy misses, -1 when you
miss; first to 21 wins.
"""
import random


@trainable
def predict_ball_trajectory(obs):
    """Predict the y coordinate at which the ball will reach the paddle's column.

    Args:
        obs: the observation dict; obs["Ball"] = {x, y, w, h, dx, dy} while the ball is in play
            (dx > 0: moving toward your paddle at x=140; walls at y=31 and y=193).

    Returns:
        The predicted ball y in pixels, or None when there is no ball.
    """
    if "Ball" not in obs:
        return None
    return value(obs, "Ball", "y")


@trainable
def select_action(predicted_y, obs):
    """Choose the action that moves the paddle toward ``predicted_y``.

    Args:
        predicted_y: target y from predict_ball_trajectory, or None.
        obs: the observation dict; obs["Player"]["y"] is the paddle's TOP edge (15 px tall).

    Returns:
        2 (up, y decreases), 3 (down, y increases) or 0 (stay).
    """
    if predicted_y is None or "Player" not in obs:
        return random.choice([2, 3])
    if predicted_y < value(obs, "Player", "y"):
        return 2
    if predicted_y > value(obs, "Player", "y"):
        return 3
    return 0


def act(obs):
    """The action for this step."""
    return select_action(predict_ball_trajectory(obs), obs)
