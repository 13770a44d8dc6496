"""Checks that a domain keeps the contract of :class:`envs.api.DomainSpec`, before a run starts.

In the manner of Gymnasium's env checker: small named checks, each returning sentences that say
what to add or change. :func:`check_domain` runs them all; an empty list means the domain is fit.
"""
from __future__ import annotations

import importlib
import inspect
import numbers
from dataclasses import fields
from types import ModuleType

from envs.api import DomainSpec, domain_spec, missing_names, spec_fields

from coevolve.config import RunConfig
from coevolve.validate import validate_source

HOOK_CALLS = {
    "run_episode": ((None, None), {"seed": 0, "trace": False}),
    "check_env": ((None,), {"seeds": [0]}),
    "render": ((None, 0, [], "level.png"), {}),
    "heldout_suite": ((), {}),
    "draw_level": ((None, None), {"seed": 0}),
    "format_trace": ((None,), {}),
    "trace_path": ((None,), {}),
    "start_states": ((None,), {"seeds": [0]}),
}
"""How the harness calls each hook (arguments stand in for modules, seeds and paths)."""


def check_domain(name: str, env_package: str, policy_package: str) -> list[str]:
    """Every way the domain ``name`` breaks the contract; empty if it keeps it."""
    envs, problems = _import(env_package)
    if envs is None:
        return problems
    problems = missing_names(envs)
    if problems:
        return problems
    spec = domain_spec(envs)
    policies, problems = _import(policy_package)
    for check in (check_name, check_texts, check_numbers, check_run_defaults, check_hooks,
                  check_seed_env):
        problems += check(name, env_package, spec)
    if policies is not None:
        problems += check_policy_side(spec, env_package, policy_package, policies)
    return problems


def _import(package: str) -> tuple[ModuleType | None, list[str]]:
    """The imported package, or None and why it cannot be imported."""
    try:
        return importlib.import_module(package), []
    except Exception as exc:  # noqa: BLE001 - any import failure is the domain's to fix
        return None, [f"{package} cannot be imported ({type(exc).__name__}: {exc}): make it "
                      f"importable (on PYTHONPATH) here and in the sandbox workers"]


def check_name(name: str, env_package: str, spec: DomainSpec) -> list[str]:
    """NAME is the name the domain is registered under."""
    if spec.name != name:
        return [f"{env_package}.NAME is {spec.name!r} but the domain is registered as {name!r}: "
                f"set NAME = {name!r}"]
    return []


def check_texts(name: str, env_package: str, spec: DomainSpec) -> list[str]:
    """Program names are tuples of identifiers; imports a set of names; the texts non-empty."""
    problems = []
    for attribute, value in (("ENV_REQUIRED", spec.env_required),
                             ("POLICY_REQUIRED", spec.policy_required)):
        if not (isinstance(value, tuple) and all(isinstance(v, str) and v.isidentifier()
                                                 for v in value)):
            problems.append(f"{env_package}.{attribute} must be a tuple of names a program "
                            f"defines, e.g. (\"CustomEnv\",); got {value!r}")
    if not (isinstance(spec.allowed_imports, (set, frozenset))
            and all(isinstance(m, str) for m in spec.allowed_imports)):
        problems.append(f"{env_package}.ALLOWED_IMPORTS must be a frozenset of module names; "
                        f"got {spec.allowed_imports!r}")
    for attribute, value in (("DOC_ENV", spec.doc_env), ("DOC_POLICY", spec.doc_policy),
                             ("SEED_ENV", spec.seed_env)):
        if not (isinstance(value, str) and value.strip()):
            problems.append(f"{env_package}.{attribute} must be a non-empty string")
    return problems


def check_numbers(name: str, env_package: str, spec: DomainSpec) -> list[str]:
    """The episode limit is a positive number; the probe length and tie measure well typed."""
    problems = []
    seconds = spec.default_max_seconds
    if isinstance(seconds, bool) or not isinstance(seconds, numbers.Real) or seconds <= 0:
        problems.append(f"{env_package}.DEFAULT_MAX_SECONDS must be a positive number of "
                        f"seconds; got {seconds!r}")
    steps = spec.probe_steps
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps < 1):
        problems.append(f"{env_package}.PROBE_STEPS must be a positive int (or left out); "
                        f"got {steps!r}")
    if spec.difficulty_measure is not None and not isinstance(spec.difficulty_measure, str):
        problems.append(f"{env_package}.DIFFICULTY_MEASURE must name a LevelCheck measure (a "
                        f"string); got {spec.difficulty_measure!r}")
    return problems


def check_run_defaults(name: str, env_package: str, spec: DomainSpec) -> list[str]:
    """RUN_DEFAULTS names RunConfig fields only."""
    if not isinstance(spec.run_defaults, dict):
        return [f"{env_package}.RUN_DEFAULTS must be a dict of run settings; "
                f"got {spec.run_defaults!r}"]
    known = {f.name for f in fields(RunConfig)}
    unknown = sorted(set(spec.run_defaults) - known)
    if unknown:
        return [f"{env_package}.RUN_DEFAULTS names {', '.join(unknown)}, which are no run "
                f"settings: use RunConfig fields such as episodes, candidates, search_steps"]
    return []


def check_hooks(name: str, env_package: str, spec: DomainSpec) -> list[str]:
    """Each hook the package has is a function the harness can call as it does."""
    problems = []
    for f in spec_fields("hook"):
        hook = getattr(spec, f.name)
        if hook is None:
            continue
        args, kwargs = HOOK_CALLS[f.name]
        if f.name == "run_episode" and spec.start_states is not None:
            kwargs = {**kwargs, "fingerprint": True}
        if f.name == "run_episode" and spec.probe_steps is not None:
            kwargs = {**kwargs, "max_steps": spec.probe_steps}
        if not callable(hook):
            problems.append(f"{env_package}.{f.name} is not a function: define "
                            f"`{f.metadata['add']}`")
            continue
        try:
            inspect.signature(hook).bind(*args, **kwargs)
        except TypeError as exc:
            problems.append(f"{env_package}.{f.name} cannot be called as the harness calls it "
                            f"({exc}): define `{f.metadata['add']}`"
                            + (" taking fingerprint= and max_steps= as well"
                               if f.name == "run_episode" else ""))
        except ValueError:  # a builtin without a signature: nothing to check
            pass
    return problems


def check_seed_env(name: str, env_package: str, spec: DomainSpec) -> list[str]:
    """The seed environment program passes the domain's own static contract."""
    if not isinstance(spec.seed_env, str):
        return []
    reasons = validate_source(spec.seed_env, spec.env_required, spec.allowed_imports)
    return [f"{env_package}.SEED_ENV breaks the domain's contract: {reason}" for reason in reasons]


def check_policy_side(spec: DomainSpec, env_package: str, policy_package: str,
                      policies: ModuleType) -> list[str]:
    """SEED_POLICY passes the contract; both mutation modules define their operator."""
    problems = []
    seed_policy = getattr(policies, "SEED_POLICY", None)
    if not isinstance(seed_policy, str):
        problems.append(f"{policy_package} has no SEED_POLICY: add `SEED_POLICY = \"<source of "
                        f"the seed policy program>\"`")
    else:
        problems += [f"{policy_package}.SEED_POLICY breaks the domain's contract: {reason}"
                     for reason in validate_source(seed_policy, spec.policy_required,
                                                   spec.allowed_imports)]
    for package, function in ((env_package, "mutate_env"), (policy_package, "mutate_policy")):
        module, failed = _import(package + ".mutations")
        if module is None:
            problems.append(f"{package}.mutations is missing: add it with `def {function}"
                            f"(source, rng) -> tuple[str, str]` (the offline designer's "
                            f"operators; {failed[0]})")
        elif not callable(getattr(module, function, None)):
            problems.append(f"{package}.mutations has no {function}: add `def {function}"
                            f"(source, rng) -> tuple[str, str]`")
    return problems
