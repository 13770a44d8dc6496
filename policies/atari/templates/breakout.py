"""Breakout policy: keep the paddle under the ball and steer it into the wall.

Game facts (checked on the emulator): the paddle ("Player") is 16 px wide at y=189, its x (left
edge) from 8 to 144, centre x + 8; y grows downward. The ball (2x4 px) bounces off the side walls
(ball x 8..151) and the top and is lost below the paddle. Block rows obs["RB"], obs["OB"],
obs["YB"], obs["GB"], obs["AB"], obs["BB"] (y = 57, 63, 69, 75, 81, 87) list segments
{x, y, w, h} of remaining blocks. Actions: 0 NOOP, 1 FIRE (launch a ball; the harness presses it
after reset and after each lost life), 2 RIGHT (x increases), 3 LEFT. Points: yellow and green
blocks 4, aqua and blue 1, red and orange 7. Five lives.
"""
import random


@trainable
def predict_ball_trajectory(obs):
    """Predict the x coordinate at which the ball will come down to the paddle (y=189).

    Args:
        obs: the observation dict; obs["Ball"] = {x, y, w, h, dx, dy} while a ball is in play
            (dy > 0: falling toward the paddle; side walls at x=8 and x=151).

    Returns:
        The predicted ball x in pixels, or None when there is no ball.
    """
    if "Ball" not in obs:
        return None
    return value(obs, "Ball", "x")


@trainable
def generate_paddle_target(predicted_x, obs):
    """Choose the x the paddle's LEFT edge should move to.

    Where the ball meets the paddle sets its bounce angle, which steers it toward the blocks.

    Args:
        predicted_x: the ball's predicted x at the paddle, or None.
        obs: the observation dict (obs["Player"]["x"] is the paddle's left edge, 16 px wide).

    Returns:
        The target x for the paddle's left edge, or None to let the paddle idle.
    """
    if predicted_x is None:
        return None
    return predicted_x


@trainable
def select_paddle_action(target_x, obs):
    """Choose the action that moves the paddle toward ``target_x``.

    Args:
        target_x: target x of the paddle's left edge, or None.
        obs: the observation dict.

    Returns:
        2 (right, x increases), 3 (left, x decreases), 0 (stay) or 1 (fire).
    """
    if target_x is None or "Player" not in obs:
        return random.choice([0, 1])
    if target_x > value(obs, "Player", "x"):
        return 2
    if target_x < value(obs, "Player", "x"):
        return 3
    return 0


def act(obs):
    """The action for this step."""
    return select_paddle_action(generate_paddle_target(predict_ball_trajectory(obs), obs), obs)
