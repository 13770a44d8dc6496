"""A traced episode as text: every trainable call's inputs and output (or exception).

The calls are recorded in the sandbox worker (:mod:`envs.atari.trace`, through
``run_episode(trace=True)``); :func:`render_trace` turns the record
(:meth:`coevolve.atari.evaluation.AtariEvaluator.trace`) into compact text within a size bound.
"""
from __future__ import annotations


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
    header = (f"{record['game']} rollout ({record['purpose']}), {record['steps']} of "
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
