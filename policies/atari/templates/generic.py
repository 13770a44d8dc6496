"""{game} policy (generic template for an OCAtari game without a hand-made one).

{doc}
"""
import random


@trainable
def choose_action(obs):
    """Choose this step's action.

    Args:
        obs: the observation dict (see the module docstring): obs[NAME] = {{x, y, w, h, dx, dy}}
            for each visible object; look-ups through value(obs, NAME, KEY) give 0 when absent.

    Returns:
        An action index: {actions}.
    """
    return random.choice({choices})


def act(obs):
    """The action for this step."""
    return choose_action(obs)
