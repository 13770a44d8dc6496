"""The offline designer: genetic programming over program source through ``ast``.

Each candidate is the parent with 1..max_mutations of the domain's mutation operators applied
(``envs.<domain>.mutations.mutate_env`` / ``policies.<domain>.mutations.mutate_policy``). It is
deterministic given the random generator and needs no network.
"""
from __future__ import annotations

import numpy as np

from coevolve.designers.base import EnvRequest, PolicyRequest
from coevolve.program import Origin, Program


class OfflineDesigner:
    """Mutates the parent program K times with the domain's operators."""

    name = "offline"

    def __init__(self, domain, max_mutations: int = 3):
        self.domain = domain
        self.max_mutations = max(1, max_mutations)

    def propose_envs(self, request: EnvRequest, rng: np.random.Generator) -> list[Program]:
        """K mutants of the newest environment."""
        return [self._mutant(request.parent, request.iteration, rng) for _ in range(request.k)]

    def propose_policies(self, request: PolicyRequest, rng: np.random.Generator) -> list[Program]:
        """K mutants of the policy with the largest MSNE weight."""
        return [self._mutant(request.parent, request.iteration, rng) for _ in range(request.k)]

    def _mutant(self, parent: Program, iteration: int, rng: np.random.Generator) -> Program:
        program, notes = parent, []
        for _ in range(int(rng.integers(1, self.max_mutations + 1))):
            try:
                source, note = self.domain.mutate(program, rng)
            except ValueError as exc:  # the operators could not edit this source
                notes.append(f"operator refused: {exc}")
                break
            program = Program(parent.kind, parent.domain, source)
            notes.append(note)
        return Program(parent.kind, parent.domain, program.source, parent=parent.sha256,
                       origin=Origin("offline", None, iteration, "; ".join(notes)))
