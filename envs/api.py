"""The small contract between the harness and a domain.

A domain is a sub-package ``envs.<name>`` (its environment side) plus ``policies.<name>`` (seed
policy and policy mutations). The harness (``coevolve``) executes generated program sources into
fresh module objects inside a sandboxed worker and hands those modules to the domain's functions;
a domain never executes source itself.

:class:`DomainSpec` lists every name the environment package exports, required and optional, with
what the harness does with it; :func:`domain_spec` reads a package into one. The harness checks a
domain against it (``coevolve.domain_check.check_domain``) before a run starts.

Environment mutation operators live in ``envs.<name>.mutations`` as
``mutate_env(source: str, rng: numpy.random.Generator) -> tuple[str, str]`` (new source, a
one-line description of the change); policy operators in ``policies.<name>.mutations`` as
``mutate_policy(source, rng) -> tuple[str, str]``. Seed policies live in ``policies.<name>``
(``SEED_POLICY: str``), and so does an optional reference solver (``REFERENCE_POLICY: str``, a
policy program that solves what the feasibility check deems solvable, for regret selection).

Seeding: before a job's programs are executed the harness seeds ``random`` and ``numpy.random``
with the job's ``seed``; a domain resets a level through :func:`seeded_reset` (or seeds with
:func:`seed_generators` before it builds one), so every level of a seed starts from the same
generators however many a job builds. Program exceptions are described by
:func:`describe_exception`, the same text in every domain.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import inspect
import linecache
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
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


PROGRAM_FILES = ("env_program.py", "policy_program.py")
"""File names the harness executes an environment and a policy program under (every program
file name ends in ``_program.py``)."""


def trusted_policy(module_name: str) -> str:
    """The source of a policy program whose ``policy`` is ``make_policy()`` of the project
    module ``module_name``: a fresh one each time the program is executed (each episode), as
    a generated program's memory is.

    The source names the module file's sha256, so a changed module is a new program (and a new
    cache key). For reference solvers: project code, which the sandbox can import, unlike a
    generated program.
    """
    path = Path(importlib.util.find_spec(module_name).origin)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return (f'"""{module_name}.make_policy(), trusted project code (sha256 {digest})."""\n'
            f"from {module_name} import make_policy\n\npolicy = make_policy()\n")


def describe_exception(exc: BaseException) -> str:
    """``ExceptionType: message (program file, line N: code)``: the innermost program line the
    exception passed through; the one description of a program's exception in every domain."""
    try:
        text = f"{type(exc).__name__}: {exc}"[:300]
    except BaseException:  # a program-defined exception whose __str__ raises
        text = type(exc).__name__
    where = None
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith("_program.py"):
            line = linecache.getline(filename, tb.tb_lineno).strip()
            where = f"{filename}, line {tb.tb_lineno}" + (f": {line}" if line else "")
        tb = tb.tb_next
    return f"{text} ({where})" if where else text


def seed_generators(seed: int) -> tuple:
    """Seed ``random`` and ``numpy.random`` with ``seed``; their states right after."""
    import random

    import numpy as np
    random.seed(seed)
    np.random.seed(seed % 2**32)
    return generator_states()


def keys_problem(obs, keys) -> str | None:
    """Why ``obs`` is not a dict holding every one of ``keys``, or None."""
    if not isinstance(obs, dict):
        return f"obs must be a dict, got {type(obs).__name__}"
    missing = [key for key in keys if key not in obs]
    if missing:
        return f"obs lacks {', '.join(missing)} (it needs {', '.join(keys)})"
    return None


def construct_env(env_module, class_name: str = "CustomEnv"):
    """``env_module.CustomEnv()``; ProgramError with the reason if that fails."""
    cls = getattr(env_module, class_name, None)
    if not isinstance(cls, type):
        raise ProgramError(f"the environment program must define `class {class_name}`")
    try:
        return cls()
    except Exception as exc:
        raise ProgramError(f"{class_name}() raised {describe_exception(exc)}") from exc


def seeded_reset(env, seed: int, observation_problem: Callable[[Any], str | None]):
    """Seed the generators, reset ``env`` (with ``seed=`` if its reset takes one), check the
    observation: ``(obs, info)``, or ProgramError saying what is wrong."""
    seed_generators(seed)
    try:
        takes_seed = any(p.name == "seed" or p.kind is p.VAR_KEYWORD
                         for p in inspect.signature(env.reset).parameters.values())
    except (TypeError, ValueError):
        takes_seed = False
    try:
        out = env.reset(seed=seed) if takes_seed else env.reset()
    except Exception as exc:
        raise ProgramError(f"reset() raised {describe_exception(exc)}") from exc
    if not (isinstance(out, tuple) and len(out) == 2):
        raise ProgramError(f"reset() must return (obs, info), got {type(out).__name__}")
    problem = observation_problem(out[0])
    if problem:
        raise ProgramError(f"reset(): {problem}")
    return out


def checked_step(env, action, observation_problem: Callable[[Any], str | None]) -> tuple:
    """``env.step(action)``: its 5-tuple, or ProgramError if the step raises, returns something
    else, or returns an observation ``observation_problem`` finds fault with."""
    try:
        out = env.step(action)
    except Exception as exc:
        raise ProgramError(f"step() raised {describe_exception(exc)}") from exc
    if not (isinstance(out, tuple) and len(out) == 5):
        raise ProgramError("step() must return (obs, reward, terminated, truncated, info)")
    problem = observation_problem(out[0])
    if problem:
        raise ProgramError(f"step(): {problem}")
    return out


def _entry(attribute: str, add: str = "", kind: str = "constant", required: bool = True) -> dict:
    """Field metadata of :class:`DomainSpec`: the package attribute (or file) it is read from,
    what to add when it is missing, its kind ("constant", "hook" or "file") and whether it is
    required."""
    return {"attribute": attribute, "add": add, "kind": kind, "required": required}


@dataclass(frozen=True)
class DomainSpec:
    """Everything a domain's environment package declares, required and optional.

    Each field is a module-level name of the package (given in the field's metadata); prompt
    notes and ideas are files beside the package's ``__init__.py``. :func:`domain_spec` reads a
    package into this record; optional names that are missing take the defaults below.
    """

    name: str = field(metadata=_entry("NAME", 'NAME = "<domain name>"'))
    """The domain's name on the command line and in programs' ``domain`` field."""
    env_required: tuple = field(metadata=_entry("ENV_REQUIRED", 'ENV_REQUIRED = ("CustomEnv",)'))
    """Names an environment program must define."""
    policy_required: tuple = field(metadata=_entry("POLICY_REQUIRED", 'POLICY_REQUIRED = ("policy",)'))
    """Names a policy program must define (empty when the runner accepts several forms)."""
    allowed_imports: frozenset = field(metadata=_entry(
        "ALLOWED_IMPORTS", 'ALLOWED_IMPORTS = frozenset({"<simulator package>"})'))
    """Top-level modules a program may import beyond :data:`SAFE_STDLIB` (the simulator)."""
    doc_env: str = field(metadata=_entry("DOC_ENV", 'DOC_ENV = "<the environment program contract>"'))
    """The environment program contract: the README and the LLM prompts show this text."""
    doc_policy: str = field(metadata=_entry("DOC_POLICY", 'DOC_POLICY = "<the policy program contract>"'))
    """The policy program contract, likewise."""
    seed_env: str = field(metadata=_entry(
        "SEED_ENV", 'SEED_ENV = "<source of the seed environment program>"'))
    """Source of the seed environment program (iteration 0)."""
    default_max_seconds: float = field(metadata=_entry("DEFAULT_MAX_SECONDS", "DEFAULT_MAX_SECONDS = 300.0"))
    """Generous wall-clock limit of one episode, in seconds."""
    run_episode: Callable = field(metadata=_entry(
        "run_episode", "def run_episode(env_module, policy_module, *, seed, trace=False, **options) "
        "-> EpisodeResult", "hook"))
    """Plays one seeded episode (options: ``max_steps`` for the probe, ``fingerprint`` with
    ``start_states``, a held-out family's options)."""
    check_env: Callable = field(metadata=_entry(
        "check_env", "def check_env(env_module, *, seeds) -> LevelCheck", "hook"))
    """Feasibility of an environment program over seeded resets."""
    render: Callable = field(metadata=_entry(
        "render", "def render(env_module, seed, path, out_png, **options) -> None", "hook"))
    """Draws the seeded level with a path into ``out_png``; with ``out_png=None`` as its default
    it returns the PNG as base64 text instead."""
    heldout_suite: Callable = field(metadata=_entry(
        "heldout_suite", "def heldout_suite() -> list[HeldoutFamily]", "hook"))
    """The held-out level families of ``coevolve heldout``."""
    difficulty_measure: str | None = field(default=None, metadata=_entry(
        "DIFFICULTY_MEASURE", 'DIFFICULTY_MEASURE = "<a LevelCheck measure>"', required=False))
    """The LevelCheck measure that breaks ties between environment candidates of equal mixture
    success and return (``coevolve.loop.env_preference``): among levels the mixture never solves
    the smaller value is kept (the simplest level it fails on), otherwise the larger one."""
    probe_steps: int | None = field(default=None, metadata=_entry(
        "PROBE_STEPS", "PROBE_STEPS = 64", required=False))
    """``max_steps`` of the short episode a policy candidate plays before it is accepted; None:
    no probe."""
    run_defaults: Mapping = field(default_factory=dict, metadata=_entry(
        "RUN_DEFAULTS", 'RUN_DEFAULTS = {"episodes": 3}', required=False))
    """RunConfig fields a run of this domain uses unless given on the command line."""
    draw_level: Callable | None = field(default=None, metadata=_entry(
        "draw_level", "def draw_level(env_module, policy_module, *, seed) -> str", "hook", required=False))
    """The seeded level as text with the policy's path, for the LLM policy designer."""
    format_trace: Callable | None = field(default=None, metadata=_entry(
        "format_trace", "def format_trace(trace) -> str", "hook", required=False))
    """An episode trace as text for the designers; without it they see no trace."""
    trace_path: Callable | None = field(default=None, metadata=_entry(
        "trace_path", "def trace_path(trace) -> list", "hook", required=False))
    """The path a trace holds, for ``render``; without it ``trace.path`` is used."""
    start_states: Callable | None = field(default=None, metadata=_entry(
        "start_states", "def start_states(env_module, *, seeds, **options) -> list[str | None]",
        "hook", required=False))
    """Start fingerprints (:func:`state_digest`) of seeded resets; with it the evaluator plays one
    episode per distinct start (``run_episode`` must then take ``fingerprint`` and report
    ``start`` and ``deterministic``)."""
    env_notes: str = field(default="", metadata=_entry(
        "prompt_notes_env.md", kind="file", required=False))
    """Advice shown to the LLM environment designer after the contract (a file)."""
    policy_notes: str = field(default="", metadata=_entry(
        "prompt_notes_policy.md", kind="file", required=False))
    """Advice shown to the LLM policy designer after the contract (a file)."""
    env_ideas: tuple = field(default=(), metadata=_entry(
        "prompt_ideas_env.txt", kind="file", required=False))
    """Changes to steer LLM environment candidates with, one a line ('#' comments; a file)."""
    policy_ideas: tuple = field(default=(), metadata=_entry(
        "prompt_ideas_policy.txt", kind="file", required=False))
    """Changes to steer LLM policy candidates with, likewise."""


def spec_fields(kind: str | None = None, required: bool | None = None) -> list:
    """The fields of :class:`DomainSpec`, optionally only those of ``kind`` ("constant", "hook",
    "file") or only the required (or optional) ones."""
    return [f for f in fields(DomainSpec)
            if kind in (None, f.metadata["kind"]) and required in (None, f.metadata["required"])]


def missing_names(package: ModuleType) -> list[str]:
    """One "what to add" sentence per required name ``package`` lacks."""
    return [f"{package.__name__} has no {f.metadata['attribute']}: add `{f.metadata['add']}`"
            for f in spec_fields(required=True) if not hasattr(package, f.metadata["attribute"])]


@functools.lru_cache(maxsize=None)
def domain_spec(package: ModuleType) -> DomainSpec:
    """The spec ``package`` declares; ValueError listing what to add if a required name is
    missing."""
    missing = missing_names(package)
    if missing:
        raise ValueError("; ".join(missing))
    values = {}
    for f in spec_fields():
        attribute = f.metadata["attribute"]
        if f.metadata["kind"] == "file":
            text = _text_beside(package, attribute)
            if text is not None:
                values[f.name] = text.strip() if attribute.endswith(".md") else tuple(
                    line.strip() for line in text.splitlines()
                    if line.strip() and not line.startswith("#"))
        elif hasattr(package, attribute):
            values[f.name] = getattr(package, attribute)
    return DomainSpec(**values)


def _text_beside(package: ModuleType, name: str) -> str | None:
    """The text of file ``name`` in ``package``'s folder, or None."""
    path = Path(getattr(package, "__file__", "") or "").parent / name
    return path.read_text(encoding="utf-8") if path.is_file() else None
