"""Space Invaders policy: dodge the bombs, shoot the aliens.

Game facts (checked on the emulator): the cannon ("Player", 7 px wide, y=185) moves with x from
34 to 116 (y grows downward) and cannot move for ~35 steps at the start of each life. Aliens are
obs["Alien0"], obs["Alien1"], ... (8x10 px), shields obs["Shield0"].. (y about 157), shots in
flight obs["Bullet0"].. (yours fly up, dy < 0; the aliens' bombs fall, dy > 0), the mystery ship
obs["Satellite"]. Actions: 0 NOOP, 1 FIRE, 2 RIGHT (x increases), 3 LEFT, 4 RIGHTFIRE,
5 LEFTFIRE; one of your shots flies at a time. Aliens are worth 5 to 30 points (higher rows more),
the satellite up to 200. Three lives; a bomb hit costs one.
"""
import random


@trainable
def decide_shoot(obs):
    """Decide whether to fire this step.

    Args:
        obs: the observation dict (aliens "Alien<i>", bullets "Bullet<i>", "Player").

    Returns:
        True to fire, False otherwise.
    """
    return random.random() < 0.5


@trainable
def decide_movement(obs):
    """Decide which way the cannon moves.

    Args:
        obs: the observation dict; obs["Player"]["x"] is the cannon's left edge.

    Returns:
        1 to move right (x increases), -1 to move left, 0 to stay.
    """
    return random.choice([-1, 0, 1])


@trainable
def combine_actions(shoot, movement):
    """Turn the two decisions into one action index.

    Args:
        shoot: True to fire.
        movement: 1 right, -1 left, 0 stay.

    Returns:
        0 NOOP, 1 FIRE, 2 RIGHT, 3 LEFT, 4 RIGHTFIRE or 5 LEFTFIRE.
    """
    if movement > 0:
        return 4 if shoot else 2
    if movement < 0:
        return 5 if shoot else 3
    return 1 if shoot else 0


def act(obs):
    """The action for this step."""
    return combine_actions(decide_shoot(obs), decide_movement(obs))
