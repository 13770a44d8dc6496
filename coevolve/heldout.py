"""Held-out generalisation: UED-Greedy, UED-Uniform and the MSNE mixture on unseen levels.

For the mixtures, a policy is drawn at the start of each episode (the draw depends only on the
seed, the family and the episode index). Episode ``k`` of a family plays its level
``k % len(levels)``.
"""
from __future__ import annotations

import hashlib
import json

import numpy as np

from coevolve.evaluate import CellResult, aggregate, as_episode, episode_seed
from coevolve.program import Program
from coevolve.sandbox import Job

EPISODES_PER_PROCESS = 25
"""Held-out episodes of one (policy, level) played in one program process."""
from coevolve.scores import strategy_mixtures


def evaluate_heldout(policies: list[Program], msne: np.ndarray, families, env_package: str,
                     executor, episodes: int, seed: int, cache, progress=None) -> list[dict]:
    """One row per (family, strategy): success rate, mean return, steps, errors."""
    rows, plan = [], []
    for family in families:
        for strategy, mixture in strategy_mixtures(len(policies), msne).items():
            key = _cache_key(policies, mixture, family.name, episodes, seed)
            cell = cache.get(key)
            if cell is None:
                plan.append((family, strategy, key, _jobs(policies, mixture, family, env_package,
                                                          episodes, seed)))
            rows.append((family.name, strategy, key))
    jobs = [job for *_, family_jobs in plan for job in family_jobs]
    done = [0]

    def tick(_index, _result):
        done[0] += 1
        if progress:
            progress(done[0], len(jobs))

    results = executor.run(jobs, tick) if jobs else []
    offset = 0
    for _family, _strategy, key, family_jobs in plan:
        chunk = results[offset:offset + len(family_jobs)]
        offset += len(family_jobs)
        cache.put(key, aggregate([as_episode(r) for r in chunk]))
    return [_row(name, strategy, cache.get(key)) for name, strategy, key in rows]


def _jobs(policies, mixture, family, env_package, episodes, seed) -> list[Job]:
    """The family's episodes; the episodes of one (policy, level) share program processes,
    EPISODES_PER_PROCESS at a time."""
    draw = np.random.default_rng([seed, int(hashlib.sha256(family.name.encode()).hexdigest()[:8], 16)])
    jobs, played = [], {}
    for k in range(episodes):
        policy = policies[int(draw.choice(len(policies), p=mixture))]
        level = k % len(family.env_sources)
        kwargs = {"seed": episode_seed(f"{family.name}/{level}", seed, k), **family.options}
        pair = (family.name, policy.sha256, level)
        played[pair] = played.get(pair, -1) + 1
        group = ("heldout", *pair, played[pair] // EPISODES_PER_PROCESS)
        jobs.append(Job(env_package, "run_episode", family.env_sources[level], policy.source,
                        kwargs, group=group))
    return jobs


def _cache_key(policies, mixture, family_name, episodes, seed) -> tuple:
    weights = [[p.sha256, round(float(w), 12)] for p, w in zip(policies, mixture) if w > 0]
    digest = hashlib.sha256(json.dumps(weights).encode()).hexdigest()
    return (digest, f"heldout:{family_name}", episodes, seed)


def _row(family: str, strategy: str, cell: CellResult) -> dict:
    return {"env": family, "strategy": strategy, "success_rate": cell.success_rate,
            "mean_return": cell.mean_return, "mean_steps": cell.mean_steps,
            "episodes": cell.episodes, "errors": cell.errors, "first_error": cell.first_error}


def format_table(rows: list[dict]) -> str:
    """Families down, strategies across: success rates."""
    strategies = list(dict.fromkeys(r["strategy"] for r in rows))
    families = list(dict.fromkeys(r["env"] for r in rows))
    width = max(len(f) for f in families + ["environment"])
    lines = ["environment".ljust(width) + "".join(f"{s:>10}" for s in strategies)]
    for family in families:
        cells = {r["strategy"]: r["success_rate"] for r in rows if r["env"] == family}
        lines.append(family.ljust(width) + "".join(f"{cells[s]:>10.2f}" for s in strategies))
    return "\n".join(lines)
