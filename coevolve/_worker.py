"""The sandboxed worker process: ``python -m coevolve._worker MEMORY_MB``.

Reads jobs from stdin and writes results to the original stdout, as length-prefixed pickles;
an empty frame (length 0), sent once the preloaded modules are imported, says the worker is ready.
Before any job runs, file descriptors 1 and 2 are pointed at /dev/null, so whatever a program
prints goes nowhere, and the address space is capped with RLIMIT_AS.

A job is ``(module, function, env_source, policy_source, kwargs)``; the worker executes each given
source into a fresh module object and calls ``module.function(env_module, policy_module,
**kwargs)`` (trailing
``None`` modules are left out, so ``check_env(env_module, **kwargs)`` works too). The reply is ``("ok", value)`` or ``("error", "ExceptionType: message")``.
"""
from __future__ import annotations

import builtins
import hashlib
import importlib
import linecache
import os
import pickle
import resource
import struct
import sys
import threading
import time
import types

_HEADER = struct.Struct("!Q")
_compiled: dict[str, types.CodeType] = {}


def load_program(source: str, filename: str) -> types.ModuleType:
    """Execute ``source`` into a fresh module named after ``filename`` (without .py)."""
    key = hashlib.sha256(source.encode()).hexdigest()
    code = _compiled.get(key)
    if code is None:
        code = compile(source, filename, "exec")
        _compiled[key] = code
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    module = types.ModuleType(filename[:-3])
    module.__dict__["__builtins__"] = builtins
    module.__file__ = filename
    sys.modules[module.__name__] = module  # dataclasses and friends look modules up by name
    exec(code, module.__dict__)
    return module


def run_job(job) -> tuple:
    """Run one job and return the reply tuple; never raises."""
    module_name, function_name, env_source, policy_source, kwargs = job
    try:
        function = getattr(importlib.import_module(module_name), function_name)
        env_module = None if env_source is None else load_program(env_source, "env_program.py")
        policy_module = (None if policy_source is None
                         else load_program(policy_source, "policy_program.py"))
        modules = [env_module, policy_module]
        while modules and modules[-1] is None:  # check_env(env_module, ...) takes one module
            modules.pop()
        return ("ok", function(*modules, **kwargs))
    except BaseException as exc:  # the program may raise anything, SystemExit included
        return ("error", describe(exc))


def describe(exc: BaseException) -> str:
    """``ExceptionType: message`` plus the innermost program line, kept short."""
    text = f"{type(exc).__name__}: {exc}"[:500]
    tb = exc.__traceback__
    where = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith("_program.py"):
            where = f"{tb.tb_frame.f_code.co_filename}, line {tb.tb_lineno}"
        tb = tb.tb_next
    return f"{text} ({where})" if where else text


def _read_exact(stream, size: int) -> bytes | None:
    data = stream.read(size)
    return data if data is not None and len(data) == size else None


def exit_with_parent(interval: float = 0.5) -> None:
    """Exit as soon as the process that started this worker is gone.

    A worker whose pool was killed (a Ray actor replaced, a driver killed with SIGKILL) must not
    linger running a program's infinite loop: a daemon thread polls the parent's pid.
    """
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def serve(memory_mb: int) -> None:
    """Answer jobs until stdin closes."""
    channel_in = os.fdopen(os.dup(0), "rb", buffering=0)
    channel_out = os.fdopen(os.dup(1), "wb", buffering=0)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    sys.stdin = open(os.devnull)
    sys.stdout = sys.stderr = open(os.devnull, "w")
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    sys.setrecursionlimit(10_000)
    channel_out.write(_HEADER.pack(0))  # ready: the job clock starts now, not at spawn
    while True:
        header = _read_exact(channel_in, _HEADER.size)
        if header is None:
            return
        payload = _read_exact(channel_in, _HEADER.unpack(header)[0])
        if payload is None:
            return
        reply = run_job(pickle.loads(payload))
        try:
            data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as exc:
            data = pickle.dumps(("error", f"result could not be sent back: {describe(exc)}"))
        channel_out.write(_HEADER.pack(len(data)) + data)
        # modules of programs must not leak into the next job
        for name in ("env_program", "policy_program"):
            sys.modules.pop(name, None)


if __name__ == "__main__":
    exit_with_parent()
    for name in sys.argv[2:]:
        importlib.import_module(name)  # preload heavy simulator packages before limits apply
    serve(int(sys.argv[1]))
