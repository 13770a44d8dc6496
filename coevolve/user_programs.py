"""Programs a user gives on the command line: read, validated, and (as seeds) checked.

``coevolve eval --env/--policy`` and ``coevolve run --seed-env/--seed-policy`` read files
through :func:`read_program_file`; a run's own seeds are checked in the sandbox by
:func:`check_seed_programs` before its directory is written, so bad input is one line and
exit status 2, with nothing half-written.
"""
from __future__ import annotations

import os

from coevolve.errors import UserInputError
from coevolve.program import Origin, Program

SEED_COPIES = {"env": "programs/seed_env.py", "policy": "programs/seed_policy.py"}
"""Where a run keeps the user's seed programs (so a resume never needs the original files)."""


def read_program_file(path: str, kind: str, domain, flag: str | None = None,
                 name: str | None = None) -> Program:
    """The program in file ``path``, statically validated for ``domain``; its origin says
    which file it came from (``name``, default ``path``'s base name).

    Raises:
        UserInputError: the file cannot be read as text, or breaks the contract (the first
            reason; ``flag`` names the option it came from).
    """
    label = f"{flag} {path}" if flag else path
    try:
        with open(path, encoding="utf-8") as handle:
            source = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserInputError(f"cannot read {kind} program {label}: "
                             f"{getattr(exc, 'strerror', None) or exc}") from None
    program = Program(kind, domain.name, source,
                      origin=Origin("user", note=f"from {name or os.path.basename(path)}"))
    reasons = domain.validate(program)
    if reasons:
        raise UserInputError(f"{label} is not a valid {domain.name} {kind} program: {reasons[0]}")
    return program


def seed_programs(config, domain, store=None) -> tuple[Program, Program]:
    """The programs iteration 0 archives: the user's ``--seed-env``/``--seed-policy`` files
    where given (with ``store``: the run's copies of them), else the domain's seeds."""
    def seed(kind: str, given: str | None, default) -> Program:
        if not given:
            return default()
        path = store.path(SEED_COPIES[kind]) if store is not None else given
        return read_program_file(path, kind, domain, f"--seed-{kind}", os.path.basename(given))
    return (seed("env", config.seed_env, domain.seed_env),
            seed("policy", config.seed_policy, domain.seed_policy))


def keep_seed_programs(config, env: Program, policy: Program, store) -> None:
    """Copy the user's seed programs into the run directory."""
    for kind, given, program in (("env", config.seed_env, env),
                                 ("policy", config.seed_policy, policy)):
        if given:
            store.write(SEED_COPIES[kind], program.source)


def check_seed_programs(env: Program, policy: Program, screener) -> None:
    """The seed level must pass its feasibility check, and the seed policy a short episode
    on it (the checks every candidate passes).

    Raises:
        UserInputError: with the check's reason.
    """
    check = screener.check_env(env)
    if not check.feasible:
        raise UserInputError(f"the seed environment is rejected: {check.reason}")
    reason = screener.policy_rejection(policy, env)
    if reason:
        raise UserInputError(f"the seed policy is rejected: {reason}")
