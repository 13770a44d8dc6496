"""Splitting a batch of jobs into tasks of (policy, environment, chunk of episodes).

Jobs that share a program process (``Job.group``) always travel together, so a Ray actor plays
them in one process exactly as the local pool does.

A remote task costs a round trip, so episodes travel in chunks; but a chunk must be small enough
that a few slow (policy, environment) pairs are spread over many workers instead of keeping one
busy while the others idle. Chunks never mix pairs.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

from coevolve.sandbox import Job, batches_of


def pair_of(job: Job) -> tuple:
    """What makes two jobs belong to the same (policy, environment) pair."""
    return (job.module, job.function, job.env_source, job.policy_source)


def plan_tasks(jobs: Sequence[Job], slots: int, per_slot: int = 4) -> list[list[int]]:
    """Job indices grouped into tasks.

    A group of jobs that must share a program process (``Job.group``) is one task. Runs of
    consecutive ungrouped jobs of one pair are cut into near-equal chunks of at most
    ``ceil(len(jobs) / (slots * per_slot))`` jobs, so there are about ``per_slot`` tasks per
    worker slot when there is enough work.
    """
    if slots < 1 or per_slot < 1:
        raise ValueError("slots and per_slot must be at least 1")
    size = max(1, math.ceil(len(jobs) / (slots * per_slot)))
    tasks: list[list[int]] = []
    run: list[int] = []

    def cut_run():
        if run:
            pieces = math.ceil(len(run) / size)
            bounds = [round(k * len(run) / pieces) for k in range(pieces + 1)]
            tasks.extend(run[a:b] for a, b in zip(bounds, bounds[1:]))
            run.clear()

    for batch in batches_of(jobs):
        if len(batch) > 1 or jobs[batch[0]].group is not None:
            cut_run()
            tasks.append(batch)
        else:
            if run and pair_of(jobs[run[-1]]) != pair_of(jobs[batch[0]]):
                cut_run()
            run.append(batch[0])
    cut_run()
    return tasks
