"""Meta-solvers: pure functions from a payoff matrix to a mixture over its rows (policies).

Found by name in a registry or passed as any callable ``payoffs -> row mixture``, as in
OpenSpiel's PSRO meta-strategies: ``nash`` (the maximin mixture of the zero-sum game), ``uniform``
(every policy alike: UED-Uniform) and ``latest`` (the newest policy only: UED-Greedy).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from solvers.nash import nash as _nash
from solvers.payoffs import as_payoffs

MetaSolver = Callable[[np.ndarray], np.ndarray]
"""A function from a payoff matrix (rows: policies) to a mixture over its rows."""


def nash(payoffs) -> np.ndarray:
    """The row player's Nash mixture (solved with CBC)."""
    return _nash(payoffs).row_strategy


def uniform(payoffs) -> np.ndarray:
    """Equal weight on every row."""
    rows = as_payoffs(payoffs).shape[0]
    return np.full(rows, 1.0 / rows)


def latest(payoffs) -> np.ndarray:
    """All weight on the last row: the newest policy."""
    weights = np.zeros(as_payoffs(payoffs).shape[0])
    weights[-1] = 1.0
    return weights


META_SOLVERS: dict[str, MetaSolver] = {"nash": nash, "uniform": uniform, "latest": latest}
"""The meta-solvers known by name."""


def get_meta_solver(name_or_callable: str | MetaSolver) -> MetaSolver:
    """The meta-solver called ``name_or_callable``, or the callable itself.

    Raises:
        ValueError: An unknown name (the message lists the known ones).
        TypeError: Neither a string nor a callable.
    """
    if callable(name_or_callable):
        return name_or_callable
    if not isinstance(name_or_callable, str):
        raise TypeError(f"a meta-solver is a name or a callable payoffs -> row mixture; got "
                        f"{type(name_or_callable).__name__}")
    try:
        return META_SOLVERS[name_or_callable]
    except KeyError:
        raise ValueError(f"unknown meta-solver {name_or_callable!r}; known: "
                         f"{', '.join(sorted(META_SOLVERS))}, or pass a callable") from None
