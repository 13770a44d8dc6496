"""Checks on the arrays every meta-solver takes: a payoff matrix and mixed strategies.

Rows of a payoff matrix are the maximising player's pure strategies (policies), columns the
minimising player's (environments). Any finite real matrix is a valid game.
"""
from __future__ import annotations

import numpy as np

MIXTURE_TOLERANCE = 1e-6
"""How far a mixed strategy may be from non-negative with unit sum and still be accepted."""


def as_payoffs(payoffs) -> np.ndarray:
    """Return ``payoffs`` as a 2-D float array, or raise ``ValueError`` saying what is wrong.

    Args:
        payoffs: A 2-D array-like of real numbers, at least one row and one column.
    """
    try:
        array = np.asarray(payoffs, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"payoffs must be a 2-D array of real numbers: {exc}") from None
    if array.ndim != 2:
        raise ValueError(f"payoffs must be a 2-D array (rows: policies, columns: "
                         f"environments); got {array.ndim} dimension(s), shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"payoffs must have at least one row and one column; got shape "
                         f"{array.shape}")
    bad = ~np.isfinite(array)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(f"payoffs must be finite; {int(bad.sum())} cell(s) are NaN or "
                         f"infinite, the first at row {i}, column {j} ({array[i, j]}); "
                         f"evaluate or drop those cells first")
    return array


def as_mixture(strategy, size: int, name: str) -> np.ndarray:
    """Return ``strategy`` as a probability vector of length ``size``, or raise ``ValueError``.

    Args:
        strategy: Weights over pure strategies: non-negative, summing to one (within
            ``MIXTURE_TOLERANCE``).
        size: The number of pure strategies it must cover.
        name: What to call it in error messages, e.g. ``"row strategy"``.
    """
    vector = np.asarray(strategy, dtype=float)
    if vector.shape != (size,):
        raise ValueError(f"{name} must have shape ({size},) to match the payoffs; "
                         f"got shape {vector.shape}")
    if not np.isfinite(vector).all():
        raise ValueError(f"{name} must be finite; got {vector}")
    if vector.min() < -MIXTURE_TOLERANCE or abs(vector.sum() - 1.0) > MIXTURE_TOLERANCE:
        raise ValueError(f"{name} must be non-negative and sum to 1; got minimum "
                         f"{vector.min():.3g} and sum {vector.sum():.9g}")
    return vector
