"""Tracing a policy's trainable functions during an episode (in the sandbox worker).

:func:`instrument` wraps every ``@trainable`` function (and ``act``) of the executed policy
module, recording each call's step, arguments and result or exception, compactly rendered.
"""
from __future__ import annotations

import functools

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
