"""The episode loop: one driving policy program on one driving level, with a checked contract."""
from __future__ import annotations

import time

from envs.api import EpisodeResult, ProgramError, describe_exception
from envs.driving.contract import command, make_env, policy_function, reset_env, step_env

TRACE_EVERY = 5
"""A trace keeps the ego's position every this many steps (4 a second), and the last one."""
FULL_CHECK_EVERY = 100
"""The observation is checked in full on reset and every this many steps."""


def run_episode(env_module, policy_module, *, seed: int, trace: bool = False,
                max_steps: int | None = None, **options) -> EpisodeResult:
    """Drive ``policy_module`` through ``env_module``'s level for one seeded episode.

    The policy is ``policy(obs)`` or ``Policy().compute_action(obs, path)`` (``path``: the route
    polyline when the environment has ``path``). Success: ``info["success"]``, the route completed.
    An action that is not three finite numbers, a raising policy or a broken environment ends the
    episode as a failure with ``error`` set. ``trace`` is always a plain dict with the infraction,
    where it happened and the share of the route driven; ``trace=True`` adds the ego's path.
    Options: ``max_seconds`` (wall-clock limit of the episode).
    """
    max_seconds = options.pop("max_seconds", None)
    if options:
        raise TypeError(f"unknown run_episode options {sorted(options)}: the driving domain takes "
                        "seed, trace, max_steps and max_seconds")
    try:
        env = make_env(env_module)
        obs, info = reset_env(env, seed)
        act = policy_function(policy_module, getattr(env, "path", None))
    except ProgramError as exc:
        return EpisodeResult(False, 0.0, 0, error=str(exc), trace={"outcome": str(exc)})
    limit = max_steps if max_steps is not None else getattr(env, "max_steps", 10 ** 6)
    started = time.perf_counter()
    path, ret, steps, thinking, error = [], 0.0, 0, 0.0, None
    done = False
    while steps < limit and not done:
        if trace and steps % TRACE_EVERY == 0:
            path.append(_position(env))
        tick = time.perf_counter()
        try:
            action = act(obs)
        except Exception as exc:
            error = f"policy raised {describe_exception(exc)}"
            break
        finally:
            thinking += time.perf_counter() - tick
        control = command(action)
        if control is None:
            error = f"policy returned {action!r}: it must return (steer, throttle, brake), three finite numbers"
            break
        try:
            obs, reward, terminated, truncated, info = step_env(env, control, full=steps % FULL_CHECK_EVERY == 0)
        except ProgramError as exc:
            error = str(exc)
            break
        ret, steps = ret + float(reward), steps + 1
        done = bool(terminated or truncated)
        if max_seconds is not None and time.perf_counter() - started > max_seconds:
            error = f"the episode exceeded its {max_seconds:g} s limit after {steps} steps"
            break
    info = info if isinstance(info, dict) else {}
    success = bool(info.get("success")) and error is None
    summary = {"outcome": error or ("success" if success else info.get("infraction") or "step limit"),
               "infraction": info.get("infraction"), "where": info.get("where"),
               "progress": info.get("progress"), "route_length": info.get("route_length"),
               "time_s": round(steps * 0.05, 2)}
    if trace:
        path.append(_position(env))
        summary["path"] = [p for p in path if p is not None]
    return EpisodeResult(success, round(ret, 6), steps, policy_seconds=thinking, error=error, trace=summary)


def _position(env):
    ego = getattr(env, "ego", None)
    position = getattr(ego, "position", None)
    if position is None:
        return None
    return [round(float(position[0]), 2), round(float(position[1]), 2)]


def trace_path(trace) -> list:
    """The ego's path [[x, y], ...] of a trace (empty when it was not traced)."""
    return list((trace or {}).get("path", ()))


def format_trace(trace) -> str:
    """A short text account of a trace: outcome, where it ended, how far the ego got."""
    if not trace:
        return ""
    lines = [f"outcome: {trace.get('outcome')}"]
    if trace.get("where"):
        where = trace["where"]
        lines.append(f"infraction {trace.get('infraction')} at route metre {where.get('s')} "
                     f"(x {where.get('x')}, y {where.get('y')}) after {where.get('t')} s")
    if trace.get("progress") is not None:
        lines.append(f"drove {100 * trace['progress']:.0f}% of a {trace.get('route_length')} m route in {trace.get('time_s')} s")
    return "\n".join(lines)
