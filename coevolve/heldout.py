"""Held-out generalisation: UED-Greedy, UED-Uniform and the MSNE mixture on unseen levels.

For the mixtures, a policy is drawn at the start of each episode (the draw depends only on the
seed, the family and the episode index). Episode ``k`` of a family plays its level
``k % len(levels)``.
"""
from __future__ import annotations

import difflib
import hashlib
import json

import inspect

import gymnasium
import numpy as np

from coevolve.errors import UserInputError
from coevolve.evaluate import CellResult, Evaluator, episode_seed
from coevolve.program import Program
from coevolve.sandbox import Job
from coevolve.scores import strategy_mixtures
from envs.api import HeldoutFamily

EPISODES_PER_PROCESS = 25
"""Held-out episodes of one (policy, level) played in one program process."""


def evaluate_heldout(policies: list[Program], msne: np.ndarray, families,
                     evaluator: Evaluator, progress=None) -> list[dict]:
    """One row per (family, strategy): success rate, mean return, steps, errors.

    ``evaluator`` plays the episodes (its episodes per cell, base seed and cache are the
    held-out evaluation's).
    """
    rows, plan = [], {}
    for family in families:
        for strategy, mixture in strategy_mixtures(len(policies), msne).items():
            key = _cache_key(policies, mixture, family.name, evaluator.episodes, evaluator.seed)
            if evaluator.cache.get(key) is None and key not in plan:
                plan[key] = _jobs(policies, mixture, family, evaluator)
            rows.append((family.name, strategy, key))
    evaluator.evaluate_jobs(plan, progress)
    return [_row(name, strategy, evaluator.cache.get(key)) for name, strategy, key in rows]


def evaluate_mixture(policies: list[Program], mixture, family, evaluator: Evaluator,
                     progress=None) -> CellResult:
    """One cell: the mixture over ``policies`` on ``family`` (a policy drawn per episode)."""
    key = _cache_key(policies, mixture, family.name, evaluator.episodes, evaluator.seed)
    if evaluator.cache.get(key) is None:
        evaluator.evaluate_jobs({key: _jobs(policies, mixture, family, evaluator)}, progress)
    return evaluator.cache.get(key)


def registered_family(domain, env_id: str) -> HeldoutFamily:
    """A registered gymnasium environment as a one-level family, for a domain whose episode
    runner takes ``env_id``.

    Raises:
        UserInputError: the domain plays programs only, or no environment has that id.
    """
    if "env_id" not in inspect.signature(domain.spec.run_episode).parameters:
        raise UserInputError(f"the {domain.name} domain plays environment programs only, "
                             f"not registered ids (--env-id {env_id})")
    if env_id not in gymnasium.registry:
        close = difflib.get_close_matches(env_id, list(gymnasium.registry), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise UserInputError(f"--env-id {env_id}: no gymnasium environment has that id{hint}")
    return HeldoutFamily(name=env_id, env_sources=(None,), options={"env_id": env_id})


def _jobs(policies, mixture, family, evaluator: Evaluator) -> list[Job]:
    """The family's episodes; the episodes of one (policy, level) share program processes,
    EPISODES_PER_PROCESS at a time."""
    seed = evaluator.seed
    draw = np.random.default_rng([seed, int(hashlib.sha256(family.name.encode()).hexdigest()[:8], 16)])
    jobs, played = [], {}
    for k in range(evaluator.episodes):
        policy = policies[int(draw.choice(len(policies), p=mixture))]
        level = k % len(family.env_sources)
        kwargs = {"seed": episode_seed(f"{family.name}/{level}", seed, k), **family.options}
        pair = (family.name, policy.sha256, level)
        played[pair] = played.get(pair, -1) + 1
        group = ("heldout", *pair, played[pair] // EPISODES_PER_PROCESS)
        jobs.append(evaluator.job(family.env_sources[level], policy.source, kwargs, group))
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
