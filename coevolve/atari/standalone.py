"""The best policy written as a standalone script that needs only ``ocatari`` to run.

The file is the policy program followed by a ``__main__`` block holding the observation builder
of its game (the very functions of :mod:`envs.atari.games`, copied by source) and an episode loop
that prints the score.
"""
from __future__ import annotations

import ast
import inspect
import textwrap

from envs.atari import games

_FIRE = """\
_, reward, _, _, info = env.step(1)  # FIRE launches the ball
score, steps = score + reward, steps + 1
"""

_MAIN = """\
import random

import ale_py
import gymnasium
import numpy
from ocatari.core import OCAtari
{helpers}
gymnasium.register_envs(ale_py)
random.seed(0)  # as the harness seeds an episode with seed 0
numpy.random.seed(0)
env = OCAtari({env_id!r}, mode="ram", hud=False, render_mode=None, create_buffer_stacks=[],
              frameskip=4, repeat_action_probability={sticky!r}, full_action_space=False,
              max_num_frames_per_episode=108000)
_, info = env.reset(seed=0)
lives, score, steps, done, obs = info.get("lives", 0), 0.0, 0, False, {{}}
{fire_start}while not done and steps < {max_steps}:
    obs = settle_motion({observe}(env.objects, info), obs)
    _, reward, truncated, terminated, info = env.step(int(act(obs)))  # OCAtari's flag order
    score, steps, done = score + reward, steps + 1, terminated or truncated
{fire_life}    lives = info.get("lives", lives)
print(f"score {{score:g}} in {{steps}} steps")
"""


def _without_main(source: str) -> str:
    """``source`` with any top-level ``if __name__ == "__main__":`` block removed."""
    tree = ast.parse(source)
    tree.body = [node for node in tree.body if not (
        isinstance(node, ast.If) and isinstance(node.test, ast.Compare)
        and isinstance(node.test.left, ast.Name) and node.test.left.id == "__name__")]
    return ast.unparse(tree)


def standalone_source(source: str, game: str, max_steps: int = 27000,
                      sticky: float = 0.25) -> str:
    """The policy ``source`` with a ``__main__`` block that plays one episode of ``game``."""
    spec = games.get_game(game)
    helpers = [games.object_dict, games.present, games.settle_motion, spec.observe]
    text = "\n".join(inspect.getsource(f) for f in helpers)
    if spec.observe is games.observe_breakout:
        text = f"BREAKOUT_ROWS = {games.BREAKOUT_ROWS!r}\n" + text
    fire_start = _FIRE if spec.fire_on_life_start else ""
    fire_life = ('    if not done and info.get("lives", lives) < lives:\n'
                 + textwrap.indent(_FIRE, "        ")) if spec.fire_on_life_start else ""
    main = _MAIN.format(helpers=text, env_id=spec.env_id, fire_start=fire_start,
                        fire_life=fire_life, max_steps=max_steps, observe=spec.observe.__name__,
                        sticky=float(sticky))
    return (_without_main(source) + '\n\n\nif __name__ == "__main__":\n'
            + textwrap.indent(main, "    "))
