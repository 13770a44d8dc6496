"""The episode loop: one policy program in one environment program, headless, with a checked contract."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from envs.api import (EpisodeResult, ProgramError, describe_exception, generator_states,
                      is_generator, reply_type, state_digest)
from envs.pygame_nav.contract import finite_pair, goal_rect, make_env, reset_env, step_env

TRACE_CAP = 2000
"""Most positions a trace keeps; longer episodes are subsampled evenly (first and last kept)."""


@reply_type
@dataclass(frozen=True)
class NavTrace:
    """A compact trajectory of one episode."""

    steps: tuple
    """Step index of each kept point (0 is the reset)."""
    positions: tuple
    """Agent position (x, y) at each kept point, rounded to 0.1 px."""
    actions: tuple
    """Velocity the policy chose at each kept point (None at the reset)."""
    bounds: tuple
    """Arena (W, H)."""
    radius: float
    """Agent radius."""
    goal: tuple
    """Goal zone (x, y, w, h) at the reset."""
    obstacles: int
    """Obstacle count at the reset."""
    rejected: int
    """Moves the environment rejected (the agent did not move although the policy asked it to)."""
    outcome: str
    """"success", "terminated", "truncated", "step limit" or the error that ended the episode."""


def _velocity(action) -> np.ndarray | None:
    """The action as a clipped float pair, or None if it is not two finite numbers."""
    return np.clip(np.array(action, dtype=float), -1.0, 1.0) if finite_pair(action) else None


def _subsample(n: int, cap: int) -> list[int]:
    return list(range(n)) if n <= cap else sorted(set(np.linspace(0, n - 1, cap).round().astype(int).tolist()))


GENERATORS = frozenset({"_np_random", "np_random", "rng", "_rng"})
"""Attributes that conventionally hold random generators: tracked, not digested."""


def _generators(env) -> list:
    """The random generators an environment keeps in its conventional attributes."""
    return [value for name in sorted(GENERATORS)
            if is_generator(value := getattr(env, name, None))]


def start_state(env) -> str | None:
    """Fingerprint of a reset arena: everything the environment holds but its generators."""
    return state_digest(env, skip=GENERATORS)


def start_states(env_module, *, seeds, **_options) -> list:
    """The start fingerprint of each seed's arena, as :func:`run_episode` would start it."""
    states = []
    for seed in seeds:
        try:
            env = make_env(env_module)
            reset_env(env, seed)
            states.append(start_state(env))
        except Exception:
            states.append(None)
    return states


def run_episode(env_module, policy_module, *, seed: int, trace: bool = False,
                max_steps: int | None = None, fingerprint: bool = False,
                **options) -> EpisodeResult:
    """Play ``policy_module.policy`` in ``env_module.CustomEnv`` for one seeded episode.

    Seeds ``random`` and ``numpy.random`` and resets (with ``seed=`` if reset takes it), then loops
    until termination, truncation or the step limit (``max_steps``, default the observation's).
    An action that is not two finite numbers, a raising policy or a broken environment ends the
    episode as a failure with ``error`` set. Success follows the contract: ``info["success"]``
    where the environment sets it, else termination on a step with reward >= 1. Options:
    ``max_seconds`` (wall-clock limit of the episode; exceeding it is a failure).
    """
    max_seconds = options.pop("max_seconds", None)
    if options:
        raise TypeError(f"unknown run_episode options {sorted(options)}: the pygame domain takes "
                        "seed, trace, max_steps and max_seconds")
    policy = getattr(policy_module, "policy", None)
    if not callable(policy):
        return EpisodeResult(False, 0.0, 0, error="the policy program must define `policy(obs)`")
    try:
        env = make_env(env_module)
        obs, _ = reset_env(env, seed)
    except ProgramError as exc:
        return EpisodeResult(False, 0.0, 0, error=str(exc))
    first = obs
    start = start_state(env) if fingerprint else None  # a few ms: only when asked
    drawn = generator_states(*_generators(env))
    limit = int(max_steps if max_steps is not None else obs["max_steps"])
    started = time.perf_counter()
    positions, actions, rejected = [tuple(obs["agent_pos"])], [None], 0
    ret, steps, thinking, success, error, outcome = 0.0, 0, 0.0, False, None, "step limit"
    while steps < limit:
        tick = time.perf_counter()
        try:
            action = policy(obs)
        except Exception as exc:
            error = f"policy raised {describe_exception(exc)}"
            break
        finally:
            thinking += time.perf_counter() - tick
        velocity = _velocity(action)
        if velocity is None:
            error = f"policy returned {action!r}: it must return (vx, vy), two finite numbers in [-1, 1]"
            break
        try:
            obs, reward, terminated, truncated, info = step_env(env, velocity)
        except ProgramError as exc:
            error = str(exc)
            break
        ret, steps = ret + float(reward), steps + 1
        if trace:
            position = tuple(obs["agent_pos"])
            rejected += bool(np.any(velocity) and position == positions[-1])
            positions.append(position)
            actions.append(tuple(velocity.tolist()))
        info = info if isinstance(info, dict) else {}
        if info.get("success") or terminated or truncated:
            success = bool(info["success"]) if "success" in info else bool(terminated and reward >= 1)
            outcome = "success" if success else "terminated" if terminated else "truncated"
            break
        if max_seconds is not None and time.perf_counter() - started > max_seconds:
            error = f"the episode exceeded its {max_seconds:g} s limit after {steps} steps"
            drawn = None  # ended by the clock: not a function of the start
            break
    record = None
    if trace:
        keep = _subsample(len(positions), TRACE_CAP)
        record = NavTrace(steps=tuple(keep), positions=tuple((round(positions[k][0], 1), round(positions[k][1], 1)) for k in keep),
                          actions=tuple(actions[k] and (round(actions[k][0], 3), round(actions[k][1], 3)) for k in keep),
                          bounds=tuple(first["bounds"]), radius=float(first["agent_radius"]), goal=goal_rect(first),
                          obstacles=sum(o["type"] == "obstacle" for o in first["objects"]),
                          rejected=rejected, outcome=error or outcome)
    deterministic = drawn is not None and generator_states(*_generators(env)) == drawn
    return EpisodeResult(success, ret, steps, policy_seconds=thinking, error=error, trace=record,
                         start=start, deterministic=deterministic)


def format_trace(trace: NavTrace, rows: int = 25) -> str:
    """A short text account of a trace: outcome, layout, stalls and about ``rows`` sampled steps."""
    gx, gy, gw, gh = trace.goal
    centre = (gx + gw / 2, gy + gh / 2)
    first, last = trace.positions[0], trace.positions[-1]
    lines = [f"outcome: {trace.outcome} after {trace.steps[-1]} steps; {trace.rejected} moves rejected by obstacles or the border",
             f"arena {trace.bounds[0]:g}x{trace.bounds[1]:g}, agent radius {trace.radius:g}, {trace.obstacles} obstacles, "
             f"goal zone centre ({centre[0]:.0f}, {centre[1]:.0f}) size {gw:g}x{gh:g}",
             f"start ({first[0]:.0f}, {first[1]:.0f}) -> end ({last[0]:.0f}, {last[1]:.0f}); distance to goal centre "
             f"{math.dist(first, centre):.0f} -> {math.dist(last, centre):.0f} px"]
    run = 0
    for k in range(1, len(trace.positions) + 1):
        if k < len(trace.positions) and math.dist(trace.positions[k], trace.positions[k - 1]) < 0.5:
            run += 1
            continue
        if run >= 10:
            x, y = trace.positions[k - 1]
            lines.append(f"stalled at ({x:.0f}, {y:.0f}) from step {trace.steps[k - 1 - run]} to {trace.steps[k - 1]}")
        run = 0
    lines.append("step: position -> action")
    for k in _subsample(len(trace.positions), rows):
        action = trace.actions[k]
        shown = "reset" if action is None else f"({action[0]:+.2f}, {action[1]:+.2f})"
        lines.append(f"{trace.steps[k]:5d}: ({trace.positions[k][0]:.0f}, {trace.positions[k][1]:.0f}) -> {shown}")
    return "\n".join(lines)
