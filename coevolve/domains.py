"""Registry of domains by name, and what the harness needs from each.

A domain is a pair of packages: ``envs.<package>`` (the protocol of :mod:`envs.api`) and
``policies.<package>`` (``SEED_POLICY`` and ``mutations.mutate_policy``).
"""
from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from types import ModuleType

from coevolve.errors import UserInputError
from coevolve.program import Origin, Program
from coevolve.validate import validate_source


@dataclass(frozen=True)
class Domain:
    """One registered domain."""

    name: str
    """The name used on the command line and in programs' ``domain`` field."""
    env_package: str
    """Module path of the environment side, e.g. "envs.minigrid"."""
    policy_package: str
    """Module path of the policy side, e.g. "policies.minigrid"."""

    @property
    def envs(self) -> ModuleType:
        """The environment package (imported on first use)."""
        return importlib.import_module(self.env_package)

    @property
    def policies(self) -> ModuleType:
        """The policy package (imported on first use)."""
        return importlib.import_module(self.policy_package)

    # -- the contract's fields, read in one place (optional ones with their defaults) --------
    @property
    def default_max_seconds(self) -> float:
        """Generous wall-clock limit of one episode."""
        return self.envs.DEFAULT_MAX_SECONDS

    @property
    def difficulty_measure(self) -> str | None:
        """The LevelCheck measure that breaks ties between environment candidates."""
        return getattr(self.envs, "DIFFICULTY_MEASURE", None)

    @property
    def probe_steps(self) -> int | None:
        """Steps of the short episode a policy candidate plays before it is accepted."""
        return getattr(self.envs, "PROBE_STEPS", None)

    @property
    def run_defaults(self) -> dict:
        """RunConfig fields a run of this domain uses unless given on the command line."""
        return dict(getattr(self.envs, "RUN_DEFAULTS", {}))

    @property
    def draws_levels(self) -> bool:
        """Whether the domain can draw a seeded level as text (``draw_level``)."""
        return hasattr(self.envs, "draw_level")

    def format_trace(self, trace) -> str:
        """An episode trace as text for a designer ("" if the domain has no formatter)."""
        formatter = getattr(self.envs, "format_trace", None)
        return formatter(trace) if formatter and trace else ""

    def validate(self, program: Program) -> list[str]:
        """Static reasons why ``program`` breaks this domain's contract (empty: it passes)."""
        required = self.envs.ENV_REQUIRED if program.kind == "env" else self.envs.POLICY_REQUIRED
        return validate_source(program.source, required, self.envs.ALLOWED_IMPORTS)

    def seed_env(self) -> Program:
        """The seed environment program."""
        return Program("env", self.name, self.envs.SEED_ENV, origin=Origin("seed"))

    def seed_policy(self) -> Program:
        """The seed policy program."""
        return Program("policy", self.name, self.policies.SEED_POLICY, origin=Origin("seed"))

    def mutate(self, program: Program, rng) -> tuple[str, str]:
        """A mutant of ``program``'s source and a one-line description, by the domain's operators."""
        if program.kind == "env":
            module = importlib.import_module(self.env_package + ".mutations")
            return module.mutate_env(program.source, rng)
        module = importlib.import_module(self.policy_package + ".mutations")
        return module.mutate_policy(program.source, rng)


DOMAINS = {
    "minigrid": Domain("minigrid", "envs.minigrid", "policies.minigrid"),
    "pygame": Domain("pygame", "envs.pygame_nav", "policies.pygame_nav"),
    "driving": Domain("driving", "envs.driving", "policies.driving"),
}


def register_extra_domains(spec: str) -> None:
    """Register domains of your own: ``"name=env_package:policy_package,..."``.

    Read from the COEVOLVE_EXTRA_DOMAINS environment variable at import time; the packages must
    be importable (on PYTHONPATH) in the main process and in the sandbox workers.
    """
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, packages = item.partition("=")
        env_package, _, policy_package = packages.partition(":")
        if not (name and env_package and policy_package):
            raise UserInputError(f"COEVOLVE_EXTRA_DOMAINS entry {item!r} is not "
                                 f"name=env_package:policy_package")
        DOMAINS[name] = Domain(name, env_package, policy_package)


register_extra_domains(os.environ.get("COEVOLVE_EXTRA_DOMAINS", ""))


def get_domain(name: str) -> Domain:
    """The domain called ``name``; an unknown name is a user error listing the known ones."""
    try:
        return DOMAINS[name]
    except KeyError:
        raise UserInputError(f"unknown domain {name!r} (known: {', '.join(DOMAINS)})") from None
