"""The parent side: W sandboxed workers, and jobs spread over them.

Each worker is a zygote (:mod:`coevolve.sandbox.zygote`) behind the wall
(:mod:`coevolve.sandbox.wall`). Jobs travel to it as pickles (parent to worker only); replies
come back as checked plain data (:mod:`coevolve.sandbox.codec`). Every read and write in the
parent is non-blocking and has a deadline: a reply that is malformed, oversized, partial or
late, or a worker that closes its pipes, fails the job with its reason; the worker is killed
and replaced, and the pool goes on with the next job.
"""
from __future__ import annotations

import json
import os
import pickle
import select
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from coevolve.errors import UserInputError
from coevolve.sandbox import codec, wall
from coevolve.sandbox.zygote import HEADER, JOB_ID

START_SECONDS = 120.0
"""How long a new worker may take to import its preloaded modules before it counts as broken."""
GRACE_SECONDS = 15.0
"""How long past a job's own limit the parent waits before it kills an unresponsive worker."""
PIPELINE_BYTES = 16 * 1024
"""Jobs up to this size are queued behind a running one (they always fit in a 64 KiB pipe)."""
SEND_SECONDS = 30.0
"""How long writing a job to a worker may take."""


class SandboxError(UserInputError):
    """The sandbox itself cannot work here (not a program's fault): one line, exit status 2."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of the sandbox and the wall around it."""

    seconds: float = 300.0
    """Wall-clock limit of one job (one episode), unless the job sets its own."""
    memory_mb: int = 4096
    """Address-space limit of each program process (RLIMIT_AS), in MiB; 0 disables it."""
    sandbox: str = "auto"
    """The wall: auto, bwrap or process (see :mod:`coevolve.sandbox.wall`)."""


@dataclass(frozen=True)
class Job:
    """One call ``module.function(env_module, policy_module, **kwargs)`` in a program process."""

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
    group: Any = None
    """Jobs with the same (not None) group run one after another, in order, in one program
    process; None gives the job a process of its own. Only jobs of the same programs should
    share a group: what one job's programs change in shared modules, the next ones see."""


@dataclass(frozen=True)
class JobResult:
    """What came back from a job: a value, or the reason there is none."""

    value: Any
    """The function's return value; None on failure."""
    error: str | None
    """Why the job failed ("timeout after 5.0 s", "program process died: signal SIGSEGV", ...)."""
    seconds: float
    """Wall-clock seconds the job took."""


def batches_of(jobs: Sequence[Job]) -> list[list[int]]:
    """Job indices in batches: the jobs of one group together, in order; a singleton for each
    job without a group. Batches are ordered by their first job."""
    batches: list[list[int]] = []
    by_group: dict = {}
    for index, job in enumerate(jobs):
        if job.group is None:
            batches.append([index])
        elif job.group in by_group:
            by_group[job.group].append(index)
        else:
            by_group[job.group] = [index]
            batches.append(by_group[job.group])
    return batches


_warned: set[str] = set()


class _Worker:
    """One zygote and the batches sent to it: the first is running, the next waits in the pipe."""

    def __init__(self, limits: Limits, preload: Sequence[str], mode: str, roots: list[str],
                 module: str):
        command = [sys.executable, "-m", module, str(limits.memory_mb), *preload]
        environment = wall.worker_environment(roots)
        if mode == "bwrap":
            command = wall.bwrap_command(roots, command)
            environment.update(HOME="/tmp/home", TMPDIR="/tmp")
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=environment, start_new_session=True, cwd=tempfile.gettempdir())
        self.fd_in = self.process.stdin.fileno()
        self.fd = self.process.stdout.fileno()
        os.set_blocking(self.fd_in, False)
        os.set_blocking(self.fd, False)
        self.buffer = bytearray()
        self.ready = False
        """Whether the worker reported ready (its preloads imported, its confinement tested)."""
        self.jobs: deque[int] = deque()
        """Indices of the jobs sent and not yet answered, in order."""
        self.batches: deque[list[int]] = deque()
        """The same jobs as sent batches (the first is running)."""
        self.broken = False
        """A send failed: the worker gets no more jobs."""
        self.started = time.monotonic()
        self.deadline = self.started + START_SECONDS

    def send(self, batch: list[int], jobs: Sequence[Job], default_seconds: float) -> None:
        """Send one batch; raises OSError if the worker does not take it in time."""
        payload = _payload(batch, jobs, default_seconds)
        view = memoryview(HEADER.pack(len(payload)) + payload)
        limit = time.monotonic() + SEND_SECONDS
        while view:
            if time.monotonic() > limit or not select.select([], [self.fd_in], [], 1.0)[1]:
                if time.monotonic() > limit:
                    raise OSError("worker did not take the job in time")
                continue
            try:
                view = view[os.write(self.fd_in, view):]
            except BlockingIOError:
                continue
        first = not self.jobs
        self.batches.append(list(batch))
        self.jobs.extend(batch)
        if first and self.ready:
            self.start_clock(jobs, default_seconds)

    def start_clock(self, jobs: Sequence[Job], default_seconds: float) -> None:
        """The job at the head starts now; the parent's deadline is its limit plus a grace."""
        self.started = time.monotonic()
        seconds = jobs[self.jobs[0]].seconds or default_seconds
        self.deadline = self.started + seconds + GRACE_SECONDS

    def read_frames(self) -> tuple[list[bytes], bool]:
        """Complete frames that arrived, and whether the worker closed its end."""
        closed = False
        while True:
            try:
                chunk = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                break
            except OSError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            self.buffer += chunk
            if len(self.buffer) > codec.REPLY_LIMIT + 2 * HEADER.size:
                break
        frames = []
        while len(self.buffer) >= HEADER.size:
            size = HEADER.unpack(bytes(self.buffer[:HEADER.size]))[0]
            if size > codec.REPLY_LIMIT:
                raise codec.MalformedReply(f"reply of {size} bytes exceeds the "
                                           f"{codec.REPLY_LIMIT} byte limit")
            if len(self.buffer) < HEADER.size + size:
                break
            frames.append(bytes(self.buffer[HEADER.size:HEADER.size + size]))
            del self.buffer[:HEADER.size + size]
        return frames, closed

    def pop_job(self) -> int:
        """The running job is answered: drop it from the queue and its batch."""
        index = self.jobs.popleft()
        self.batches[0].pop(0)
        if not self.batches[0]:
            self.batches.popleft()
        return index

    def unanswered_batches(self) -> list[list[int]]:
        """Every batch still owed, after the running job (which the caller has failed)."""
        return [b for b in self.batches if b]

    def death_reason(self) -> str:
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "worker closed its pipes"
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
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass


class SandboxPool:
    """W sandboxed workers; see the module docstring.

    Args:
        workers: number of worker processes (default: the number of cores).
        limits: time and memory limits, and the wall (``limits.sandbox``).
        preload: modules each worker imports at start-up (e.g. "envs.minigrid"), so that slow
            imports are not charged to the first job.
        worker_module: the worker's main module (tests swap in one that misbehaves).
    """

    def __init__(self, workers: int | None = None, limits: Limits = Limits(),
                 preload: Sequence[str] = (), worker_module: str = "coevolve.sandbox.zygote"):
        self.size = max(1, workers or os.cpu_count() or 1)
        self.limits = limits
        self.preload = tuple(preload)
        self.worker_module = worker_module
        self.wall = wall.resolve(limits.sandbox, self.preload)
        warning = wall.fallback_warning(self.wall)
        if warning and warning not in _warned:
            _warned.add(warning)
            print(warning, file=sys.stderr)
        self.roots = wall.sandbox_roots((*self.preload, worker_module))
        self._workers: list[_Worker] = []
        self.replaced = 0
        """How many workers were killed and replaced (hung or broken workers)."""
        self.confinement: dict = {}
        """What the last worker reported of its confinement (Landlock ABI, seccomp)."""

    @property
    def sandbox_mode(self) -> str:
        """The wall in force: "bwrap" or "process"."""
        return self.wall.mode

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
        self._cover_modules({job.module for job in jobs})
        results: list[JobResult | None] = [None] * len(jobs)
        pending = deque(batches_of(jobs))
        busy: dict[int, _Worker] = {}  # fd -> worker with jobs sent
        selector = selectors.DefaultSelector()
        finish = _Finisher(self, jobs, results, progress, pending)
        try:
            while pending or busy:
                self._dispatch(pending, jobs, busy, selector)
                timeout = max(0.0, min(w.deadline for w in busy.values()) - time.monotonic())
                for key, _ in selector.select(timeout):
                    self._read(busy[key.fd], finish, jobs)
                now = time.monotonic()
                for worker in list(busy.values()):
                    if worker.jobs and now >= worker.deadline and worker.fd in busy:
                        reason = (f"timeout after {now - worker.started:.1f} s (worker unresponsive)"
                                  if worker.ready else
                                  f"worker did not start within {START_SECONDS:.0f} s")
                        finish.fail_worker(worker, reason)
                for fd, worker in list(busy.items()):
                    if not worker.jobs or worker not in self._workers:
                        del busy[fd]
                        selector.unregister(fd)
        finally:
            for worker in busy.values():  # interrupted: don't leave half-run jobs behind
                if worker in self._workers:
                    self._retire(worker)
            selector.close()
        return results

    def _cover_modules(self, modules: set[str]) -> None:
        """Make the jobs' modules readable behind the wall; workers restart if the view grows."""
        roots = wall.sandbox_roots((*self.preload, self.worker_module, *sorted(modules)))
        if roots != self.roots:
            self.roots = roots
            self.close()

    def _read(self, worker: _Worker, finish: "_Finisher", jobs) -> None:
        """Take in what a worker sent: its ready report, replies, or its end."""
        if worker not in self._workers:
            return
        try:
            frames, closed = worker.read_frames()
        except codec.MalformedReply as exc:
            finish.fail_worker(worker, f"malformed reply: {exc}")
            return
        for frame in frames:
            if not worker.ready:
                self._ready(worker, frame)
                if worker.jobs:
                    worker.start_clock(jobs, self.limits.seconds)
                continue
            if len(frame) < JOB_ID.size or not worker.jobs or \
                    JOB_ID.unpack(frame[:JOB_ID.size])[0] != worker.jobs[0]:
                finish.fail_worker(worker, "worker sent a reply nobody asked for")
                return
            try:
                status, value = codec.decode(frame[JOB_ID.size:])
            except codec.MalformedReply as exc:
                finish.fail_worker(worker, f"malformed reply: {exc}")
                return
            finish.answer(worker, status, value)
        if closed and worker in self._workers:
            finish.fail_worker(worker, worker.death_reason())

    def _ready(self, worker: _Worker, frame: bytes) -> None:
        try:
            report = json.loads(frame)
        except ValueError:
            report = {"ready": False, "error": "unreadable ready report"}
        if not isinstance(report, dict) or not report.get("ready"):
            error = report.get("error") if isinstance(report, dict) else None
            raise SandboxError(f"sandbox worker could not start: {error or report!r}")
        worker.ready = True
        self.confinement = {k: v for k, v in report.items() if k != "ready"}

    def _dispatch(self, pending, jobs, busy, selector) -> None:
        """Give every idle worker a batch, then queue a small one behind each running batch."""
        while pending:
            worker = self._idle_worker(busy)
            if worker is None:
                break
            batch = pending.popleft()
            try:
                worker.send(batch, jobs, self.limits.seconds)
            except OSError:  # died while idle: replace it and try again
                self._retire(worker)
                pending.appendleft(batch)
                continue
            busy[worker.fd] = worker
            selector.register(worker.fd, selectors.EVENT_READ)
        # behind the most recently started batch first: an old one may be heading for a timeout
        for worker in sorted(busy.values(), key=lambda w: w.started, reverse=True):
            if not pending:
                return
            if len(worker.batches) != 1 or worker.broken:
                continue
            if len(_payload(pending[0], jobs, self.limits.seconds)) > PIPELINE_BYTES:
                return  # a big batch waits for an idle worker (it might not fit in the pipe)
            try:
                worker.send(pending[0], jobs, self.limits.seconds)
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
        worker = _Worker(self.limits, self.preload, self.wall.mode, self.roots,
                         self.worker_module)
        self._workers.append(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        if worker in self._workers:
            self.replaced += 1
            self._workers.remove(worker)


class _Finisher:
    """Records results of one ``run`` call as they arrive."""

    def __init__(self, pool: SandboxPool, jobs, results, progress, pending):
        self.pool, self.jobs, self.results = pool, jobs, results
        self.progress, self.pending = progress, pending

    def answer(self, worker: _Worker, status: str, value) -> None:
        """A reply to the worker's running job."""
        seconds = time.monotonic() - worker.started
        index = worker.pop_job()
        result = (JobResult(value, None, seconds) if status == "ok"
                  else JobResult(None, value, seconds))
        if worker.jobs:
            worker.start_clock(self.jobs, self.pool.limits.seconds)
        self._record(index, result)

    def fail_worker(self, worker: _Worker, reason: str) -> None:
        """The worker is unusable: fail its running job, requeue the rest, replace it."""
        seconds = time.monotonic() - worker.started
        if worker.jobs:
            index = worker.pop_job()
            self.pending.extendleft(reversed(worker.unanswered_batches()))
            worker.jobs.clear()
            worker.batches.clear()
            self._record(index, JobResult(None, reason, seconds))
        self.pool._retire(worker)

    def _record(self, index: int, result: JobResult) -> None:
        self.results[index] = result
        if self.progress is not None:
            self.progress(index, result)


def _payload(batch: Sequence[int], jobs: Sequence[Job], default_seconds: float) -> bytes:
    """A batch as the zygote reads it: (job id, job, seconds) per job; the id is its index."""
    return pickle.dumps([(i, (jobs[i].module, jobs[i].function, jobs[i].env_source,
                              jobs[i].policy_source, jobs[i].kwargs),
                          jobs[i].seconds or default_seconds) for i in batch],
                        protocol=pickle.HIGHEST_PROTOCOL)
