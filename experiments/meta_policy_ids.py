"""The exported MSNE meta-policy against the greedy (newest) policy on registered MiniGrid ids.

    python experiments/meta_policy_ids.py RUN [--episodes N] [ID ...]

Both play through the exported module (``coevolve export``), in this process, on the same
seeds; the greedy policy is the same module with all weight on the newest archived policy.
"""
import argparse
import json
import os
import types

import gymnasium as gym
import minigrid  # noqa: F401  (registers the MiniGrid ids)

from coevolve.export import meta_policy_source

IDS = ("MiniGrid-DoorKey-16x16-v0", "MiniGrid-LockedRoom-v0", "MiniGrid-LavaCrossingS11N5-v0")


def module(text: str) -> types.ModuleType:
    loaded = types.ModuleType("meta_policy")
    exec(compile(text, "meta_policy", "exec"), loaded.__dict__)
    return loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run")
    parser.add_argument("ids", nargs="*", default=IDS)
    parser.add_argument("--episodes", type=int, default=20)
    args = parser.parse_args()
    msne = module(meta_policy_source(args.run))
    greedy = module(meta_policy_source(args.run))
    with open(os.path.join(args.run, "iterations.jsonl"), encoding="utf-8") as handle:
        newest = [json.loads(line)["policy"] for line in handle if line.strip()]
    newest = [entry for entry in newest if entry][-1]
    with open(os.path.join(args.run, newest["file"]), encoding="utf-8") as handle:
        greedy.SOURCES, greedy.WEIGHTS = {newest["label"]: handle.read()}, {newest["label"]: 1.0}
    print(f"{'environment':<32} {'MSNE (exported)':>16} {'greedy':>8}   support {dict(msne.WEIGHTS)}")
    for env_id in args.ids:
        rates = []
        for loaded in (msne, greedy):
            meta = loaded.MetaPolicy(seed=0)
            wins = sum(meta.play(gym.make(env_id), seed=s)["success"] for s in range(args.episodes))
            rates.append(wins / args.episodes)
        print(f"{env_id:<32} {rates[0]:16.2f} {rates[1]:8.2f}")


if __name__ == "__main__":
    main()
