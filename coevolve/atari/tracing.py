"""Traces of short rollouts: every trainable call's inputs and output (or exception), as text.

``traced_rollout`` runs inside a sandbox worker (``Job(module="coevolve.atari.tracing",
function="traced_rollout", ...)``): it wraps the executed policy module's ``@trainable``
functions, plays a short episode through :func:`envs.atari.run_episode` and returns a plain,
picklable record. ``render_trace`` turns a record into compact text within a size bound.
"""
from __future__ import annotations

import functools

from envs.atari import run_episode

MAX_CALLS = 3000
"""Calls kept per rollout; later calls are counted, not stored."""
MAX_REPR = 160
"""Characters kept of one rendered value."""


def compact(value, limit: int = MAX_REPR) -> str:
    """A short rendering of an argument or result: objects as ``Name(x,y;dx,dy)``."""
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            if isinstance(item, dict) and "x" in item and "y" in item:
                parts.append(f"{key}({item['x']},{item['y']};{item.get('dx', 0)},"
                             f"{item.get('dy', 0)})")
            elif isinstance(item, list):
                parts.append(f"{key}[{len(item)}]")
            else:
                parts.append(f"{key}={item!r}")
        text = "{" + " ".join(parts) + "}"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _recording(name, function, state):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        entry = [state["step"], name, ", ".join(compact(a) for a in args), None, None]
        if len(state["calls"]) < MAX_CALLS:
            state["calls"].append(entry)
        else:
            state["dropped"] += 1
        try:
            result = function(*args, **kwargs)
        except Exception as exc:
            entry[4] = f"{type(exc).__name__}: {exc}"[:MAX_REPR]
            raise
        entry[3] = compact(result)
        return result
    return wrapper


def instrument(policy_module) -> dict:
    """Wrap the module's trainable functions and ``act`` in place; returns the shared record."""
    state = {"step": 0, "calls": [], "dropped": 0}
    for name, function in list(vars(policy_module).items()):
        if callable(function) and getattr(function, "trainable", False) is True:
            setattr(policy_module, name, _recording(name, function, state))
    act = policy_module.act

    def counted_act(obs):
        state["step"] += 1
        return act(obs)

    policy_module.act = counted_act
    return state


def traced_rollout(env_module, policy_module, *, seed: int, game: str, horizon: int,
                   sticky: float = 0.0) -> dict:
    """Play ``horizon`` steps of ``game`` recording every trainable call; a picklable record."""
    state = instrument(policy_module)
    result = run_episode(env_module, policy_module, seed=seed, game=game, max_steps=horizon,
                         trace=True, sticky=sticky)
    return {"game": game, "seed": seed, "horizon": horizon, "score": result.ret,
            "steps": result.steps, "error": result.error, "calls": state["calls"],
            "dropped": state["dropped"], "rewards": result.trace["rewards"]}


def _line(call) -> str:
    step, name, args, result, error = call
    outcome = f"raised {error}" if error else f"-> {result}"
    return f"t={step} {name}({args}) {outcome}"


def render_trace(record: dict, max_chars: int = 6000) -> str:
    """The record as text of at most ``max_chars`` characters.

    Keeps, in time order: every call that raised, the calls of the few steps before each reward,
    and evenly spaced calls filling the remaining room; gaps are marked.
    """
    rewards = record["rewards"]
    header = (f"{record['game']} rollout, seed {record['seed']}, {record['steps']} of "
              f"{record['horizon']} steps, score {record['score']:g}"
              + (f", stopped by {record['error']}" if record["error"] else "")
              + "\nrewards (step, action, reward): "
              + (", ".join(f"({s}, {a}, {r:+g})" for s, a, r in rewards[:20]) or "none")
              + (" ..." if len(rewards) > 20 else ""))
    calls = record["calls"]
    lines = [_line(c) for c in calls]
    reward_steps = {s for s, _, _ in rewards}
    near_reward = {s - k for s in reward_steps for k in range(3)}
    keep = {i for i, c in enumerate(calls) if c[4] or c[0] in near_reward}
    room = max_chars - len(header) - 200
    used = sum(len(lines[i]) + 1 for i in keep)
    if used > room:
        keep = set(sorted(keep, key=lambda i: (calls[i][4] is None, i))[:max(1, room // 120)])
        used = sum(len(lines[i]) + 1 for i in keep)
    if lines:
        stride = max(1, len(lines) * 140 // max(room - used, 1))
        for i in range(0, len(lines), stride):
            if used + len(lines[i]) + 1 > room:
                break
            if i not in keep:
                keep.add(i)
                used += len(lines[i]) + 1
    body, last = [], -1
    for i in sorted(keep):
        if i != last + 1:
            body.append(f"... {i - last - 1} calls omitted")
        body.append(lines[i])
        last = i
    if last != len(lines) - 1:
        body.append(f"... {len(lines) - 1 - last} calls omitted")
    if record["dropped"]:
        body.append(f"... {record['dropped']} later calls not recorded")
    text = header + "\n" + "\n".join(body)
    return text if len(text) <= max_chars else text[:max_chars - 4] + "\n..."
