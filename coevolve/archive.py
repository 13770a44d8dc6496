"""The archive of a run: environments and policies, their payoff matrix and its equilibrium.

No I/O: the recorder writes it, the evaluator fills its cells (:meth:`Archive.fill_unknown`
takes the evaluation as a function). The MSNE is solved here and only here
(:meth:`Archive.solve`), warm-started from the previous equilibrium since rows and columns are
only ever appended.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from solvers.meta import get_meta_solver
from solvers.nash import NashResult, nash

from coevolve.payoff import PayoffMatrix
from coevolve.program import Program
from coevolve.records import ArchiveEntry, IterationRecord, cell_entry


class Archive:
    """Programs (environments are columns, policies rows), level measures, payoffs, MSNE."""

    def __init__(self):
        self.envs: list[Program] = []
        self.policies: list[Program] = []
        self.measures: list[dict] = []
        """The level measures of each environment (from its feasibility check)."""
        self.payoffs = PayoffMatrix()
        self.msne: NashResult | None = None
        """The equilibrium of the complete matrix, once :meth:`solve` has run."""

    @classmethod
    def reload(cls, records: list[IterationRecord],
               program_of: Callable[[str, ArchiveEntry], Program],
               evaluate: Callable[[list], list]) -> "Archive":
        """The archive after ``records``: their programs (``program_of(kind, entry)``), every
        cell (``evaluate``; from the cache, normally) and the MSNE, warm-started from the last
        record's logged mixtures, as the uninterrupted run would have continued from them."""
        archive = cls()
        for record in records:
            if record.env:
                archive.add_env(program_of("env", record.env), record.iteration,
                                record.env.measures)
            if record.policy:
                archive.add_policy(program_of("policy", record.policy), record.iteration)
        if records:
            archive.fill_unknown(evaluate)
            last = records[-1]
            archive.solve(start=archive.logged_start(last.msne, last.env_mixture))
        return archive

    def add_env(self, program: Program, iteration: int, measures: dict | None = None) -> None:
        """Append an environment (a new column of unknown cells)."""
        self.envs.append(program)
        self.measures.append(measures or {})
        self.payoffs.add_env(f"env_{iteration:04d}")

    def add_policy(self, program: Program, iteration: int) -> None:
        """Append a policy (a new row of unknown cells)."""
        self.policies.append(program)
        self.payoffs.add_policy(f"policy_{iteration:04d}")

    def success(self, row: int, column: int) -> float:
        """The known success rate of policy ``row`` on environment ``column``."""
        return float(self.payoffs.values[row, column])

    def scores_of(self, policy: Program) -> dict:
        """Environment label -> the known success of an archived ``policy`` on it."""
        row = self.policies.index(policy)
        return {label: self.success(row, j) for j, label in enumerate(self.payoffs.env_labels)}

    def holds(self, program: Program) -> bool:
        """Whether an identical program of its kind is archived already."""
        archived = self.envs if program.kind == "env" else self.policies
        return program.sha256 in {p.sha256 for p in archived}

    def fill_unknown(self, evaluate: Callable[[list], list]) -> list[dict]:
        """Evaluate exactly the unknown cells with ``evaluate(pairs) -> cells``; returns their
        record entries."""
        unknown = self.payoffs.unknown()
        cells = evaluate([(self.policies[i], self.envs[j]) for i, j in unknown])
        entries = []
        for (i, j), cell in zip(unknown, cells):
            self.payoffs.set(i, j, cell.success_rate)
            entries.append(cell_entry(self.payoffs.policy_labels[i],
                                      self.payoffs.env_labels[j], cell))
        return entries

    def solve(self, start=None) -> NashResult:
        """Re-solve the MSNE of the complete matrix, warm-started from ``start`` or else from
        the previous equilibrium (``(row, column)`` mixtures over the leading rows and columns)."""
        if start is None and self.msne is not None:
            start = self.msne.strategies
        self.msne = nash(self.payoffs.complete(), start=start)
        return self.msne

    def logged_start(self, msne: dict, env_mixture: dict | None):
        """The ``start`` pair of :meth:`solve` from a record's logged mixtures (labels to
        weights); None if the record has no environment mixture."""
        if env_mixture is None:
            return None
        rows = np.array([msne.get(label, 0.0) for label in self.payoffs.policy_labels])
        columns = np.array([env_mixture.get(label, 0.0) for label in self.payoffs.env_labels])
        return rows, columns

    def mixture(self, meta_solver: str) -> np.ndarray:
        """The mixture over policies the designers answer: the MSNE's own for ``nash`` (already
        solved, warm-started), else the ``solvers.meta`` registry's."""
        if meta_solver == "nash":
            return self.msne.row_strategy
        return get_meta_solver(meta_solver)(self.payoffs.complete())

    def labelled(self, weights, kind: str = "policy") -> dict:
        """Label -> weight for a mixture over policies (or over environments)."""
        labels = self.payoffs.policy_labels if kind == "policy" else self.payoffs.env_labels
        return {label: float(w) for label, w in zip(labels, weights)}
