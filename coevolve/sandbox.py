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
START_SECONDS = 120.0
"""How long a new worker may take to import its preloaded modules before it counts as broken."""
PIPELINE_BYTES = 16 * 1024
"""Jobs up to this size are queued behind a running one (two always fit in a 64 KiB pipe)."""
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
    """One worker process and the jobs sent to it: the first is running, the next waits in the
    pipe, so the worker never sits idle waiting for the pool to wake up between two jobs."""

    def __init__(self, limits: Limits, preload: Sequence[str]):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "coevolve._worker", str(limits.memory_mb), *preload],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=scrubbed_environment(), start_new_session=True)
        self.fd = self.process.stdout.fileno()
        self.ready = False
        """Whether the worker has imported its preloads (its first frame arrived)."""
        self.queue: deque[tuple[int, float, int]] = deque()
        """(job index, seconds allowed, payload bytes) of the jobs sent and not yet answered."""
        self.broken = False
        """A send failed: the worker is dying and gets no more jobs."""
        self.started = time.monotonic()
        self.deadline = self.started + START_SECONDS

    def send(self, index: int, payload: bytes, seconds: float) -> None:
        """Send a job; the first one's clock starts now, or when the worker is ready."""
        self.process.stdin.write(_HEADER.pack(len(payload)) + payload)
        self.process.stdin.flush()
        self.queue.append((index, seconds, len(payload)))
        if self.ready and len(self.queue) == 1:
            self.start_clock()

    def start_clock(self) -> None:
        """The job at the head of the queue starts running now."""
        self.started = time.monotonic()
        self.deadline = self.started + self.queue[0][1]

    def receive(self) -> tuple | None:
        """The reply, or None if the worker died before sending a whole one.

        The first frame of a worker is its empty ready frame: it starts the job's clock, and
        ``("starting",)`` comes back. Reads bypass Python's buffer, so that a reply right
        behind this one stays in the pipe where ``select`` sees it.
        """
        header = self._read(_HEADER.size)
        if header is None:
            return None
        size = _HEADER.unpack(header)[0]
        if not self.ready:
            if size != 0:
                return None
            self.ready = True
            if self.queue:
                self.start_clock()
            return ("starting",)
        payload = self._read(size)
        return None if payload is None else pickle.loads(payload)

    def _read(self, size: int) -> bytes | None:
        data = b""
        while len(data) < size:
            chunk = os.read(self.fd, size - len(data))
            if not chunk:
                return None
            data += chunk
        return data

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
        busy: dict[int, _Worker] = {}  # fd -> worker with jobs sent
        selector = selectors.DefaultSelector()
        try:
            while pending or busy:
                self._dispatch(pending, jobs, busy, selector)
                timeout = max(0.0, min(w.deadline for w in busy.values()) - time.monotonic())
                for key, _ in selector.select(timeout):
                    worker = busy[key.fd]
                    reply = worker.receive()
                    if reply != ("starting",):  # the ready frame only starts the clock
                        self._finish(worker, reply, results, progress, pending)
                now = time.monotonic()
                for worker in list(busy.values()):
                    if worker.queue and now >= worker.deadline:
                        reason = (f"timeout after {worker.deadline - worker.started:.1f} s"
                                  if worker.ready else
                                  f"worker did not start within {START_SECONDS:.0f} s")
                        self._finish(worker, ("timeout", reason), results, progress, pending)
                for fd, worker in list(busy.items()):
                    if not worker.queue:
                        del busy[fd]
                        selector.unregister(fd)
        finally:
            for worker in busy.values():  # interrupted: don't leave half-run jobs behind
                self._retire(worker)
            selector.close()
        return results

    def _dispatch(self, pending, jobs, busy, selector) -> None:
        """Give every idle worker a job, then queue a second one behind each running job."""
        while pending:
            worker = self._idle_worker(busy)
            if worker is None:
                break
            index = pending.popleft()
            payload = _payload(jobs[index])
            try:
                worker.send(index, payload, jobs[index].seconds or self.limits.seconds)
            except OSError:  # died while idle: replace it and try again
                self._retire(worker)
                pending.appendleft(index)
                continue
            busy[worker.fd] = worker
            selector.register(worker.fd, selectors.EVENT_READ)
        # behind the most recently started job first: an old one may be heading for a timeout
        for worker in sorted(busy.values(), key=lambda w: w.started, reverse=True):
            if not pending:
                return
            if len(worker.queue) != 1 or worker.broken or worker.queue[0][2] > PIPELINE_BYTES:
                continue
            payload = _payload(jobs[pending[0]])
            if len(payload) > PIPELINE_BYTES:
                return  # a big job waits for an idle worker (it would not fit in the pipe)
            try:
                worker.send(pending[0], payload, jobs[pending[0]].seconds or self.limits.seconds)
            except OSError:  # dying: its running job's end is read from the pipe
                worker.broken = True
                continue
            pending.popleft()

    def _idle_worker(self, busy) -> _Worker | None:
        """A worker with nothing to do, started if need be; None if all W are busy."""
        for worker in self._workers:
            if worker.fd not in busy:
                return worker
        if len(self._workers) >= self.size:
            return None
        worker = _Worker(self.limits, self.preload)
        self._workers.append(worker)
        return worker

    def _finish(self, worker: _Worker, reply, results, progress, pending) -> None:
        """Record the reply to the worker's running job; start its next job's clock, or, if
        the worker is gone, put the job queued behind back in front of ``pending``."""
        seconds = time.monotonic() - worker.started
        index = worker.queue.popleft()[0]
        if reply is None:
            result = JobResult(None, worker.death_reason(), seconds)
        elif reply[0] == "ok":
            result = JobResult(reply[1], None, seconds)
        else:
            result = JobResult(None, reply[1], seconds)
        if reply is None or reply[0] == "timeout":
            pending.extendleft(reversed([queued[0] for queued in worker.queue]))
            worker.queue.clear()
            self._retire(worker)
        elif worker.queue:
            worker.start_clock()
        results[index] = result
        if progress is not None:
            progress(index, result)

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        if worker in self._workers:
            self.replaced += 1
            self._workers.remove(worker)


def _payload(job: Job) -> bytes:
    return pickle.dumps((job.module, job.function, job.env_source, job.policy_source,
                         job.kwargs), protocol=pickle.HIGHEST_PROTOCOL)
