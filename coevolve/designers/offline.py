"""The offline designer: genetic programming over program source through ``ast``.

A mutant is the parent with 1..max_mutations of the domain's mutation operators applied
(``envs.<domain>.mutations.mutate_env`` / ``policies.<domain>.mutations.mutate_policy``), or,
for a program those did not build (an LLM's, after a designer switch), the generic operators
of :mod:`coevolve.designers.generic`, which never edit a contract index.
Environment candidates are K mutants of the newest environment. Policy candidates are K short
hill-climbs from the parent on the new environment (or, given restarts, from the parent and the
restart policies in turn): each step keeps a mutant that is not worse (neutral moves let the
search drift across the plateaus of a 0/1 success signal). Everything is
deterministic given the random generator, and needs no network.
"""
from __future__ import annotations

import numpy as np

from coevolve.designers.base import EnvRequest, PolicyRequest
from coevolve.designers.generic import mutate_generic
from coevolve.program import Origin, Program


class OfflineDesigner:
    """Mutates (and, for policies, hill-climbs from) the parent with the domain's operators."""

    name = "offline"

    def __init__(self, domain, max_mutations: int = 3, search_steps: int = 0):
        self.domain = domain
        self.max_mutations = max(1, max_mutations)
        self.search_steps = max(0, search_steps)

    def propose_envs(self, request: EnvRequest, rng: np.random.Generator) -> list[Program]:
        """K mutants of the newest environment."""
        return [self._mutant(request.parent, request.iteration, rng) for _ in range(request.k)]

    def propose_policies(self, request: PolicyRequest, rng: np.random.Generator) -> list[Program]:
        """K hill-climbs (or plain mutants without a score) from the largest-weight policy."""
        steps = self.search_steps if request.steps is None else request.steps
        if request.score is None or steps == 0:
            return [self._mutant(request.parent, request.iteration, rng) for _ in range(request.k)]
        starts = (request.parent, *request.restarts)
        return [self._climb(request, starts[n % len(starts)], steps, rng) for n in range(request.k)]

    def _climb(self, request: PolicyRequest, start: Program, steps: int,
               rng: np.random.Generator) -> Program:
        best = self._mutant(start, request.iteration, rng)
        best_score = request.score(best)
        for step in range(steps):
            if best_score >= 1.0:
                break
            mutant = self._mutant(best, request.iteration, rng)
            score = request.score(mutant)
            if score >= best_score:
                best, best_score = mutant, score
        where = "" if start is request.parent else f" from archived {start.short}"
        return Program(best.kind, best.domain, best.source, parent=start.sha256,
                       origin=Origin("offline", None, request.iteration,
                                     f"hill-climb{where} to success {best_score:.2f}: {best.origin.note}"))

    def _mutant(self, parent: Program, iteration: int, rng: np.random.Generator) -> Program:
        program, notes = parent, []
        for _ in range(int(rng.integers(1, self.max_mutations + 1))):
            try:
                source, note = self.domain.mutate(program, rng)
            except ValueError as exc:  # not a program the domain's operators built
                try:
                    source, note = mutate_generic(program.source, rng)
                except ValueError as generic:
                    notes.append(f"operator refused: {exc}; {generic}")
                    break
            program = Program(parent.kind, parent.domain, source)
            notes.append(note)
        return Program(parent.kind, parent.domain, program.source, parent=parent.sha256,
                       origin=Origin("offline", None, iteration, "; ".join(notes)))
