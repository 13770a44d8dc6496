"""The payoff matrix of a run: grows by a row (policy) and a column (environment).

Unknown cells are NaN; :meth:`PayoffMatrix.unknown` lists exactly the cells still to evaluate,
so a run never recomputes a known cell.
"""
from __future__ import annotations

import numpy as np

from coevolve.matrix_io import load_matrix, save_matrix_csv


class PayoffMatrix:
    """Success rates: rows are policies, columns are environments, NaN where unknown."""

    def __init__(self, policy_labels=(), env_labels=(), values=None):
        self.policy_labels = list(policy_labels)
        self.env_labels = list(env_labels)
        shape = (len(self.policy_labels), len(self.env_labels))
        self.values = np.full(shape, np.nan) if values is None else np.array(values, dtype=float)
        if self.values.shape != shape:
            raise ValueError(f"payoff values have shape {self.values.shape}, labels say {shape}")

    @property
    def shape(self) -> tuple[int, int]:
        """(policies, environments)."""
        return self.values.shape

    def add_policy(self, label: str) -> int:
        """Append a row of unknown cells; returns its index."""
        self.policy_labels.append(label)
        self.values = np.vstack([self.values, np.full((1, self.values.shape[1]), np.nan)])
        return len(self.policy_labels) - 1

    def add_env(self, label: str) -> int:
        """Append a column of unknown cells; returns its index."""
        self.env_labels.append(label)
        self.values = np.hstack([self.values, np.full((self.values.shape[0], 1), np.nan)])
        return len(self.env_labels) - 1

    def unknown(self) -> list[tuple[int, int]]:
        """(row, column) of every cell not yet evaluated."""
        return [tuple(map(int, cell)) for cell in np.argwhere(np.isnan(self.values))]

    def set(self, row: int, column: int, value: float) -> None:
        """Fill one cell."""
        self.values[row, column] = value

    def complete(self) -> np.ndarray:
        """The values, which must all be known (for the meta-solver)."""
        if np.isnan(self.values).any():
            raise ValueError(f"payoff matrix still has {len(self.unknown())} unknown cells")
        return self.values.copy()

    def save_csv(self, path: str) -> None:
        """Write as labelled CSV (atomically)."""
        save_matrix_csv(path, self.values, self.policy_labels, self.env_labels)

    @classmethod
    def load_csv(cls, path: str) -> "PayoffMatrix":
        """Read a labelled CSV written by :meth:`save_csv`."""
        values, rows, columns = load_matrix(path, allow_nan=True)
        return cls(rows, columns, values)
