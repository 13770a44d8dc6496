"""The base arena as a Gymnasium environment, and the level-building helpers, for humans and LLMs.

``gymnasium.make("CoevolveNav-v0", width=..., obstacles=[...])`` builds a :class:`NavArena`. Programs
that import this module need coevolve installed; the offline designer's programs copy the same
definitions from :mod:`envs.pygame_nav.blocks` instead, so they stay standalone.
"""
from __future__ import annotations

import gymnasium
import numpy as np
from gymnasium import spaces

from envs.pygame_nav.blocks import (NavCore, blocked_cells, corridor_bars, disc_fits, place_obstacle, room_walls,
                                    sample_start_goal, u_trap)

ENV_ID = "CoevolveNav-v0"


class NavArena(NavCore, gymnasium.Env):
    """:class:`NavCore` as a ``gymnasium.Env``; randomness from the Gymnasium ``np_random``.

    The observation is the contract's dict (its ``objects`` list varies in length, so
    ``observation_space`` describes the fixed-size entries only and the passive checker is off).
    ``render_mode="rgb_array"`` renders an (H, W, 3) array of the arena.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 30}

    def __init__(self, render_mode=None, **layout):
        NavCore.__init__(self, **layout)
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self.render_mode = render_mode
        self.action_space = spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float32)
        self.observation_space = spaces.Dict({
            "agent_pos": spaces.Box(0.0, max(self.bounds), shape=(2,), dtype=np.float64),
            "bounds": spaces.Box(0.0, max(self.bounds), shape=(2,), dtype=np.float64),
        })

    def reset(self, *, seed=None, options=None):
        """Lay out a new episode from the Gymnasium generator (seeded by ``seed``)."""
        gymnasium.Env.reset(self, seed=seed)
        return self.reset_from(self.np_random)

    def render(self):
        """An (H, W, 3) uint8 picture of the arena when ``render_mode == "rgb_array"``."""
        if self.render_mode != "rgb_array":
            return None
        import pygame

        from envs.pygame_nav.render import draw

        return np.transpose(pygame.surfarray.array3d(draw(self.observation(), [self.pos])), (1, 0, 2))


if ENV_ID not in gymnasium.registry:
    gymnasium.register(id=ENV_ID, entry_point=NavArena, disable_env_checker=True)

__all__ = ["ENV_ID", "NavArena", "NavCore", "blocked_cells", "corridor_bars", "disc_fits", "place_obstacle",
           "room_walls", "sample_start_goal", "u_trap"]
