"""Registry of domains by name, and what the harness needs from each.

A domain is a pair of packages: ``envs.<package>`` (the names of :class:`envs.api.DomainSpec`)
and ``policies.<package>`` (``SEED_POLICY``, ``mutations.mutate_policy`` and optionally
``REFERENCE_POLICY``, the reference solver of regret selection). A domain is checked
(:func:`coevolve.domain_check.check_domain`) the first time it is looked up, so a broken one is a
user error before any run file is written.
"""
from __future__ import annotations

import functools
import importlib
import os
from dataclasses import dataclass
from types import ModuleType

from envs.api import DomainSpec, domain_spec

from coevolve.domain_check import check_domain
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

    @property
    def spec(self) -> DomainSpec:
        """What the environment package declares (:class:`envs.api.DomainSpec`)."""
        return domain_spec(self.envs)

    # -- the contract's optional hooks, with their defaults -----------------------------------
    @property
    def default_max_seconds(self) -> float:
        """Generous wall-clock limit of one episode."""
        return self.spec.default_max_seconds

    @property
    def difficulty_measure(self) -> str | None:
        """The LevelCheck measure that breaks ties between environment candidates."""
        return self.spec.difficulty_measure

    @property
    def probe_steps(self) -> int | None:
        """Steps of the short episode a policy candidate plays before it is accepted."""
        return self.spec.probe_steps

    @property
    def run_defaults(self) -> dict:
        """RunConfig fields a run of this domain uses unless given on the command line."""
        return dict(self.spec.run_defaults)

    @property
    def draws_levels(self) -> bool:
        """Whether the domain can draw a seeded level as text (``draw_level``)."""
        return self.spec.draw_level is not None

    def format_trace(self, trace) -> str:
        """An episode trace as text for a designer ("" if the domain has no formatter)."""
        formatter = self.spec.format_trace
        return formatter(trace) if formatter and trace else ""

    def notes(self, role: str) -> str:
        """The domain's prompt advice for ``role`` ("env" or "policy"); "" if it has none."""
        return self.spec.env_notes if role == "env" else self.spec.policy_notes

    def ideas(self, role: str) -> tuple[str, ...]:
        """The domain's changes to steer LLM candidates of ``role`` with; empty if none."""
        return self.spec.env_ideas if role == "env" else self.spec.policy_ideas

    def validate(self, program: Program) -> list[str]:
        """Static reasons why ``program`` breaks this domain's contract (empty: it passes)."""
        spec = self.spec
        required = spec.env_required if program.kind == "env" else spec.policy_required
        return validate_source(program.source, required, spec.allowed_imports)

    def seed_env(self) -> Program:
        """The seed environment program."""
        return Program("env", self.name, self.spec.seed_env, origin=Origin("seed"))

    def seed_policy(self) -> Program:
        """The seed policy program."""
        return Program("policy", self.name, self.policies.SEED_POLICY, origin=Origin("seed"))

    def reference_policy(self) -> Program | None:
        """The reference solver (``REFERENCE_POLICY``), or None if the domain has none."""
        source = getattr(self.policies, "REFERENCE_POLICY", None)
        if source is None:
            return None
        return Program("policy", self.name, source, origin=Origin("reference"))

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
    be importable (on PYTHONPATH) in the main process and in the sandbox workers. They are
    checked when first looked up.
    """
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, packages = item.partition("=")
        env_package, _, policy_package = packages.partition(":")
        if not (name and env_package and policy_package):
            raise UserInputError(f"COEVOLVE_EXTRA_DOMAINS entry {item!r} is not "
                                 f"name=env_package:policy_package")
        DOMAINS[name] = Domain(name, env_package, policy_package)


register_extra_domains(os.environ.get("COEVOLVE_EXTRA_DOMAINS", ""))


def get_domain(name: str, env_package: str | None = None,
               policy_package: str | None = None) -> Domain:
    """The domain called ``name``, checked against the contract on first use.

    A name not registered here is registered from ``env_package`` and ``policy_package`` when
    given (a run's config.json records them), else it is a user error listing the known ones.
    A domain that breaks the contract is a user error saying what to add.
    """
    domain = DOMAINS.get(name)
    if domain is None:
        if not (env_package and policy_package):
            raise UserInputError(f"unknown domain {name!r} (known: {', '.join(DOMAINS)})")
        domain = DOMAINS[name] = Domain(name, env_package, policy_package)
    _check(domain)
    return domain


def domain_of(config) -> Domain:
    """The domain of a run's configuration (registered from its module paths if need be)."""
    return get_domain(config.domain, config.env_package, config.policy_package)


@functools.lru_cache(maxsize=None)
def _check(domain: Domain) -> None:
    """Raise UserInputError with every problem of ``domain`` (once per domain)."""
    problems = check_domain(domain.name, domain.env_package, domain.policy_package)
    if problems:
        raise UserInputError(f"domain {domain.name!r} breaks the contract of envs.api."
                             f"DomainSpec: {'; '.join(problems)}")
