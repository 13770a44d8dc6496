"""The small contract between the harness and a domain.

A domain is a sub-package ``envs.<name>`` exporting the module-level names below. The harness
(``coevolve``) executes generated program sources into fresh module objects inside a sandboxed
worker and hands those modules to the domain's functions; a domain never executes source itself.

Required names of a domain package::

    NAME: str                       # "minigrid", "pygame", "atari"
    ENV_REQUIRED: tuple[str, ...]   # names an environment program must define, e.g. ("CustomEnv",)
    POLICY_REQUIRED: tuple[str, ...]  # names a policy program must define, e.g. ("policy",)
    ALLOWED_IMPORTS: frozenset[str]   # top-level modules a program may import beyond the common
                                      # safe standard library and numpy (e.g. {"minigrid", "gymnasium"})
    DOC_ENV: str, DOC_POLICY: str   # contract documentation: the README and LLM prompts use this text
    SEED_ENV: str                   # source of the seed environment program
    DEFAULT_MAX_SECONDS: float      # generous default wall-clock limit for one episode
    DIFFICULTY_MEASURE: str         # optional: the LevelCheck measure that breaks ties between
                                    # equally hard candidates (the simpler level is kept)
    RUN_DEFAULTS: dict              # optional: RunConfig fields a run of this domain uses unless
                                    # given on the command line (e.g. {"episodes": 3})
    PROBE_STEPS: int                # optional: run_episode's max_steps for the short episode a
                                    # policy candidate plays before it is accepted

    def run_episode(env_module, policy_module, *, seed: int, trace: bool = False,
                    **options) -> EpisodeResult
    def check_env(env_module, *, seeds: Sequence[int]) -> LevelCheck
    def render(env_module, seed: int, path, out_png: str, **options) -> None
    def heldout_suite() -> list[HeldoutFamily]
    def draw_level(env_module, policy_module, *, seed: int) -> str   # optional: the seeded level
                                    # as text with the policy's path, for the LLM policy designer

Environment mutation operators live in ``envs.<name>.mutations`` as
``mutate_env(source: str, rng: numpy.random.Generator) -> tuple[str, str]`` (new source, a
one-line description of the change); policy operators in ``policies.<name>.mutations`` as
``mutate_policy(source, rng) -> tuple[str, str]``.

Seed policies live in ``policies.<name>`` (``SEED_POLICY: str``).
"""
from __future__ import annotations

import linecache
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

SAFE_STDLIB = frozenset({
    "__future__", "abc", "array", "base64", "bisect", "calendar", "cmath", "collections",
    "colorsys", "contextlib", "copy", "dataclasses", "datetime", "decimal", "difflib", "enum",
    "fractions", "functools", "graphlib", "hashlib", "heapq", "itertools", "json", "logging",
    "math", "numbers", "operator", "pprint", "queue", "random", "re", "reprlib", "statistics",
    "string", "struct", "textwrap", "time", "types", "typing", "unicodedata", "warnings",
    "weakref", "zlib", "numpy",
})
"""Modules every program may import: computation-only standard library modules and numpy. A
program importing only these (and its domain's simulator) runs without this project installed."""


def imports_sentence(domain_modules) -> str:
    """The allow-list as one sentence for contract texts and prompts, exactly as enforced."""
    extra = sorted(set(domain_modules) - SAFE_STDLIB)
    stdlib = sorted(SAFE_STDLIB - {"numpy", "__future__"})
    return (f"It may import only numpy{''.join(', ' + m for m in extra)} and these standard "
            f"library modules: {', '.join(stdlib)}.")


REPLY_TYPES: dict[str, type] = {}
"""Frozen dataclasses a sandboxed job may return, by class name (see :func:`reply_type`)."""


def reply_type(cls: type) -> type:
    """Register a frozen dataclass as a value a sandboxed job may send back to the harness.

    Replies travel as plain data (JSON), never as pickles; the harness rebuilds only classes
    registered here, and checks each field against its annotation.
    """
    if REPLY_TYPES.setdefault(cls.__name__, cls) is not cls:
        raise ValueError(f"another reply type is already called {cls.__name__}")
    return cls


@reply_type
@dataclass(frozen=True)
class EpisodeResult:
    """What one episode of a policy in an environment produced."""

    success: bool
    """Whether the episode counts as solved under the domain's success rule."""
    ret: float
    """Episode return (the domain defines the reward)."""
    steps: int
    """Agent steps taken."""
    policy_seconds: float = 0.0
    """Wall-clock seconds spent inside the policy's calls, summed over the episode."""
    error: str | None = None
    """Why the episode failed abnormally (exception, bad action, ...); None if it ran cleanly."""
    trace: Any = None
    """Optional compact trace (positions, actions, ...) when requested with ``trace=True``."""
    start: str | None = None
    """Fingerprint of the state the episode started from (:func:`state_digest` of the reset
    environment); None where the domain cannot tell."""
    deterministic: bool = False
    """True when no random generator (``random``, ``numpy.random``, the environment's own) was
    drawn from between the reset and the end, so the episode is a function of its start."""


@reply_type
@dataclass(frozen=True)
class LevelCheck:
    """Result of a domain's feasibility check of an environment program."""

    feasible: bool
    """True if every checked seeded reset yields a solvable level."""
    reason: str | None = None
    """Why the level was rejected, phrased so a person (or an LLM) can act on it."""
    measures: dict = field(default_factory=dict)
    """Level measures (grid size, walls, doors, shortest solution, ...), averaged over seeds."""


class _Opaque(Exception):
    """A value :func:`state_digest` cannot see into."""


DIGEST_NODES = 200_000
"""Most values :func:`state_digest` looks at before it gives up."""


def state_digest(value: Any, skip: frozenset = frozenset(), ignore: frozenset = frozenset(),
                 opaque_modules=("pygame",)) -> str | None:
    """A sha256 of everything reachable from ``value`` (attributes, containers, arrays, random
    generators' states), or None if some part cannot be seen into (then nothing may be
    concluded from equal digests).

    Attributes named in ``skip`` are left out when they hold a random generator (the episode
    runner tracks those with :func:`generator_states`), those named in ``ignore`` always (such
    as the seed a generator was made from). Objects of ``opaque_modules`` count by type only
    (display handles such as pygame Surfaces).
    """
    import collections
    import hashlib

    import numpy as np
    digest, seen, budget = hashlib.sha256(), {}, [DIGEST_NODES]

    def feed(item):
        budget[0] -= 1
        if budget[0] < 0:
            raise _Opaque
        kind = type(item)
        digest.update(kind.__qualname__.encode() + b"\0")
        if item is None or isinstance(item, (bool, int, float, complex, str, bytes)):
            digest.update(repr(item).encode() + b"\0")
            return
        if is_generator(item):
            digest.update(repr(_generator_state(item)).encode())
            return
        if kind.__module__.split(".")[0] in opaque_modules:
            return
        if isinstance(item, np.dtype):
            digest.update(item.str.encode())
            return
        if isinstance(item, type) or kind.__name__ in ("builtin_function_or_method", "module"):
            name = getattr(item, "__qualname__", None) or item.__name__
            digest.update(f"{getattr(item, '__module__', '')}.{name}".encode())
            return
        if kind.__module__ == "numpy" and hasattr(item, "tobytes"):
            if getattr(item, "dtype", None) is not None and item.dtype.hasobject:
                feed(item.tolist())
                return
            digest.update(repr((getattr(item, "shape", ()), str(item.dtype))).encode())
            digest.update(item.tobytes())
            return
        if id(item) in seen:
            digest.update(f"<ref {seen[id(item)]}>".encode())
            return
        seen[id(item)] = len(seen)
        if isinstance(item, dict):
            for key in sorted(item, key=repr):
                if key not in ignore and not (key in skip and is_generator(item[key])):
                    feed(key)
                    feed(item[key])
        elif isinstance(item, (list, tuple, collections.deque)):
            for element in item:
                feed(element)
        elif isinstance(item, (set, frozenset)):
            for element in sorted(item, key=repr):
                feed(element)
        elif kind.__name__ == "function":
            digest.update(item.__code__.co_code + repr(item.__code__.co_consts).encode())
            feed(item.__defaults__)
            feed([cell.cell_contents for cell in item.__closure__ or ()])
            return
        elif kind.__name__ == "method":
            feed(item.__func__)
            feed(item.__self__)
            return
        elif not _python_defined(kind) or not hasattr(item, "__dict__"):
            raise _Opaque  # state held in C that attributes do not show
        if hasattr(item, "__dict__"):
            feed(dict(vars(item)))

    try:
        feed(value)
    except (_Opaque, RecursionError):
        return None
    return digest.hexdigest()


_PYTHON_DEFINED: dict[type, bool] = {}


def _python_defined(kind: type) -> bool:
    """Whether every class of ``kind``'s MRO (but object) is written in Python."""
    known = _PYTHON_DEFINED.get(kind)
    if known is None:
        heap = 1 << 9  # Py_TPFLAGS_HEAPTYPE
        known = _PYTHON_DEFINED[kind] = all(cls is object or cls.__flags__ & heap
                                            for cls in kind.__mro__)
    return known


def is_generator(value: Any) -> bool:
    """Whether ``value`` is a ``random.Random`` or a numpy Generator / RandomState."""
    import random

    import numpy as np
    return isinstance(value, (random.Random, np.random.Generator, np.random.RandomState))


def _generator_state(generator) -> Any:
    """A comparable (``==``) snapshot of one generator's state."""
    import random
    if isinstance(generator, random.Random):
        return generator.getstate()
    if hasattr(generator, "bit_generator"):
        return generator.bit_generator.state
    name, keys, position, gauss, cached = generator.get_state()
    return name, keys.tobytes(), position, gauss, cached


def generator_states(*generators) -> tuple:
    """A comparable snapshot of ``random``, ``numpy.random`` and the given generators."""
    import random

    import numpy as np
    return (random.getstate(), _generator_state(np.random.mtrand._rand),
            *(_generator_state(g) for g in generators if g is not None))


class ProgramError(Exception):
    """A generated program broke its contract at run time (bad action type, missing name, ...)."""


@dataclass(frozen=True)
class HeldoutFamily:
    """A named family of held-out levels, played through the ordinary episode runner.

    Episode ``k`` of an evaluation on the family plays level ``k % len(levels)``. A level is either
    an environment program source (``env_source``) or ``None`` with ``options`` naming a built-in
    environment (for example ``{"env_id": "MiniGrid-DoorKey-16x16-v0"}``); ``options`` are passed
    to ``run_episode`` as keyword arguments.
    """

    name: str
    """Family name shown in the held-out table, e.g. "MiniGrid-DoorKey-16x16-v0" or "bug_trap"."""
    env_sources: tuple = (None,)
    """One entry per level: a program source, or None for a built-in environment."""
    options: dict = field(default_factory=dict)
    """Keyword arguments for run_episode shared by every level of the family."""


def describe_exception(exc: BaseException, module: ModuleType | None) -> str:
    """``ExceptionType: message`` plus the innermost line of ``module`` it passed through."""
    text = f"{type(exc).__name__}: {exc}"[:300]
    where = None
    tb = exc.__traceback__
    while tb is not None:
        if module is not None and tb.tb_frame.f_globals is module.__dict__:
            line = linecache.getline(tb.tb_frame.f_code.co_filename, tb.tb_lineno).strip()
            where = f"line {tb.tb_lineno}" + (f": {line}" if line else "")
        tb = tb.tb_next
    return f"{text} ({where})" if where else text
