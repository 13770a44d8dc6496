"""Designers write candidate programs: ``offline`` (AST mutation) or ``llm``.

Both satisfy :class:`coevolve.designers.base.Designer`; :func:`make_designer` picks one by name,
and :func:`designer_for` the one of a run's configuration, which may give each role its own
(``--env-designer``, ``--policy-designer``).
"""
from __future__ import annotations

from coevolve.errors import UserInputError

DESIGNERS = ("offline", "llm")


def make_designer(name: str, domain, config):
    """The designer called ``name`` for ``domain``, configured from a RunConfig."""
    if name == "offline":
        from coevolve.designers.offline import OfflineDesigner
        return OfflineDesigner(domain, config.max_mutations, config.search_steps)
    if name == "llm":
        from coevolve.designers.llm import LLMDesigner
        return LLMDesigner.from_config(domain, config)
    raise UserInputError(f"unknown designer {name!r} (known: {', '.join(DESIGNERS)})")


def designer_for(domain, config):
    """The designer of a run: one back end for both roles, or a :class:`MixedDesigner`."""
    env, policy = config.designer_of("env"), config.designer_of("policy")
    for flag, name in (("--env-designer", env), ("--policy-designer", policy)):
        if name not in DESIGNERS:
            raise UserInputError(f"{flag} {name!r}: choose one of {', '.join(DESIGNERS)}")
    if env == policy:
        return make_designer(env, domain, config)
    return MixedDesigner(make_designer(env, domain, config),
                         make_designer(policy, domain, config))


class MixedDesigner:
    """Environments from one designer, policies from another (e.g. llm levels, offline agents)."""

    def __init__(self, env_designer, policy_designer):
        self.env_designer, self.policy_designer = env_designer, policy_designer
        self.name = f"{env_designer.name}+{policy_designer.name}"
        self._llm = next((d for d in (env_designer, policy_designer) if hasattr(d, "usage")), None)

    def propose_envs(self, request, rng):
        """The environment designer's candidates."""
        return self.env_designer.propose_envs(request, rng)

    def propose_policies(self, request, rng):
        """The policy designer's candidates."""
        return self.policy_designer.propose_policies(request, rng)

    def attach_transcript(self, path: str) -> None:
        """Record the llm designer's requests into ``path``."""
        if self._llm is not None:
            self._llm.attach_transcript(path)

    def usage(self) -> dict:
        """The llm designer's requests and tokens so far."""
        return self._llm.usage() if self._llm is not None else {}
