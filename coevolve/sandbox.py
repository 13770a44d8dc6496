"""Worker processes that run untrusted programs with time and memory limits.

``SandboxPool.run(jobs)`` spreads jobs over W worker processes (``python -m coevolve._worker``).
Each worker starts with an environment scrubbed of secrets, its output sent to /dev/null and its
address space capped (RLIMIT_AS). A job that outlives its wall-clock limit, or whose worker
crashes or runs out of memory, comes back as a :class:`JobResult` with the reason in ``error``;
the worker is killed and replaced, and the pool goes on with the next job.
"""
from __future__ import annotations

import os
import pickle
import selectors
import signal
import struct
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

_HEADER = struct.Struct("!Q")
SECRET_MARKERS = ("KEY", "TOKEN", "SECRET", "PASSWORD")


@dataclass(frozen=True)
class Limits:
    """Resource limits of the sandbox."""

    seconds: float = 300.0
    """Wall-clock limit of one job (one episode), unless the job sets its own."""
    memory_mb: int = 4096
    """Address-space limit of each worker process (RLIMIT_AS), in MiB; 0 disables it."""


@dataclass(frozen=True)
class Job:
    """One call ``module.function(env_module, policy_module, **kwargs)`` in a worker."""

    module: str
    """Importable module holding the function, e.g. "envs.minigrid"."""
    function: str
    """Function name, e.g. "run_episode" or "check_env"."""
    env_source: str | None = None
    """Environment program source, executed into a fresh module; None passes None."""
    policy_source: str | None = None
    """Policy program source, executed into a fresh module; None passes None."""
    kwargs: dict = field(default_factory=dict)
    """Keyword arguments of the call (picklable)."""
    seconds: float | None = None
    """Wall-clock limit of this job; None uses the pool's limit."""


@dataclass(frozen=True)
class JobResult:
    """What came back from a job: a value, or the reason there is none."""

    value: Any
    """The function's return value; None on failure."""
    error: str | None
    """Why the job failed ("timeout after 5.0 s", "worker died: signal SIGSEGV", ...)."""
    seconds: float
    """Wall-clock seconds the job took."""


def scrubbed_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """A copy of the environment without secrets: *KEY*, *TOKEN*, *SECRET*, *PASSWORD*, OPENAI_*."""
    environ = dict(os.environ if environ is None else environ)
    clean = {name: value for name, value in environ.items()
             if not name.upper().startswith("OPENAI_")
             and not any(marker in name.upper() for marker in SECRET_MARKERS)}
    clean.update({
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
        "PYTHONHASHSEED": "0",  # set/dict iteration in programs is the same in every worker
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy",
        "PYGAME_HIDE_SUPPORT_PROMPT": "1",
    })
    return clean


class _Worker:
    """One worker process and the job it is running."""

    def __init__(self, limits: Limits, preload: Sequence[str]):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "coevolve._worker", str(limits.memory_mb), *preload],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=scrubbed_environment(), start_new_session=True)
        self.index: int | None = None
        self.started = 0.0
        self.deadline = 0.0

    def send(self, index: int, job: Job, seconds: float) -> None:
        payload = pickle.dumps((job.module, job.function, job.env_source, job.policy_source,
                                job.kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        self.process.stdin.write(_HEADER.pack(len(payload)) + payload)
        self.process.stdin.flush()
        self.index, self.started = index, time.monotonic()
        self.deadline = self.started + seconds

    def receive(self) -> tuple | None:
        """The reply, or None if the worker died before sending a whole one."""
        header = self.process.stdout.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return None
        size = _HEADER.unpack(header)[0]
        payload = self.process.stdout.read(size)
        return pickle.loads(payload) if len(payload) == size else None

    def death_reason(self) -> str:
        code = self.process.wait()
        if code < 0:
            name = signal.Signals(-code).name
            hint = " (out of memory?)" if -code in (signal.SIGKILL, signal.SIGABRT) else ""
            return f"worker died: signal {name}{hint}"
        return f"worker died: exit status {code}"

    def kill(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass


class SandboxPool:
    """W sandboxed worker processes; see the module docstring.

    Args:
        workers: number of worker processes (default: the number of cores).
        limits: time and memory limits.
        preload: modules each worker imports at start-up (e.g. "envs.minigrid"), so that slow
            imports are not charged to the first job.
    """

    def __init__(self, workers: int | None = None, limits: Limits = Limits(),
                 preload: Sequence[str] = ()):
        self.size = max(1, workers or os.cpu_count() or 1)
        self.limits = limits
        self.preload = tuple(preload)
        self._workers: list[_Worker] = []
        self.replaced = 0
        """How many workers were killed and replaced (timeouts, crashes)."""

    def __enter__(self) -> "SandboxPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop every worker."""
        for worker in self._workers:
            worker.kill()
        self._workers = []

    def run(self, jobs: Sequence[Job],
            progress: Callable[[int, JobResult], None] | None = None) -> list[JobResult]:
        """Run ``jobs`` on the workers; results come back in the order of ``jobs``.

        ``progress(index, result)`` is called as each job finishes.
        """
        results: list[JobResult | None] = [None] * len(jobs)
        pending = deque(range(len(jobs)))
        busy: dict[int, _Worker] = {}  # fd -> worker
        selector = selectors.DefaultSelector()
        try:
            while pending or busy:
                while pending and len(busy) < self.size:
                    self._dispatch(pending.popleft(), jobs, busy, selector)
                timeout = max(0.0, min(w.deadline for w in busy.values()) - time.monotonic())
                for key, _ in selector.select(timeout):
                    worker = busy.pop(key.fd)
                    selector.unregister(key.fd)
                    self._finish(worker, worker.receive(), results, progress)
                now = time.monotonic()
                for fd, worker in list(busy.items()):
                    if now >= worker.deadline:
                        del busy[fd]
                        selector.unregister(fd)
                        seconds = worker.deadline - worker.started
                        self._finish(worker, ("timeout", f"timeout after {seconds:.1f} s"),
                                     results, progress)
        finally:
            for worker in busy.values():  # interrupted: don't leave half-run jobs behind
                self._retire(worker)
            selector.close()
        return results

    def _dispatch(self, index, jobs, busy, selector) -> None:
        worker = self._idle_worker(busy)
        job = jobs[index]
        try:
            worker.send(index, job, job.seconds or self.limits.seconds)
        except (BrokenPipeError, OSError):  # died while idle: replace it and try once more
            self._retire(worker)
            worker = self._idle_worker(busy)
            worker.send(index, job, job.seconds or self.limits.seconds)
        busy[worker.process.stdout.fileno()] = worker
        selector.register(worker.process.stdout, selectors.EVENT_READ)

    def _idle_worker(self, busy) -> _Worker:
        in_use = {id(w) for w in busy.values()}
        for worker in self._workers:
            if id(worker) not in in_use:
                return worker
        worker = _Worker(self.limits, self.preload)
        self._workers.append(worker)
        return worker

    def _finish(self, worker: _Worker, reply, results, progress) -> None:
        seconds = time.monotonic() - worker.started
        if reply is None:
            result = JobResult(None, worker.death_reason(), seconds)
            self._retire(worker)
        elif reply[0] == "timeout":
            result = JobResult(None, reply[1], seconds)
            self._retire(worker)
        elif reply[0] == "ok":
            result = JobResult(reply[1], None, seconds)
        else:
            result = JobResult(None, reply[1], seconds)
        index, worker.index = worker.index, None
        results[index] = result
        if progress is not None:
            progress(index, result)

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        self.replaced += 1
        self._workers.remove(worker)
