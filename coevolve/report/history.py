"""The run's history as arrays: what the figures plot, computed from the iteration records
(:class:`coevolve.records.IterationRecord`).

The archive after iteration ``t`` holds the environments and policies chosen in iterations
``0..t``; a payoff cell never changes once known, so payoff.csv restricted to that archive is the
matrix the run saw at ``t``.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from coevolve.payoff import PayoffMatrix

STRATEGIES = ("greedy", "uniform", "msne")
"""The three mixtures of the paper, in the order the report shows them."""


@dataclass(frozen=True)
class SuccessGrid:
    """A mixture's success on every environment after every iteration (NaN: not archived yet)."""

    iterations: tuple
    """Iteration numbers, one per row."""
    env_labels: tuple
    """Environment labels, one per column."""
    values: np.ndarray
    """Success rates, shape (iterations, environments)."""


def archive_at(records) -> list[tuple[list[str], list[str]]]:
    """(policy labels, environment labels) of the archive after each record's iteration."""
    policies, envs, archives = [], [], []
    for record in records:
        if record.policy:
            policies.append(record.policy.label)
        if record.env:
            envs.append(record.env.label)
        archives.append((list(policies), list(envs)))
    return archives


def mixture_grids(records, payoffs: PayoffMatrix) -> dict[str, SuccessGrid]:
    """The newest policy's ("greedy") and the MSNE mixture's ("msne") success per iteration."""
    rows = {label: i for i, label in enumerate(payoffs.policy_labels)}
    columns = {label: j for j, label in enumerate(payoffs.env_labels)}
    shape = (len(records), len(payoffs.env_labels))
    grids = {"greedy": np.full(shape, np.nan), "msne": np.full(shape, np.nan)}
    for t, (record, (policies, envs)) in enumerate(zip(records, archive_at(records))):
        cols = [columns[label] for label in envs]
        grids["greedy"][t, cols] = payoffs.values[rows[policies[-1]], cols]
        weights = np.array([record.msne.get(label, 0.0) for label in policies])
        block = payoffs.values[np.ix_([rows[label] for label in policies], cols)]
        grids["msne"][t, cols] = weights @ block
    iterations = tuple(r.iteration for r in records)
    return {name: SuccessGrid(iterations, tuple(payoffs.env_labels), values)
            for name, values in grids.items()}


def logged_scores(records) -> dict[str, dict[str, np.ndarray]]:
    """Worst-case and mean archive success of greedy, uniform and MSNE, per iteration, as the
    run logged them."""
    return {name: {stat: np.array([r.scores[name][stat] for r in records])
                   for stat in ("worst", "mean")}
            for name in STRATEGIES}


def msne_weights(records, policy_labels) -> np.ndarray:
    """MSNE weight of every policy (columns, in ``policy_labels`` order) per iteration (rows)."""
    return np.array([[r.msne.get(label, 0.0) for label in policy_labels] for r in records])


def measure_series(records) -> dict[str, tuple[list[int], list[float]]]:
    """Each numeric level measure of the chosen environment: (iterations, values)."""
    series: dict[str, tuple[list[int], list[float]]] = {}
    for record in records:
        for name, value in sorted(chosen_measures(record).items()):
            if isinstance(value, numbers.Real) and not isinstance(value, bool):
                iterations, values = series.setdefault(name, ([], []))
                iterations.append(record.iteration)
                values.append(float(value))
    return series


def chosen_measures(record) -> dict:
    """Level measures of the environment chosen in ``record`` ({} if none was chosen).

    They are read from the archive entry, or else from the chosen candidate's screening.
    """
    if not record.env:
        return {}
    if record.env.measures:
        return record.env.measures
    chosen = record.chosen("env")
    return (chosen.measures or {}) if chosen else {}


def split_constant(series: dict) -> tuple[dict, dict]:
    """(measures that change, {name: value} of those that stay the same in every iteration)."""
    varying = {name: s for name, s in series.items() if len(set(s[1])) > 1}
    constant = {name: s[1][0] for name, s in series.items() if name not in varying}
    return varying, constant


def candidate_outcomes(records, kind: str) -> tuple[list[str], np.ndarray]:
    """Outcome names ("accepted", then rejection categories) and their counts per iteration."""
    counts = [r.counts[kind] for r in records]
    categories = sorted({c for count in counts for c in count["rejected"]},
                        key=lambda c: str(c))
    names = ["accepted"] + [f"rejected: {c}" for c in categories]
    table = np.array([[count["accepted"]] + [count["rejected"].get(c, 0) for c in categories]
                      for count in counts], dtype=float).reshape(len(records), len(names))
    return names, table


def rejections(records) -> list[dict]:
    """Every rejected candidate: iteration, kind, category, reason and file."""
    return [{"iteration": r.iteration, "kind": c.kind,
             "category": c.category.value if c.category else None,
             "reason": c.reason or "", "file": c.file}
            for r in records for c in r.candidates if c.rejected]


def token_usage(records, llm_lines) -> dict[str, np.ndarray]:
    """LLM tokens per iteration by kind ("prompt_tokens", ...); empty when none were recorded.

    The iteration records' ``llm`` field (the run's cumulative usage after that iteration) is
    used when present; otherwise the ``usage`` of each llm.jsonl line (or of its ``response``)
    is summed by the line's ``iteration``.
    """
    per_iteration = _usage_increments([r.llm for r in records])
    if not any(per_iteration):
        index = {r.iteration: t for t, r in enumerate(records)}
        per_iteration = [{} for _ in records]
        for line in llm_lines:
            usage = line.get("usage") or (line.get("response") or {}).get("usage") or {}
            t = index.get(line.get("iteration"))
            if t is None:
                continue
            for name, value in usage.items():
                if isinstance(value, numbers.Real):
                    per_iteration[t][name] = per_iteration[t].get(name, 0) + value
    names = sorted({name for usage in per_iteration for name, value in usage.items()
                    if isinstance(value, numbers.Real) and not isinstance(value, bool)})
    return {name: np.array([float(usage.get(name, 0)) for usage in per_iteration])
            for name in names}


def _usage_increments(cumulative) -> list[dict]:
    """Per-iteration usage from cumulative totals (missing totals count as no change)."""
    increments, previous = [], {}
    for totals in cumulative:
        totals = totals if isinstance(totals, dict) else previous
        increments.append({name: value - previous.get(name, 0) for name, value in totals.items()
                           if isinstance(value, numbers.Real) and not isinstance(value, bool)
                           and value - previous.get(name, 0)})
        previous = totals
    return increments


def most_likely_policy(record) -> str:
    """Label of the policy with the largest MSNE weight in ``record`` (the earliest on ties)."""
    weights = record.msne
    return max(sorted(weights), key=weights.__getitem__)
