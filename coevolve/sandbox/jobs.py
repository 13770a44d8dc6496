"""Running one job inside a program process: fresh program modules, one call, a plain reply.

A job is ``(module, function, env_source, policy_source, kwargs)``: each given source is executed
into a fresh module object and ``module.function(env_module, policy_module, **kwargs)`` is
called (trailing ``None`` modules are left out, so ``check_env(env_module, **kwargs)`` works).
"""
from __future__ import annotations

import builtins
import dataclasses
import hashlib
import importlib
import linecache
import sys
import types

import numpy  # noqa: F401 - imported once in the worker, not in every program process it forks
from envs.api import PROGRAM_FILES, EpisodeResult, describe_exception, generator_states, seed_generators

from coevolve.sandbox import codec

PROGRAM_MODULES = tuple(name[:-3] for name in PROGRAM_FILES)
"""Module names the two programs of a job are executed as."""
_compiled: dict[str, types.CodeType] = {}


def load_program(source: str, filename: str) -> types.ModuleType:
    """Execute ``source`` into a fresh module named after ``filename`` (without .py)."""
    key = hashlib.sha256(source.encode()).hexdigest()
    code = _compiled.get(key)
    if code is None:
        code = compile(source, filename, "exec")
        _compiled[key] = code
    # the lines of this program (not of another compiled under the same name) for tracebacks
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    module = types.ModuleType(filename[:-3])
    module.__dict__["__builtins__"] = builtins
    module.__file__ = filename
    sys.modules[module.__name__] = module  # dataclasses and friends look modules up by name
    exec(code, module.__dict__)
    return module


def run_job(job: tuple) -> bytes:
    """Run one job and return its encoded reply; never raises.

    With a ``seed`` among its arguments, ``random`` and ``numpy.random`` are seeded with it
    before the programs are executed, so what a program draws at import is fixed by the seed;
    an episode whose programs drew at import is not a function of its start alone
    (``EpisodeResult.deterministic`` is cleared).
    """
    module_name, function_name, env_source, policy_source, kwargs = job
    try:
        function = getattr(importlib.import_module(module_name), function_name)
        drawn = seed_generators(kwargs["seed"]) if "seed" in kwargs else None
        env_module = None if env_source is None else load_program(env_source, PROGRAM_FILES[0])
        policy_module = (None if policy_source is None
                         else load_program(policy_source, PROGRAM_FILES[1]))
        imported_randomness = drawn is not None and generator_states() != drawn
        modules = [env_module, policy_module]
        while modules and modules[-1] is None:  # check_env(env_module, ...) takes one module
            modules.pop()
        value = function(*modules, **kwargs)
        if imported_randomness and isinstance(value, EpisodeResult) and value.deterministic:
            value = dataclasses.replace(value, deterministic=False)
        reply = ["ok", value]
    except BaseException as exc:  # the program may raise anything, SystemExit included
        reply = ["error", describe_exception(exc)]
    finally:
        for name in PROGRAM_MODULES:
            sys.modules.pop(name, None)
    try:
        data = codec.encode(reply)
    except BaseException as exc:
        data = codec.encode(["error", f"result could not be sent back: {describe_exception(exc)}"])
    if len(data) > codec.REPLY_LIMIT:
        data = codec.encode(["error", f"result of {len(data)} bytes exceeds the "
                                      f"{codec.REPLY_LIMIT} byte reply limit"])
    return data
