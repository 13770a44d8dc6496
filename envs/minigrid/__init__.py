"""The MiniGrid domain, environment side: the names of :class:`envs.api.DomainSpec`.

Its LLM notes and ideas are the prompt_* files beside this module.

Environment programs define ``class CustomEnv(MiniGridEnv)``; policy programs define
``policy(obs, agent_pos, agent_dir) -> int``. See :data:`DOC_ENV` and :data:`DOC_POLICY`.
"""
from __future__ import annotations

from pathlib import Path

from envs.api import HeldoutFamily
from envs.minigrid.contract import DOC_ENV, DOC_POLICY
from envs.minigrid.levels import check_env
from envs.minigrid.render import render
from envs.minigrid.runner import EpisodeTrace, format_trace, run_episode, start_states, trace_path
from envs.minigrid.text import draw_level

NAME = "minigrid"
ENV_REQUIRED = ("CustomEnv",)
POLICY_REQUIRED = ("policy",)
ALLOWED_IMPORTS = frozenset({"minigrid", "gymnasium"})
SEED_ENV = (Path(__file__).parent / "seed_env.py").read_text()
DEFAULT_MAX_SECONDS = 300.0
DIFFICULTY_MEASURE = "solution_length"
PROBE_STEPS = 64
"""Steps of the short episode a policy candidate plays on the new level before it is accepted."""
HELDOUT_IDS = ("MiniGrid-MultiRoom-N6-v0", "MiniGrid-DoorKey-16x16-v0", "MiniGrid-LockedRoom-v0",
               "MiniGrid-LavaCrossingS11N5-v0", "MiniGrid-Dynamic-Obstacles-16x16-v0",
               "MiniGrid-DistShift2-v0")
"""The held-out Gymnasium levels: the paper's three, then lava crossings, moving obstacles and a
lava distribution shift, which separate the strategies of the default runs (README)."""


def heldout_suite() -> list[HeldoutFamily]:
    """The held-out Gymnasium levels of :data:`HELDOUT_IDS`, one family each."""
    return [HeldoutFamily(name=env_id, env_sources=(None,), options={"env_id": env_id})
            for env_id in HELDOUT_IDS]


__all__ = ["draw_level", "NAME", "ENV_REQUIRED", "POLICY_REQUIRED", "ALLOWED_IMPORTS", "DOC_ENV", "DOC_POLICY",
           "SEED_ENV", "DEFAULT_MAX_SECONDS", "DIFFICULTY_MEASURE", "HELDOUT_IDS", "EpisodeTrace", "check_env",
           "format_trace", "heldout_suite", "render", "run_episode", "start_states", "trace_path"]
