"""A few screens of a policy's play, as PNG images: what the report shows of the best program.

:func:`play_frames` runs in a sandbox worker (it executes the policy program); the images come
back as PNG bytes, since a worker cannot write into the run directory.
"""
from __future__ import annotations

import io

from envs.atari.games import get_game
from envs.atari.protocol import Protocol
from envs.atari.runner import make_env, play


def png(screen) -> bytes:
    """An RGB screen array as PNG bytes."""
    from matplotlib.image import imsave

    buffer = io.BytesIO()
    imsave(buffer, screen, format="png")
    return buffer.getvalue()


def play_frames(env_module, policy_module, *, seed: int, every: int = 200,
                count: int = 6) -> dict:
    """Play the policy under the protocol ``env_module`` and keep the screen every ``every``
    agent steps, ``count`` times at most.

    Returns:
        ``frames`` (PNG bytes), ``steps`` and ``scores`` (the agent step and the score of
        each frame), the episode's final ``score`` and ``error`` (the program's exception as
        text, or None).
    """
    protocol = Protocol.of(env_module)
    game = get_game(protocol.game)
    env = make_env(game.name, protocol.sticky)
    frames, steps, scores = [], [], []

    def watch(step: int, score: float) -> None:
        if step % every == 0:
            frames.append(png(env.getScreenRGB()))
            steps.append(step)
            scores.append(score)

    out = play(env, policy_module.act, game.observe, game.n_actions, game.fire_on_life_start,
               seed=seed, max_steps=min(protocol.max_steps, every * count), watch=watch)
    return {"frames": frames, "steps": steps, "scores": scores, "score": out["score"],
            "error": out["error"]}
