"""A tiny domain for report tests: a walk on a line, rendered as a small PNG.

An environment program defines ``LENGTH`` (and ``BROKEN`` to make its render fail); a policy
program defines ``policy(position) -> step``. The episode succeeds on reaching ``LENGTH``.
"""
from collections import namedtuple

import numpy as np
from matplotlib import image

from envs.api import EpisodeResult

Trace = namedtuple("Trace", "path")


def run_episode(env_module, policy_module, *, seed, trace=False):
    """Walk from 0 for at most 2 * LENGTH steps."""
    position, path = 0, [(0, 0)]
    for _ in range(2 * env_module.LENGTH):
        position += int(policy_module.policy(position))
        path.append((position, 0))
        if position >= env_module.LENGTH:
            break
    success = position >= env_module.LENGTH
    return EpisodeResult(success, float(success), len(path) - 1,
                         trace=Trace(tuple(path)) if trace else None)


def render(env_module, seed, path, out_png, **options):
    """One row of cells; visited cells are white."""
    if getattr(env_module, "BROKEN", False):
        raise RuntimeError("this level cannot be drawn")
    row = np.zeros((4, 4 * (env_module.LENGTH + 1), 3))
    for x, _ in path:
        row[:, 4 * x:4 * x + 4] = 1.0
    image.imsave(out_png, row)
