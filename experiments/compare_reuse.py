"""Compare two runs of the same configuration, one with episode reuse and one without.

    python experiments/compare_reuse.py RUN_WITH_REUSE RUN_WITHOUT_REUSE

Prints, per iteration, the episodes each run played (and the first one reused) and its seconds,
then whether the two runs are the same science: identical archives (sha256 of every archived
program), identical payoff.csv and identical cells in iterations.jsonl.
"""
import hashlib
import json
import os
import sys


def records(root: str) -> list[dict]:
    with open(os.path.join(root, "iterations.jsonl"), encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def digest(root: str, *parts: str) -> str:
    with open(os.path.join(root, *parts), "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def archive(root: str) -> dict:
    folder = os.path.join(root, "programs")
    return {name: digest(root, "programs", name) for name in sorted(os.listdir(folder))
            if name.endswith(".py")}


def cells(record: dict) -> list:
    """The new cells of an iteration without the reuse counts (the only field allowed to differ)."""
    return [{k: v for k, v in cell.items() if k not in ("reused", "policy_seconds_per_step")}
            for cell in record["new_cells"]]


def main(with_reuse: str, without: str) -> int:
    a, b = records(with_reuse), records(without)
    print(f"{'iter':>4} {'played':>8} {'reused':>8} {'seconds':>9}   {'played':>8} {'seconds':>9}")
    for ra, rb in zip(a, b):
        print(f"{ra['iteration']:4d} {ra['episodes']['played']:8d} {ra['episodes']['reused']:8d} "
              f"{ra['seconds']:9.1f}   {rb['episodes']['played']:8d} {rb['seconds']:9.1f}")
    played_a = sum(r["episodes"]["played"] for r in a)
    played_b = sum(r["episodes"]["played"] for r in b)
    reused = sum(r["episodes"]["reused"] for r in a)
    seconds_a, seconds_b = sum(r["seconds"] for r in a), sum(r["seconds"] for r in b)
    print(f"total {played_a:8d} {reused:8d} {seconds_a:9.1f}   {played_b:8d} {seconds_b:9.1f}")
    print(f"episodes played: {played_a / played_b:.3f} of the run without reuse; "
          f"seconds: {seconds_a / seconds_b:.3f}")
    same = {
        "iterations": len(a) == len(b),
        "archive sha256s": archive(with_reuse) == archive(without),
        "payoff.csv": digest(with_reuse, "payoff.csv") == digest(without, "payoff.csv"),
        "new cells": [cells(r) for r in a] == [cells(r) for r in b],
    }
    for what, equal in same.items():
        print(f"{what:>16}: {'identical' if equal else 'DIFFERENT'}")
    return 0 if all(same.values()) else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
