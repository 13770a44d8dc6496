"""Render a seeded MiniGrid level as a PNG, with a policy's path drawn over it."""
from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

import matplotlib.image
import numpy as np

from envs.minigrid.runner import make_env

TILE = 32
PATH_COLOUR = np.array([255, 140, 0], dtype=np.uint8)


def level_image(env_module: ModuleType | None, seed: int, env_id: str | None = None,
                tile: int = TILE) -> np.ndarray:
    """MiniGrid's own full-grid rendering (no view highlight) of the seeded level, agent at start."""
    env = make_env(env_module, seed, env_id)
    return env.get_frame(highlight=False, tile_size=tile)


def draw_path(image: np.ndarray, path: Sequence, tile: int = TILE) -> np.ndarray:
    """A copy of ``image`` with ``path`` (cells (x, y)) drawn as a line with a dot per cell."""
    out = image.copy()
    centres = [(x * tile + tile // 2, y * tile + tile // 2) for x, y in path]
    for (x0, y0), (x1, y1) in zip(centres, centres[1:]):
        count = max(abs(x1 - x0), abs(y1 - y0)) + 1
        for px, py in zip(np.linspace(x0, x1, count), np.linspace(y0, y1, count)):
            _dot(out, int(round(px)), int(round(py)), max(1, tile // 16))
    for px, py in centres:
        _dot(out, px, py, max(2, tile // 8))
    return out


def _dot(image: np.ndarray, x: int, y: int, radius: int) -> None:
    image[max(0, y - radius):y + radius + 1, max(0, x - radius):x + radius + 1] = PATH_COLOUR


def render(env_module: ModuleType | None, seed: int, path, out_png: str,
           env_id: str | None = None) -> None:
    """Write the seeded level (a program, or a registered ``env_id``) with ``path`` to ``out_png``.

    Args:
        env_module: the executed environment program, or None with ``env_id``.
        seed: the level's seed.
        path: cells (x, y) the agent visited, e.g. ``trace_path(trace)``; None or empty for none.
        out_png: the file to write; the image is (height * 32) x (width * 32) pixels.
        env_id: a registered Gymnasium MiniGrid id instead of a program.
    """
    image = draw_path(level_image(env_module, seed, env_id), list(path or ()))
    matplotlib.image.imsave(out_png, image)
