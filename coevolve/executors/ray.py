"""Evaluation on Ray: sandboxed workers inside Ray actors, on one machine or a cluster.

Each actor holds a one-worker :class:`~coevolve.sandbox.SandboxPool`, so every program still runs
behind the same wall (bubblewrap or the process fallback, resolved on the actor's node) with
the pool's time and memory limits and scrubbed environment, and a hostile program is contained
exactly as on the local pool. Jobs travel as
tasks of (policy, environment, chunk of episodes) (:mod:`coevolve.executors.tasks`).

A task whose actor is lost (its process or node died) or that outlives the sum of its jobs'
limits plus a slack (the actor hangs) is retried once on a fresh actor; if that fails too, its
jobs come back as failures with the reason, and the run goes on.
"""
from __future__ import annotations

import logging
import os
import socket
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence

from coevolve.errors import UserInputError
from coevolve.executors.tasks import plan_tasks
from coevolve.sandbox import Job, JobResult, Limits, SandboxPool


def import_ray():
    """The ``ray`` module, or a user error saying how to install it."""
    try:
        import ray
    except ImportError:
        raise UserInputError("--executor ray needs the ray package: "
                             "pip install 'coevolve[ray]' (or pip install ray)") from None
    return ray


def check_reachable(address: str | None, seconds: float = 5.0) -> None:
    """A user error if ``address`` names a host:port (or ray://host:port) nobody answers on.

    Ray itself keeps retrying an unreachable address for minutes; "auto" and None are left
    to Ray.
    """
    if not address or address == "auto":
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise UserInputError(f"--ray-address {address!r} is not auto, HOST:PORT or ray://HOST:PORT")
    try:
        socket.create_connection((host, int(port)), timeout=seconds).close()
    except OSError as exc:
        raise UserInputError(f"cannot reach the Ray cluster at {address}: {exc}") from None


class SandboxActor:
    """A one-worker sandbox pool in a Ray worker process (made remote by :class:`RayExecutor`).

    Args:
        limits: time and memory limits of every job.
        preload: modules the sandbox worker imports at start-up.
        paths: the driver's ``sys.path``; the entries that exist on this node and are missing
            here are appended, so that the sandbox worker imports what the driver would.
        worker_module: the sandbox worker's main module (tests swap in one that misbehaves).
    """

    def __init__(self, limits: Limits, preload: Sequence[str], paths: Sequence[str],
                 worker_module: str = "coevolve.sandbox.zygote"):
        sys.path.extend(p for p in paths if p and p not in sys.path and os.path.isdir(p))
        self.pool = SandboxPool(1, limits, preload, worker_module)

    def ready(self) -> int:
        """The actor's process id, once it is up."""
        return os.getpid()

    def run(self, jobs: Sequence[Job]) -> list[JobResult]:
        """Run one task's jobs in the sandbox worker."""
        return self.pool.run(jobs)

    def close(self) -> None:
        """Stop the sandbox worker."""
        self.pool.close()


class RayExecutor:
    """Runs jobs on Ray actors; see the module docstring.

    Args:
        workers: number of actors (each one CPU and one sandbox worker); None means one per CPU
            of the cluster.
        limits: time and memory limits of every job.
        preload: modules each sandbox worker imports at start-up.
        address: Ray cluster address ("auto", "ray://host:10001", "host:6379"); None starts a
            local Ray instance unless one is already initialised in this process.
        per_slot: tasks per actor a batch is cut into (more: better balance, more round trips).
        slack_seconds: how much longer than the sum of its jobs' limits a task may take before
            its actor counts as hung.
        start_seconds: how long to wait for a new actor to come up.
        worker_module: the sandbox worker's main module (tests swap in one that misbehaves).
    """

    def __init__(self, workers: int | None = None, limits: Limits = Limits(),
                 preload: Sequence[str] = (), address: str | None = None, *,
                 per_slot: int = 4, slack_seconds: float = 60.0, start_seconds: float = 120.0,
                 worker_module: str = "coevolve.sandbox.zygote"):
        self._ray = ray = import_ray()
        self._owns_ray = not ray.is_initialized()
        if self._owns_ray:
            check_reachable(address)
            try:
                ray.init(address=address, num_cpus=workers if address is None else None,
                         include_dashboard=False, log_to_driver=False,
                         logging_level=logging.WARNING)
            except ConnectionError as exc:
                raise UserInputError(f"cannot reach the Ray cluster at {address}: {exc}") from None
        self.size = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        self.sandbox_mode = limits.sandbox
        """The wall each actor's pool asks for (an actor resolves ``auto`` on its own node)."""
        self.limits = limits
        self.preload = tuple(preload)
        self.per_slot = per_slot
        self.slack_seconds = slack_seconds
        self.start_seconds = start_seconds
        self.worker_module = worker_module
        self._remote = ray.remote(num_cpus=1, max_restarts=0, max_task_retries=0)(SandboxActor)
        self._actors: list = []
        self._idle: list = []
        self._starting: dict = {}  # ready ref -> (actor, deadline)
        self._wanted = self.size
        self.retried = 0
        """Tasks sent again after their actor was lost or hung."""
        self.replaced = 0
        """Actors killed and replaced."""

    def __enter__(self) -> "RayExecutor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop every actor (and the local Ray instance if this executor started it)."""
        ray = self._ray
        try:
            ray.get([actor.close.remote() for actor in self._actors], timeout=10)
        except ray.exceptions.RayError:
            pass
        for actor in [*self._actors, *(entry[0] for entry in self._starting.values())]:
            ray.kill(actor, no_restart=True)
        self._actors, self._idle, self._starting = [], [], {}
        if self._owns_ray and ray.is_initialized():
            ray.shutdown()

    # -- running a batch --------------------------------------------------------------------
    def run(self, jobs: Sequence[Job],
            progress: Callable[[int, JobResult], None] | None = None) -> list[JobResult]:
        """Run ``jobs`` on the actors; results come back in the order of ``jobs``.

        ``progress(index, result)`` is called as each job's result arrives.
        """
        ray = self._ray
        results: list[JobResult | None] = [None] * len(jobs)

        def record(task, chunk):
            for index, result in zip(task, chunk):
                results[index] = result
                if progress is not None:
                    progress(index, result)

        queue = deque((task, 0) for task in plan_tasks(jobs, self.size, self.per_slot))
        running: dict = {}  # ref -> (actor, task, attempt, started, deadline)
        self._wanted = self.size
        try:
            while queue or running:
                self._top_up()
                while queue and self._idle:
                    actor = self._idle.pop()
                    task, attempt = queue.popleft()
                    started = time.monotonic()
                    deadline = started + self.slack_seconds + sum(
                        jobs[i].seconds or self.limits.seconds for i in task)
                    running[actor.run.remote([jobs[i] for i in task])] = (
                        actor, task, attempt, started, deadline)
                if not running and not self._starting:  # work left, but no actor comes up
                    while queue:
                        task, _ = queue.popleft()
                        record(task, [JobResult(None, "no Ray worker could be started", 0.0)]
                               * len(task))
                    break
                deadlines = [entry[4] for entry in running.values()]
                deadlines += [entry[1] for entry in self._starting.values()]
                timeout = max(0.0, min(deadlines) - time.monotonic())
                ready, _ = ray.wait([*running, *self._starting], num_returns=1, timeout=timeout)
                lost = []
                for ref in ready:
                    if ref in self._starting:
                        self._started(ref)
                        continue
                    actor, task, attempt, started, _ = running.pop(ref)
                    try:
                        chunk = ray.get(ref)
                    except ray.exceptions.RayError as exc:
                        lost.append((actor, task, attempt, started, _one_line(exc)))
                        continue
                    self._idle.append(actor)
                    record(task, chunk)
                now = time.monotonic()
                for ref, (actor, task, attempt, started, deadline) in list(running.items()):
                    if now >= deadline:
                        del running[ref]
                        lost.append((actor, task, attempt, started,
                                     f"task hung for {now - started:.0f} s"))
                for actor, task, attempt, started, reason in lost:
                    self._retire(actor)
                    if attempt == 0:
                        self.retried += 1
                        queue.append((task, 1))
                    else:
                        failure = JobResult(None, f"ray task failed on two workers: {reason}",
                                            time.monotonic() - started)
                        record(task, [failure] * len(task))
        finally:
            for actor, *_ in running.values():  # interrupted: don't leave tasks running
                self._retire(actor)
        return results

    # -- actors -----------------------------------------------------------------------------
    def _top_up(self) -> None:
        """Start actors until there are as many as wanted; each becomes idle once it is up.

        An actor that does not come up in time (no free CPU in the cluster?) is given up on,
        and not replaced during this batch.
        """
        now = time.monotonic()
        for ref, (actor, deadline) in list(self._starting.items()):
            if now >= deadline:
                del self._starting[ref]
                self._ray.kill(actor, no_restart=True)
                self._wanted -= 1
        for _ in range(self._wanted - len(self._actors) - len(self._starting)):
            actor = self._remote.remote(self.limits, self.preload, list(sys.path),
                                        self.worker_module)
            self._starting[actor.ready.remote()] = (actor, now + self.start_seconds)

    def _started(self, ref) -> None:
        """A starting actor answered: idle if it is up, killed if it failed to start."""
        actor, _ = self._starting.pop(ref)
        try:
            self._ray.get(ref)
        except self._ray.exceptions.RayError:
            self._ray.kill(actor, no_restart=True)
            return
        self._actors.append(actor)
        self._idle.append(actor)

    def _retire(self, actor) -> None:
        """Kill a lost or hung actor; :meth:`_top_up` starts its replacement."""
        self._ray.kill(actor, no_restart=True)
        self._actors.remove(actor)
        self.replaced += 1


def _one_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    text = lines[0] if lines else ""
    return f"{type(exc).__name__}: {text}"[:300]
