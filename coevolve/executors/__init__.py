"""Executors: where evaluation jobs run.

An executor is anything with ``run(jobs, progress) -> list[JobResult]`` (results in the order of
``jobs``, ``progress(index, result)`` called as each job finishes) and ``close()``. Two exist:

- ``local`` (the default): :class:`coevolve.sandbox.SandboxPool`, W sandboxed worker processes
  on this machine.
- ``ray``: :class:`coevolve.executors.ray.RayExecutor`, the same sandboxed workers inside Ray
  actors, on a local Ray instance or a cluster (``pip install 'coevolve[ray]'``).

Both run every program in a ``coevolve.sandbox`` worker with the same wall, time and memory limits
and scrubbed environment, so the same jobs give the same episodes on either.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from coevolve.errors import UserInputError
from coevolve.sandbox import Job, JobResult, Limits, SandboxPool

EXECUTORS = ("local", "ray")


class Executor(Protocol):
    """What the evaluator needs from an executor."""

    def run(self, jobs: Sequence[Job],
            progress: Callable[[int, JobResult], None] | None = None) -> list[JobResult]:
        """Run ``jobs``; results in the order of ``jobs``."""

    def close(self) -> None:
        """Release the workers."""


def check_executor(kind: str, address: str | None = None) -> None:
    """Raise a user error if executor ``kind`` cannot be used here (unknown, or ray missing)."""
    if kind not in EXECUTORS:
        raise UserInputError(f"unknown executor {kind!r} (known: {', '.join(EXECUTORS)})")
    if kind == "local" and address:
        raise UserInputError("--ray-address needs --executor ray")
    if kind == "ray":
        from coevolve.executors.ray import import_ray
        import_ray()


def make_executor(kind: str, workers: int | None = None, limits: Limits = Limits(),
                  preload: Sequence[str] = (), address: str | None = None) -> Executor:
    """The executor called ``kind`` ("local" or "ray").

    Args:
        kind: "local" or "ray".
        workers: parallel sandboxed workers; None or 0 means one per core (local) or one per
            CPU of the Ray cluster (ray).
        limits: time and memory limits of every job.
        preload: modules each sandbox worker imports at start-up.
        address: Ray cluster address (``ray`` only); None starts a local Ray instance.
    """
    check_executor(kind, address)
    if kind == "ray":
        from coevolve.executors.ray import RayExecutor
        return RayExecutor(workers or None, limits, preload, address)
    return SandboxPool(workers or None, limits, preload)


__all__ = ["EXECUTORS", "Executor", "check_executor", "make_executor"]
