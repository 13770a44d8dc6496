"""Regret matching+ on a zero-sum matrix game: an approximate equilibrium from matrix products alone.

Each player keeps, per pure strategy, the clipped cumulative regret of not having played it, and
plays in proportion to it (Tammelin's RM+); the players update in turn, and the returned pair is
the average of the iterates weighted by iteration number, as in CFR+. It needs two
matrix-vector products per iteration and no solver, so it runs on games far too large for the
LP; its pair is only approximate (its gap is returned with it), which is what
:mod:`solvers.oracle` needs to guess the supports. The products are taken in single precision
(several times faster on large matrices; the guess needs no more), the gap of the averaged
pair in double. Deterministic: no randomness is drawn.
"""
from __future__ import annotations

import numpy as np

from solvers.metrics import gap


def regret_matching(payoffs: np.ndarray, iterations: int, target_gap: float = 0.0,
                    check_every: int = 50) -> tuple[np.ndarray, np.ndarray, float]:
    """Average strategies of alternating RM+ on ``payoffs`` (rows maximise).

    Args:
        payoffs: A finite 2-D float array.
        iterations: The most iterations to run (at least one).
        target_gap: Stop early once the averaged pair's exploitability is at most this.
        check_every: Iterations between checks of the averaged pair's gap.

    Returns:
        ``(x, y, gap)``: the averaged row and column mixtures and their exploitability.
    """
    rows, columns = payoffs.shape
    single = payoffs.astype(np.float32)
    row_regret, column_regret = np.zeros(rows), np.zeros(columns)
    x, y = np.full(rows, 1.0 / rows), np.full(columns, 1.0 / columns)
    x_sum, y_sum = np.zeros(rows), np.zeros(columns)
    for t in range(1, iterations + 1):
        row_payoffs = (single @ y.astype(np.float32)).astype(float)
        row_regret = np.maximum(row_regret + row_payoffs - x @ row_payoffs, 0.0)
        x = _proportional(row_regret, x)
        x_sum += t * x
        column_payoffs = (x.astype(np.float32) @ single).astype(float)
        column_regret = np.maximum(column_regret - column_payoffs + column_payoffs @ y, 0.0)
        y = _proportional(column_regret, y)
        y_sum += t * y
        if t % check_every == 0 or t == iterations:
            x_mean, y_mean = x_sum / x_sum.sum(), y_sum / y_sum.sum()
            pair_gap = gap(payoffs, x_mean, y_mean)
            if pair_gap <= target_gap:
                break
    return x_mean, y_mean, pair_gap


def _proportional(regret: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """The mixture proportional to ``regret``; ``previous`` when no regret is positive."""
    total = regret.sum()
    return regret / total if total > 0 else previous
