"""Run directories for report tests, written the way a run writes them."""
import json
import os

import numpy as np
from solvers.nash import nash

from envs.minigrid import SEED_ENV
from envs.minigrid.mutations import mutate_env
from policies.minigrid import SEED_POLICY
from policies.minigrid.mutations import mutate_policy

from coevolve.payoff import PayoffMatrix
from coevolve.program import source_sha256
from coevolve.records import IterationRecord
from coevolve.scores import archive_scores
from coevolve.store import RunStore

PAYOFFS = np.array([[1.0, 0.5, 0.0, 0.2],
                    [0.0, 1.0, 0.5, 0.1],
                    [0.5, 0.0, 1.0, 0.3]])
"""Policies 0..2 (rows) on environments 0..3 (columns); iteration 3 chose no policy."""


def toy_programs(broken_env: int | None = None) -> tuple[list[str], list[str]]:
    """Environment and policy sources of the toy render domain."""
    envs = [f"LENGTH = {t + 2}\n" + ("BROKEN = True\n" if t == broken_env else "")
            for t in range(4)]
    policies = [f"def policy(position):\n    return {t + 1}\n" for t in range(3)]
    return envs, policies


def minigrid_programs() -> tuple[list[str], list[str]]:
    """Real MiniGrid programs: the seed and mutants; the last environment cannot be built."""
    rng = np.random.default_rng(5)
    envs = [SEED_ENV]
    for _ in range(2):
        envs.append(mutate_env(envs[-1], rng)[0])
    envs.append(SEED_ENV.replace("self.grid = Grid(width, height)",
                                 "raise RuntimeError('</pre><script>broken</script>')"))
    policies = [SEED_POLICY, mutate_policy(SEED_POLICY, rng)[0]]
    policies.append(mutate_policy(policies[-1], rng)[0])
    return envs, policies


def write_run(root: str, programs, designer: str = "offline",
              tokens: bool = False) -> list[IterationRecord]:
    """A finished run of 4 iterations (iteration 3 chose no policy); returns its records as the
    report reads them."""
    env_sources, policy_sources = programs
    store = RunStore(root)
    store.create({"domain": "minigrid", "designer": designer, "seed": 3, "iterations": 3,
                  "workers": 1})
    records = []
    for t in range(4):
        env = {"label": f"env_{t:04d}", "file": store.save_program("env", t, env_sources[t]),
               "sha256": source_sha256(env_sources[t]),
               "measures": {"length": t + 2.0, "walls": 4, "lava": 0, "ok": True}}
        policy = None
        if t < 3:
            policy = {"label": f"policy_{t:04d}",
                      "file": store.save_program("policy", t, policy_sources[t]),
                      "sha256": source_sha256(policy_sources[t])}
        values = PAYOFFS[:min(t + 1, 3), :t + 1]
        msne = nash(values)
        candidates = [] if t == 0 else [
            {"kind": "env", "status": "chosen", "category": None, "reason": None,
             "file": f"programs/candidates/iter{t:04d}_env_0_x.py"},
            {"kind": "env", "status": "rejected", "category": "infeasible",
             "reason": "goal unreachable <b>behind</b> a wall",
             "file": f"programs/candidates/iter{t:04d}_env_1_y.py"},
            {"kind": "policy", "status": "rejected", "category": "invalid",
             "reason": "no function policy",
             "file": f"programs/candidates/iter{t:04d}_policy_0_z.py"}]
        record = {"iteration": t, "env": env, "policy": policy,
                  "msne": {f"policy_{i:04d}": float(w) for i, w in enumerate(msne.row_strategy)},
                  "value": float(msne.value), "scores": archive_scores(values, msne.row_strategy),
                  "counts": {"env": {"proposed": 2 * (t > 0), "accepted": int(t > 0),
                                     "rejected": {"infeasible": 1} if t else {}},
                             "policy": {"proposed": int(t > 0), "accepted": 0,
                                        "rejected": {"invalid": 1} if t else {}}},
                  "candidates": candidates, "timings": {}, "seconds": 0.1,
                  "episodes": {"played": 10 + t, "reused": 5}}
        if tokens:
            # the llm designer logs the run's cumulative usage after each iteration
            record["llm"] = {"prompt_tokens": 50 * t * (t + 1), "completion_tokens": 5 * t * (t + 1)}
        store.append_iteration(record)
        records.append(record)
    PayoffMatrix([f"policy_{i:04d}" for i in range(3)], [f"env_{j:04d}" for j in range(4)],
                 PAYOFFS).save_csv(store.path("payoff.csv"))
    return [IterationRecord.from_json(record) for record in records]


def write_heldout(root: str) -> None:
    """A heldout.json as `coevolve heldout` writes it."""
    rows = [{"env": family, "strategy": strategy, "success_rate": rate, "mean_return": 0.0,
             "mean_steps": 1.0, "episodes": 4, "errors": 0, "first_error": None}
            for family, rate in (("Line-Long", 0.25), ("Line-Short", 1.0))
            for strategy in ("greedy", "uniform", "msne")]
    with open(os.path.join(root, "heldout.json"), "w") as handle:
        json.dump({"run": root, "iteration": 3, "episodes": 4, "results": rows}, handle)
