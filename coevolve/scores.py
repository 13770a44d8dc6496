"""How well a mixture over the policy archive does on the environment archive."""
from __future__ import annotations

import numpy as np


def archive_success(payoffs: np.ndarray, mixture: np.ndarray) -> np.ndarray:
    """Expected success of ``mixture`` (over rows) on every environment (column)."""
    return np.asarray(mixture, dtype=float) @ np.asarray(payoffs, dtype=float)


def strategy_mixtures(n_policies: int, msne: np.ndarray) -> dict[str, np.ndarray]:
    """The three strategies of the paper: UED-Greedy, UED-Uniform and COvolve (MSNE)."""
    greedy = np.zeros(n_policies)
    greedy[-1] = 1.0
    return {"greedy": greedy, "uniform": np.full(n_policies, 1.0 / n_policies),
            "msne": np.asarray(msne, dtype=float)}


def archive_scores(payoffs: np.ndarray, msne: np.ndarray) -> dict[str, dict[str, float]]:
    """Worst-case and mean archive success of greedy, uniform and MSNE mixtures."""
    scores = {}
    for name, mixture in strategy_mixtures(payoffs.shape[0], msne).items():
        per_env = archive_success(payoffs, mixture)
        scores[name] = {"worst": float(per_env.min()), "mean": float(per_env.mean())}
    return scores
