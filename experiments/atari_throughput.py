"""OCAtari's raw step rate on this machine beside the sandboxed evaluation's throughput.

Raw: one process stepping one OCAtari environment (RAM mode, frameskip 4) with random actions,
no observation dicts, no policy. Evaluation: ``AtariEvaluator.scores`` of the Pong starter over
full episodes on a sandbox pool (observation dicts, policy calls, worker round trips included).
Run: ``SDL_VIDEODRIVER=dummy .venv/bin/python experiments/atari_throughput.py [--workers 2]``
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from coevolve.atari.evaluation import DOMAIN, AtariEvaluator
from coevolve.program import Program
from coevolve.sandbox import Limits, SandboxPool
from envs.atari import make_env
from envs.atari.runner import step
from policies.atari import template_source


def raw_rate(game: str, steps: int) -> float:
    """Environment steps per second of bare OCAtari stepping."""
    env = make_env(game)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    actions = rng.integers(0, env.action_space.n, size=steps)
    start = time.perf_counter()
    for action in actions:
        _, terminated, truncated, _ = step(env, int(action))
        if terminated or truncated:
            env.reset(seed=0)
    return steps / (time.perf_counter() - start)


def evaluation_rate(game: str, workers: int, episodes: int, max_steps: int) -> tuple[float, int]:
    """(environment steps per second, steps) of a full evaluation on a warm pool."""
    with SandboxPool(workers=workers, limits=Limits(seconds=600.0),
                     preload=("envs.atari",)) as pool:
        evaluator = AtariEvaluator(pool, game, sticky=0.25, seed=0)
        policy = Program("policy", DOMAIN, template_source(game))
        warm = evaluator.protocol("warm-up", 50)  # starts the workers
        evaluator.scores([policy], warm, workers)
        start = time.perf_counter()
        result = evaluator.scores([policy], evaluator.protocol("throughput", max_steps),
                                  episodes)[0]
        return result.steps / (time.perf_counter() - start), result.steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--game", default="Pong")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--episodes", type=int, default=10)
    parser.add_argument("--max-steps", type=int, default=4000)
    args = parser.parse_args()
    raw = raw_rate(args.game, 20000)
    rate, steps = evaluation_rate(args.game, args.workers, args.episodes, args.max_steps)
    print(f"{args.game}: raw OCAtari {raw:,.0f} steps/s (1 process)")
    print(f"{args.game}: evaluation {rate:,.0f} steps/s ({steps:,} steps, {args.episodes} episodes, "
          f"{args.workers} workers) = {rate / raw:.2f} x raw, {rate / raw / args.workers:.2f} "
          f"per worker")


if __name__ == "__main__":
    main()
