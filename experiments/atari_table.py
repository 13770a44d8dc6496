"""The Atari results table: each run directory beside the papers' and the literature's references.

Run: ``.venv/bin/python experiments/atari_table.py runs/std/Pong runs/std/Breakout ...``

One Markdown row per run: game, protocol (sticky-action probability, step limit), feedback,
starter mean -> best mean during the optimisation (its evaluation episodes), the best program's
mean +- std on the unseen test seeds, human-normalised test score, iterations, environment
steps (optimisation; test episodes apart), wall time, the env steps and wall time at which
each stage threshold was first reached, and the reference scores.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's coevolve
from coevolve.atari.feedback import human_normalised  # noqa: E402

REFERENCES = {
    "Pong": {"LLM (paper)": "21.0 (iteration 8)", "DQN": "18.9", "PPO": "20.7"},
    "Breakout": {"LLM (paper)": "329", "DQN": "401", "PPO": "274.8"},
    "SpaceInvaders": {"LLM (paper)": "-", "DQN": "1976", "PPO": "942.5"},
}
"""Reference scores quoted in 'Learning Game-Playing Agents with Generative Code Optimization'."""


def _stage(times: list[dict]) -> str:
    parts = []
    for t in times:
        if t["iteration"] is not None:
            parts.append(f"{t['stage']} @ it {t['iteration']} / {t['env_steps']:,} steps / "
                         f"{t['seconds'] / 60:.1f} min")
    return "; ".join(parts) or "-"


def row(directory: Path) -> str:
    """One Markdown table row for a run directory."""
    s = json.loads((directory / "summary.json").read_text())
    c, p, test = s["config"], s["protocol"], s.get("test")
    game = c["game"]
    ref = REFERENCES.get(game, {"LLM (paper)": "-", "DQN": "-", "PPO": "-"})
    starter = s["curve"][0]["best_mean"]
    tested = f"{test['mean']:.1f} +- {test['std']:.1f} ({len(test['seeds'])})" if test else "-"
    hns = human_normalised(game, test["mean"]) if test else None
    return (f"| {game} | sticky {p['sticky_actions']:g}, <= {p['max_agent_steps']:,} steps"
            f" | {c['designer']}, {s.get('feedback', 'staged')} | {starter:.1f} -> "
            f"{s['best_mean']:.1f} +- {s['best_std']:.1f} | {tested}"
            f" | {'-' if hns is None else f'{hns:.2f}'} | {s['iterations']}"
            f" | {s['env_steps']:,} | {s['seconds'] / 60:.1f} min | {_stage(s['stage_times'])}"
            f" | {ref['LLM (paper)']} | {ref['DQN']} | {ref['PPO']} |")


HEADER = ("| game | protocol | optimiser, feedback | starter -> best (optimisation episodes) |"
          " best on unseen seeds (episodes) | human-norm. | iterations | env steps | wall |"
          " stage thresholds reached | LLM (paper) | DQN | PPO |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|")


if __name__ == "__main__":
    print(HEADER)
    for arg in sys.argv[1:]:
        print(row(Path(arg)))
