"""The Atari results table: best mean score of each run directory beside the papers' references.

Run: ``.venv/bin/python experiments/atari_table.py runs/atari-Pong-0 runs/atari-Breakout-0 ...``
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

REFERENCES = {
    "Pong": {"LLM (paper)": "21.0 (iteration 8)", "DQN": "18.9", "PPO": "20.7"},
    "Breakout": {"LLM (paper)": "329", "DQN": "401", "PPO": "274.8"},
    "SpaceInvaders": {"LLM (paper)": "-", "DQN": "1976", "PPO": "942.5"},
}
"""Reference scores quoted in 'Learning Game-Playing Agents with Generative Code Optimization'."""


def row(directory: Path) -> str:
    """One Markdown table row for a run directory."""
    s = json.loads((directory / "summary.json").read_text())
    game = s["config"]["game"]
    ref = REFERENCES[game]
    return (f"| {game} | {s['config']['designer']} | {s['best_mean']:.1f} +- {s['best_std']:.1f}"
            f" | {s['iterations']} | {s['env_steps']:,} | {s['seconds'] / 60:.1f} min"
            f" | {ref['LLM (paper)']} | {ref['DQN']} | {ref['PPO']} |")


if __name__ == "__main__":
    print("| game | optimiser | best mean (10 ep.) | iterations | env steps | wall |"
          " LLM (paper) | DQN | PPO |")
    print("|---|---|---|---|---|---|---|---|---|")
    for arg in sys.argv[1:]:
        print(row(Path(arg)))
