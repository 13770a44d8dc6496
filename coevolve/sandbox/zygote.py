"""The worker process: ``python -m coevolve.sandbox.zygote MEMORY_MB [MODULE ...]``.

A zygote imports the simulators once and never runs program code itself. For every group of
jobs the parent sends, it forks a fresh program process that confines itself
(:mod:`coevolve.sandbox.confine`) and runs the group's jobs in order, writing one reply frame per
job to a pipe of its own. The zygote enforces each job's wall-clock limit and the reply size
limit, and forwards each reply to the parent. A job that times out, oversteps the limit or
kills its process gets an error reply; the group's remaining jobs go on in a fresh process.
Nothing a program does survives its group: the next group starts from the zygote's clean state.

Frames on both pipes are a big-endian u64 length and the bytes. The parent sends pickled lists
of ``(job id, job, seconds)``; the zygote's first frame is its ready report (JSON), then one
frame per job, in order: the job id (u64) followed by the reply.
"""
from __future__ import annotations

import gc
import importlib
import json
import os
import pickle
import select
import shutil
import signal
import struct
import sys
import tempfile
import threading
import time

from coevolve.sandbox import codec, confine
from coevolve.sandbox.jobs import run_job
from coevolve.sandbox.wall import read_roots

HEADER = struct.Struct("!Q")
JOB_ID = struct.Struct("!Q")


def write_frame(fd: int, data: bytes) -> None:
    """Write one frame, whole."""
    view = memoryview(HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def read_exact(fd: int, size: int) -> bytes | None:
    """``size`` bytes from a blocking fd, or None at end of file."""
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_reply(fd: int, deadline: float) -> tuple[bytes | None, str | None]:
    """One reply frame from a program process before ``deadline``: (bytes, None) or (None, why).

    ``why`` is None when the process closed the pipe (it died or exited).
    """
    buffer = bytearray()
    need = HEADER.size
    header_done = False
    while True:
        while len(buffer) < need:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None, "timeout"
            chunk = os.read(fd, min(need - len(buffer), 1 << 20))
            if not chunk:
                return None, None
            buffer += chunk
        if header_done:
            return bytes(buffer[HEADER.size:]), None
        size = HEADER.unpack(bytes(buffer[:HEADER.size]))[0]
        if size > codec.REPLY_LIMIT:
            return None, f"reply of {size} bytes exceeds the {codec.REPLY_LIMIT} byte limit"
        need, header_done = HEADER.size + size, True


class Zygote:
    """Serves groups of jobs from the parent; see the module docstring."""

    def __init__(self, memory_mb: int, channel_in: int, channel_out: int):
        self.memory_mb = memory_mb
        self.channel_in, self.channel_out = channel_in, channel_out
        self.scratch_root = tempfile.mkdtemp(prefix="coevolve-sandbox-")
        self.read_roots = read_roots()
        self.groups = 0

    def serve(self) -> None:
        """Answer groups until the parent closes the pipe."""
        while True:
            header = read_exact(self.channel_in, HEADER.size)
            payload = header and read_exact(self.channel_in, HEADER.unpack(header)[0])
            if payload is None:
                return
            jobs = pickle.loads(payload)
            start = 0
            while start < len(jobs):
                start = self.run_in_child(jobs, start)

    def run_in_child(self, jobs: list, start: int) -> int:
        """Run ``jobs[start:]`` in one fresh program process; the index of the first job that
        it did not answer (len(jobs) when all are done)."""
        self.groups += 1
        scratch = os.path.join(self.scratch_root, f"job{self.groups}")
        os.mkdir(scratch, 0o700)
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the program process
            try:
                os.close(read_end)
                self.become_program_process(scratch, write_end)
                for _job_id, job, _seconds in jobs[start:]:
                    write_frame(write_end, run_job(job))
            finally:
                os._exit(0)
        os.close(write_end)
        index = start
        try:
            while index < len(jobs):
                job_id, _job, seconds = jobs[index]
                reply, why = read_reply(read_end, time.monotonic() + seconds)
                failed = reply is None
                if failed:
                    reply = codec.encode(["error", self.failure(pid, why, seconds)])
                write_frame(self.channel_out, JOB_ID.pack(job_id) + reply)
                index += 1
                if failed:  # the rest of the group goes on in a fresh process
                    return index
            return index
        finally:
            os.close(read_end)
            _kill_and_reap(pid)
            shutil.rmtree(scratch, ignore_errors=True)

    def become_program_process(self, scratch: str, reply_fd: int) -> None:
        """Set up the fresh process's environment and confine it before any program runs."""
        confine.set_parent_death_signal()
        for name in ("TMPDIR", "HOME", "MPLCONFIGDIR"):
            os.environ[name] = scratch
        tempfile.tempdir = scratch
        os.chdir(scratch)
        confine.confine(self.memory_mb, [reply_fd], self.read_roots, [scratch, os.devnull])

    def failure(self, pid: int, why: str | None, seconds: float) -> str:
        """The reason a job got no reply."""
        if why == "timeout":
            return f"timeout after {seconds:.1f} s"
        if why is not None:
            return why
        return death_reason(pid)


def death_reason(pid: int) -> str:
    """Why a program process that closed its pipe is gone (it is reaped here)."""
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return "program process vanished"
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        name = signal.Signals(number).name
        hint = " (out of memory?)" if number in (signal.SIGKILL, signal.SIGABRT) else ""
        return f"program process died: signal {name}{hint}"
    return f"program process exited with status {os.WEXITSTATUS(status)} before replying"


def _kill_and_reap(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def self_test(memory_mb: int, roots) -> dict:
    """Confine a throw-away process the way program processes are; what held, or the error."""
    read_end, write_end = os.pipe()
    scratch = tempfile.mkdtemp(prefix="coevolve-selftest-")
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.close(read_end)
            confine.confine(memory_mb, [write_end], roots, [scratch, os.devnull])
            os.write(write_end, b"ok")
        except BaseException as exc:
            os.write(write_end, f"{type(exc).__name__}: {exc}".encode()[:500])
            code = 1
        os._exit(code)
    os.close(write_end)
    answer = read_exact(read_end, 2) or b""
    answer += os.read(read_end, 500) if answer != b"ok" else b""
    os.close(read_end)
    _kill_and_reap(pid)
    shutil.rmtree(scratch, ignore_errors=True)
    if answer != b"ok":
        return {"ready": False, "error": f"confining a program process failed: "
                                         f"{answer.decode(errors='replace') or 'no answer'}"}
    return {"ready": True, "landlock": confine.landlock_abi(),
            "seccomp": confine.seccomp_filter(1) is not None}


def exit_with_parent(interval: float = 0.5) -> None:
    """Exit as soon as the process that started this worker is gone."""
    parent = os.getppid()
    confine.set_parent_death_signal()

    def watch():
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def main(argv: list[str]) -> None:
    """Preload, report ready, serve."""
    exit_with_parent()
    memory_mb = int(argv[0])
    for name in argv[1:]:
        importlib.import_module(name)  # heavy simulator packages, before limits apply
    channel_in, channel_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    sys.stdin = open(0, closefd=False)  # fds 0-2 are /dev/null, the only ones a program keeps
    sys.stdout = open(1, "w", closefd=False)
    sys.stderr = open(2, "w", closefd=False)
    sys.setrecursionlimit(10_000)
    confine.set_undumpable()
    zygote = Zygote(memory_mb, channel_in, channel_out)
    report = self_test(memory_mb, zygote.read_roots)
    write_frame(channel_out, json.dumps(report).encode())
    if not report["ready"]:
        return
    gc.collect()
    gc.freeze()  # forked program processes then share the zygote's objects untouched by gc
    zygote.serve()


if __name__ == "__main__":
    main(sys.argv[1:])
