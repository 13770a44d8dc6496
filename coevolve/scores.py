"""How well a mixture over the policy archive does on the environment archive."""
from __future__ import annotations

import numpy as np
from solvers.meta import get_meta_solver

BASELINES = {"greedy": "latest", "uniform": "uniform"}
"""The paper's baselines by the meta-solver that gives their mixture: UED-Greedy, UED-Uniform."""


def archive_success(payoffs: np.ndarray, mixture: np.ndarray) -> np.ndarray:
    """Expected success of ``mixture`` (over rows) on every environment (column)."""
    return np.asarray(mixture, dtype=float) @ np.asarray(payoffs, dtype=float)


def strategy_mixtures(n_policies: int, msne: np.ndarray) -> dict[str, np.ndarray]:
    """The three strategies of the paper: UED-Greedy, UED-Uniform and COvolve (MSNE)."""
    rows = np.zeros((n_policies, 1))  # latest and uniform read only the number of policies
    mixtures = {name: get_meta_solver(solver)(rows) for name, solver in BASELINES.items()}
    return {**mixtures, "msne": np.asarray(msne, dtype=float)}


def archive_scores(payoffs: np.ndarray, msne: np.ndarray) -> dict[str, dict[str, float]]:
    """Worst-case and mean archive success of greedy, uniform and MSNE mixtures."""
    scores = {}
    for name, mixture in strategy_mixtures(payoffs.shape[0], msne).items():
        per_env = archive_success(payoffs, mixture)
        scores[name] = {"worst": float(per_env.min()), "mean": float(per_env.mean())}
    return scores
