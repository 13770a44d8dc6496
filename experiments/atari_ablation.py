"""The paper's ablation: rollout-only feedback against staged full-episode feedback.

Runs ``coevolve atari`` twice on one game with the same seed and settings, ``--feedback
rollout`` (the optimiser's feedback and its selection see short rollouts only) and
``--feedback staged`` (full-episode scores), then evaluates both best programs on the same
test episodes (every run does, at its end) and prints a Markdown table.

Run: ``.venv/bin/python experiments/atari_ablation.py --game Pong --iterations 8 --workers 2
--out runs/ablation`` (extra flags after ``--`` go to ``coevolve atari``, e.g. ``-- --designer
llm --model NAME --base-url URL`` for the llm optimiser against an OpenAI-compatible server).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

MODES = ("rollout", "staged")


def run(game: str, mode: str, out: Path, args: argparse.Namespace, extra: list[str]) -> dict:
    """One ``coevolve atari`` run (resumed if its directory holds one); its summary."""
    directory = out / f"{game}-{mode}"
    argv = [sys.executable, "-m", "coevolve", "atari", "--game", game, "--feedback", mode,
            "--iterations", str(args.iterations), "--workers", str(args.workers),
            "--seed", str(args.seed), "--out", str(directory), *extra]
    if (directory / "config.json").exists():
        argv.append("--resume")
    subprocess.run(argv, check=True)
    return json.loads((directory / "summary.json").read_text())


def table(game: str, summaries: dict[str, dict]) -> str:
    """The ablation table as Markdown."""
    lines = ["| game | feedback | starter | best (selection's own measure) | test mean +- std "
             "(episodes, unseen seeds) | iterations | env steps | wall |",
             "|---|---|---|---|---|---|---|---|"]
    for mode, s in summaries.items():
        t = s["test"]
        lines.append(f"| {game} | {mode} | {s['curve'][0]['best_mean']:.1f} | "
                     f"{s['best_mean']:.1f} | {t['mean']:.1f} +- {t['std']:.1f} "
                     f"({len(t['seeds'])}) | {s['iterations']} | {s['env_steps']:,} | "
                     f"{s['seconds'] / 60:.1f} min |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--game", default="Pong")
    parser.add_argument("--iterations", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/ablation")
    args, extra = parser.parse_known_args()
    extra = [a for a in extra if a != "--"]
    out = Path(args.out)
    summaries = {mode: run(args.game, mode, out, args, extra) for mode in MODES}
    text = table(args.game, summaries)
    (out / f"{args.game}-ablation.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
