"""The PyGame 2D navigation domain (COvolve's second domain): a disc agent reaches a goal zone.

Declares the names of :class:`envs.api.DomainSpec` (LLM notes and ideas: the prompt_* files here).
Environment programs define ``class CustomEnv`` (reset/step over the observation dict of
:data:`DOC_ENV`); policy programs define ``policy(obs) -> (vx, vy)``.
The offline designer's environment programs are standalone: layout constants plus the arena code
copied from :mod:`envs.pygame_nav.blocks` (see :mod:`envs.pygame_nav.program`).
"""
from __future__ import annotations

from envs.pygame_nav.check import check_env
from envs.pygame_nav.contract import DOC_ENV, DOC_POLICY
from envs.pygame_nav.heldout import heldout_suite
from envs.pygame_nav.program import SEED_ENV
from envs.pygame_nav.render import render
from envs.pygame_nav.runner import NavTrace, format_trace, run_episode, start_states
from envs.pygame_nav.text import draw_level

NAME = "pygame"
ENV_REQUIRED: tuple[str, ...] = ("CustomEnv",)
POLICY_REQUIRED: tuple[str, ...] = ("policy",)
ALLOWED_IMPORTS = frozenset({"pygame", "gymnasium"})
"""Beyond the safe standard library and numpy; nothing of this project (programs copy the helpers
of ``envs.pygame_nav.blocks`` they use, as the seed program does)."""
DEFAULT_MAX_SECONDS = 1200.0
"""One episode's wall-clock limit: replanning policies on 1,000-obstacle arenas take 0.3-0.6 s a step."""
DIFFICULTY_MEASURE = "path_length"
"""Breaks ties between equally hard candidate levels (see envs.api.DomainSpec.difficulty_measure): the shortest path (px, see check_env)."""
PROBE_STEPS = 64
"""Steps of the short episode a policy candidate plays on the new level before it is accepted."""

__all__ = ["draw_level", "NAME", "ENV_REQUIRED", "POLICY_REQUIRED", "ALLOWED_IMPORTS", "DOC_ENV", "DOC_POLICY", "SEED_ENV",
           "DEFAULT_MAX_SECONDS", "DIFFICULTY_MEASURE", "NavTrace", "check_env", "format_trace", "heldout_suite", "render", "run_episode", "start_states"]
