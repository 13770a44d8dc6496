"""The pygame navigation program contracts: their text, and the checks every entry point shares."""
from __future__ import annotations

import math
import os
from numbers import Real

import numpy as np

from envs.api import (ProgramError, checked_step, construct_env, imports_sentence, keys_problem,
                      seeded_reset)

IMPORTS = imports_sentence({"pygame", "gymnasium"})

DOC_ENV = f"""\
A PyGame navigation environment program defines `class CustomEnv`, constructible as `CustomEnv()`,
with `reset() -> (obs, info)` and `step(action) -> (obs, reward, terminated, truncated, info)`.
{IMPORTS} The harness seeds `random` and `numpy.random` before every episode and passes `reset(seed=...)` when reset accepts a `seed` keyword.
`obs` is a dict:
  agent_pos    [x, y] centre of the agent's disc, pixels, y pointing down
  agent_radius radius of the disc, pixels
  bounds       [W, H] arena size; the arena is [0, W] x [0, H]
  step_count   steps taken so far; max_steps: the step budget
  objects      list of dicts: {{"type": "zone", "pos": [cx, cy] (centre), "size": [w, h],
               "purpose": "goal"}} for the goal, and {{"type": "obstacle", "pos": [x, y] (top-left
               corner), "size": [w, h]}} for each axis-aligned rectangular obstacle
`action` is (vx, vy): the step moves the agent by the velocity clipped to [-1, 1] times the arena's
speed (pixels per step); a move that would overlap an obstacle or leave the arena is rejected and
the agent stays. Success: `info["success"]` where the environment sets it (the whole disc inside
the goal zone), otherwise terminating on a step with reward >= 1. A level must be solvable: a path
for the disc from the start to inside the goal, within max_steps steps at the arena's speed.
Feasibility helpers (from `envs.pygame_nav.blocks`: place_obstacle, corridor_bars, room_walls,
u_trap, sample_start_goal, disc_fits, ...) cannot be imported by a program (the validator rejects
any import of this project): the seed program carries copies of those it uses; keep or copy them.
`envs.pygame_nav.arena.NavArena` (gymnasium id "CoevolveNav-v0") is the same arena for humans."""

DOC_POLICY = f"""\
A PyGame navigation policy program defines `policy(obs) -> (vx, vy)`, each in [-1, 1]: the velocity
for this step (values outside are clipped). `obs` is the environment's observation dict (agent_pos,
agent_radius, bounds, step_count, max_steps, objects with the goal zone's centre and the obstacles'
top-left corners and sizes). {IMPORTS} It may keep memory in module globals (obs["step_count"] == 0 marks a new episode). A step is rejected when the disc
would overlap an obstacle or leave the arena, so plan with the agent's radius as clearance."""

_OBS_KEYS = ("agent_pos", "agent_radius", "bounds", "step_count", "max_steps", "objects")


def headless() -> None:
    """Select SDL's dummy video and audio drivers unless the user chose others (no window opens)."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


_NUMBERS = (int, float, np.integer, np.floating)


def finite_pair(value) -> bool:
    """Whether ``value`` is a list, tuple or array of exactly two finite numbers."""
    if isinstance(value, np.ndarray) and value.ndim != 1:
        return False
    return (isinstance(value, (list, tuple, np.ndarray)) and len(value) == 2
            and isinstance(value[0], _NUMBERS) and isinstance(value[1], _NUMBERS)
            and math.isfinite(value[0]) and math.isfinite(value[1]))


def obs_problem(obs) -> str | None:
    """What is wrong with ``obs`` under the contract, or None if it conforms."""
    problem = keys_problem(obs, _OBS_KEYS)
    if problem:
        return problem
    if not finite_pair(obs["agent_pos"]):
        return f"obs['agent_pos'] must be [x, y] finite numbers, got {obs['agent_pos']!r}"
    if not finite_pair(obs["bounds"]) or min(obs["bounds"]) <= 0:
        return f"obs['bounds'] must be [W, H] positive numbers, got {obs['bounds']!r}"
    if not isinstance(obs["agent_radius"], Real) or not obs["agent_radius"] > 0:
        return f"obs['agent_radius'] must be a positive number, got {obs['agent_radius']!r}"
    if not isinstance(obs["max_steps"], _NUMBERS) or not obs["max_steps"] > 0:
        return f"obs['max_steps'] must be a positive number, got {obs['max_steps']!r}"
    if not isinstance(obs["objects"], list):
        return f"obs['objects'] must be a list, got {type(obs['objects']).__name__}"
    goals = 0
    for k, item in enumerate(obs["objects"]):
        if not isinstance(item, dict) or item.get("type") not in ("zone", "obstacle"):
            return f"obs['objects'][{k}] must be a dict with type 'zone' or 'obstacle', got {item!r}"
        if not finite_pair(item.get("pos")) or not finite_pair(item.get("size")) or min(item["size"]) < 0:
            return f"obs['objects'][{k}] needs pos [x, y] and size [w, h] (non-negative), got {item!r}"
        goals += item["type"] == "zone" and item.get("purpose") == "goal"
    if goals == 0:
        return "obs['objects'] holds no goal: add {'type': 'zone', 'pos': [cx, cy], 'size': [w, h], 'purpose': 'goal'}"
    return None


def goal_rect(obs) -> tuple[float, float, float, float]:
    """The first goal zone of a conforming ``obs`` as a rectangle (x, y, w, h)."""
    zone = next(o for o in obs["objects"] if o["type"] == "zone" and o.get("purpose") == "goal")
    (cx, cy), (w, h) = zone["pos"], zone["size"]
    return float(cx) - w / 2, float(cy) - h / 2, float(w), float(h)


def obstacle_rects(obs) -> np.ndarray:
    """The obstacles of a conforming ``obs`` as an (N, 4) array of (x, y, w, h)."""
    rects = [(*o["pos"], *o["size"]) for o in obs["objects"] if o["type"] == "obstacle"]
    return np.asarray(rects, dtype=float).reshape(-1, 4)


def make_env(env_module):
    """``env_module.CustomEnv()`` built headless; ProgramError with the reason if that fails."""
    headless()
    return construct_env(env_module)


def reset_env(env, seed: int):
    """Seed the generators, reset ``env`` (with ``seed=`` if it takes one), check the observation.

    Returns ``(obs, info)``; raises ProgramError if reset raises or returns a malformed observation.
    """
    return seeded_reset(env, seed, obs_problem)


def _quick_obs_problem(obs) -> str | None:
    """The episode loop's check of a step's observation: its type and ``agent_pos``."""
    if not isinstance(obs, dict) or not finite_pair(obs.get("agent_pos")):
        return "obs must be a dict whose agent_pos is [x, y] finite numbers"
    return None


def step_env(env, action, full: bool = False):
    """``env.step(action)`` checked: ProgramError if it raises or breaks the 5-tuple/obs contract.

    The observation is checked in full only with ``full``; otherwise (the episode loop's hot path)
    only its type and ``agent_pos`` are.
    """
    out = checked_step(env, action, obs_problem if full else _quick_obs_problem)
    if not isinstance(out[1], Real):
        raise ProgramError(f"step() reward must be a number, got {out[1]!r}")
    return out
