"""Splitting a batch of jobs into tasks of (policy, environment, chunk of episodes).

A remote task costs a round trip, so episodes travel in chunks; but a chunk must be small enough
that a few slow (policy, environment) pairs are spread over many workers instead of keeping one
busy while the others idle. Chunks never mix pairs.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

from coevolve.sandbox import Job


def pair_of(job: Job) -> tuple:
    """What makes two jobs belong to the same (policy, environment) pair."""
    return (job.module, job.function, job.env_source, job.policy_source)


def plan_tasks(jobs: Sequence[Job], slots: int, per_slot: int = 4) -> list[list[int]]:
    """Job indices grouped into tasks, in order.

    Runs of consecutive jobs of one pair are cut into near-equal chunks of at most
    ``ceil(len(jobs) / (slots * per_slot))`` jobs, so there are about ``per_slot`` tasks per
    worker slot when there is enough work.
    """
    if slots < 1 or per_slot < 1:
        raise ValueError("slots and per_slot must be at least 1")
    size = max(1, math.ceil(len(jobs) / (slots * per_slot)))
    tasks: list[list[int]] = []
    start = 0
    for end in range(1, len(jobs) + 1):
        if end == len(jobs) or pair_of(jobs[end]) != pair_of(jobs[start]):
            pieces = math.ceil((end - start) / size)
            bounds = [start + round(k * (end - start) / pieces) for k in range(pieces + 1)]
            tasks.extend(list(range(a, b)) for a, b in zip(bounds, bounds[1:]))
            start = end
    return tasks
