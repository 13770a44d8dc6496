"""The urban driving domain (COvolve's CARLA domain) on highway-env.

Declares the names of :class:`envs.api.DomainSpec` (LLM notes: the prompt_* files here).

Environment programs define ``class CustomEnv`` (reset(seed=...)/step over COvolve's CARLA
observation dict, :data:`DOC_ENV`); policy programs define ``policy(obs) -> (steer, throttle, brake)``
or ``class Policy`` with ``compute_action(obs, path)`` (:data:`DOC_POLICY`). The offline designer's
environment programs are standalone: level constants plus the world of :mod:`envs.driving.world`
(see :mod:`envs.driving.program`).
"""
from __future__ import annotations

from envs.driving.check import check_env
from envs.driving.contract import DOC_ENV, DOC_POLICY
from envs.driving.heldout import heldout_suite
from envs.driving.program import SEED_ENV
from envs.driving.render import render
from envs.driving.runner import format_trace, run_episode, trace_path

NAME = "driving"
ENV_REQUIRED: tuple[str, ...] = ("CustomEnv",)
POLICY_REQUIRED: tuple[str, ...] = ()
"""Empty: a policy program defines ``policy`` or ``Policy`` (either will do), which the runner checks."""
ALLOWED_IMPORTS = frozenset({"highway_env", "gymnasium"})
DEFAULT_MAX_SECONDS = 300.0
"""One episode's wall-clock limit: the seed route takes 2-5 s, a held-out town route up to 15 s."""
DIFFICULTY_MEASURE = "reference_time_s"
"""Breaks ties between equally hard candidate levels (see envs.api.DomainSpec.difficulty_measure): the reference driver's time."""
RUN_DEFAULTS = {"episodes": 3, "candidates": 2, "search_steps": 2}
"""A seed-route episode costs 2-5 s on a shared core, so a run defaults to 3 episodes a cell, 2
candidates per designer and 2 hill-climbing steps: 3 iterations take about 4 minutes on 2 cores.
``--episodes 100`` and the global defaults give the paper's setting at a far higher cost."""

__all__ = ["NAME", "ENV_REQUIRED", "POLICY_REQUIRED", "ALLOWED_IMPORTS", "DOC_ENV", "DOC_POLICY", "SEED_ENV",
           "DEFAULT_MAX_SECONDS", "DIFFICULTY_MEASURE", "RUN_DEFAULTS", "check_env", "format_trace", "heldout_suite", "render",
           "run_episode", "trace_path"]
