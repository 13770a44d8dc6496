"""Best-response values and the exploitability gap of a strategy pair in a zero-sum game.

The row player (policies) maximises ``x^T A y``; the column player (environments) minimises it.
"""
from __future__ import annotations

import numpy as np

from solvers.payoffs import as_mixture, as_payoffs


def row_best_response_value(payoffs, column_strategy) -> float:
    """The most any single row earns against ``column_strategy``: ``max_i (A y)_i``."""
    array = as_payoffs(payoffs)
    y = as_mixture(column_strategy, array.shape[1], "column strategy")
    return float(np.max(array @ y))


def column_best_response_value(payoffs, row_strategy) -> float:
    """The least ``row_strategy`` earns against any single column: ``min_j (x^T A)_j``."""
    array = as_payoffs(payoffs)
    x = as_mixture(row_strategy, array.shape[0], "row strategy")
    return float(np.min(x @ array))


def gap(payoffs, row_strategy, column_strategy) -> float:
    """Exploitability of the pair ``(x, y)``: how much both players gain by best-responding.

    ``gap = (max_i (A y)_i - x^T A y) + (x^T A y - min_j (x^T A)_j)``: the row player's gain
    from deviating to its best pure response against ``y``, plus the column player's. Each term
    is >= 0, so the gap is >= 0, and it is 0 exactly when ``(x, y)`` is a Nash equilibrium
    (a rounding error below 0 is returned as 0).
    The ``x^T A y`` terms cancel, leaving ``max_i (A y)_i - min_j (x^T A)_j``: the gap is the
    sum of each strategy's own distance from optimal, and can be reduced one player at a time.

    Args:
        payoffs: The payoff matrix ``A`` (rows maximise).
        row_strategy: Mixture ``x`` over rows.
        column_strategy: Mixture ``y`` over columns.
    """
    difference = (row_best_response_value(payoffs, column_strategy)
                  - column_best_response_value(payoffs, row_strategy))
    return max(0.0, difference)  # the two terms may cross by a rounding error at equilibrium
