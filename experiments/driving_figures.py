"""Driving domain figures: simulator speed, seconds per seed-route episode, COvolve's CARLA policy.

    python experiments/driving_figures.py [--covolve PATH] [--seeds N]

Runs in this process (no sandbox): the reference driver and a constant-command policy on the seed
route (simulator steps per second with a policy that costs nothing, and with the reference), and
COvolve's released CARLA policy (a file, e.g. Results/carla/policy/policy.txt of a fetched
sygkounas/Covolve snapshot) on the seed route and on every held-out level.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from envs.driving import SEED_ENV, heldout_suite, run_episode  # noqa: E402
from envs.driving.check import reference_policy  # noqa: E402


def module(source: str, name: str):
    m = types.ModuleType(name)
    exec(compile(source, name, "exec"), m.__dict__)
    return m


def episodes(env_source: str, make_policy, seeds) -> dict:
    """Success rate, steps, wall seconds and infractions of ``make_policy()`` over ``seeds``."""
    env, results, started = module(env_source, "env"), [], time.perf_counter()
    for seed in seeds:
        results.append(run_episode(env, make_policy(), seed=seed))
    seconds = time.perf_counter() - started
    steps = sum(r.steps for r in results)
    return {"success": sum(r.success for r in results) / len(results), "episodes": len(results),
            "steps_per_episode": steps / len(results), "seconds_per_episode": seconds / len(results),
            "steps_per_second": steps / seconds, "policy_seconds": round(sum(r.policy_seconds for r in results), 3),
            "infractions": [r.trace.get("infraction") for r in results if not r.success]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--covolve", help="COvolve's released CARLA policy file")
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    seeds = range(args.seeds)
    brake = lambda: module("def policy(obs):\n    return (0.0, 0.0, 1.0)\n", "policy")  # noqa: E731
    out = {"seed_route_constant_brake_600_steps": None, "seed_route_reference": episodes(SEED_ENV, reference_policy, seeds)}
    env, started = module(SEED_ENV, "env"), time.perf_counter()
    result = run_episode(env, brake(), seed=0, max_steps=600)
    out["seed_route_constant_brake_600_steps"] = {"steps_per_second": result.steps / (time.perf_counter() - started)}
    if args.covolve:
        source = Path(args.covolve).read_text()
        make = lambda: module(source, "policy")  # noqa: E731
        out["covolve_seed_route"] = episodes(SEED_ENV, make, seeds)
        for family in heldout_suite():
            runs = [episodes(level, make, range(1)) for level in family.env_sources]
            out[f"covolve_{family.name}"] = {"success": sum(r["success"] for r in runs) / len(runs),
                                             "levels": len(runs),
                                             "infractions": [i for r in runs for i in r["infractions"]]}
            runs = [episodes(level, reference_policy, range(1)) for level in family.env_sources]
            out[f"reference_{family.name}"] = {"success": sum(r["success"] for r in runs) / len(runs),
                                               "levels": len(runs)}
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
