"""Large zero-sum games by restricted-game growth (double oracle), certified on the full matrix.

An equilibrium of the game restricted to rows ``R`` and columns ``C`` is one of the full game
exactly when no row outside ``R`` earns more against its ``y``, and no column outside ``C``
concedes less to its ``x``, than the restricted best responses do. So:

1. Start from candidate rows and columns. Warm: from a start pair, e.g. the previous
   equilibrium when the game grew by appended rows and columns; it is checked first (step 3,
   with no LP solved), and its supports plus the strategies that beat it are the candidates.
   Cold: the strategies that regret matching's approximate equilibrium
   (:mod:`solvers.regret`) rates within ``SEED_MARGIN`` times its gap of the best.
2. Solve the restricted game exactly with the caller's solver.
3. Against its equilibrium, compute every row's ``(A y)_i`` and every column's ``(x^T A)_j``
   on the full matrix. The certificate: ``max_i (A y)_i - min_j (x^T A)_j <= tolerance``.
   If it holds, the pair is returned.
4. Otherwise add the rows and columns that beat the restricted best responses, largest
   improvement first, at most ``max(BATCH_MIN, GROWTH * |R|)`` rows (and likewise columns) a
   round, and go back to 2. After ``max_rounds`` restricted games without a certificate the
   search gives up and returns None, so that the caller solves the full LP instead.

A round that fails the certificate always adds a strategy (the restricted gap is within the
tolerance, so an outside row or column must beat it), so the search ends, at worst with the
full game. Pure numpy apart from the solver passed in; nothing here is random.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from solvers.payoffs import as_mixture
from solvers.regret import regret_matching

SEED_ITERATIONS = 2000
"""The most regret-matching iterations spent guessing the supports."""

SEED_TARGET_GAP = 1e-5
"""Regret matching stops once its pair's gap is this small (relative to ``max(1, max |A|)``)."""

SEED_MARGIN = 100.0
"""Strategies within this many regret-matching gaps of the best response are candidates."""

SEED_SHARE = 0.6
"""At most this share of each side's strategies (the best by regret matching's payoffs) seed the
first restricted game: on a large dense game, whose margin admits nearly everything, the first
LP stays well below the full one (a uniform random game's supports hold about half)."""

BATCH_MIN = 8
"""The fewest improving rows (and columns) added in one round, when that many improve."""

GROWTH = 0.25
"""At most this fraction of the restricted game's rows (columns) is added in one round."""

MAX_ROUNDS = 60
"""Restricted games solved before giving up on the certificate."""

RestrictedSolver = Callable[[np.ndarray], Any]
"""Solves a (sub)matrix game exactly; returns an object with ``row_strategy`` and
``column_strategy`` mixtures (e.g. a :class:`solvers.nash.NashResult`)."""


@dataclass(frozen=True, eq=False)
class OracleResult:
    """A certified equilibrium of the full game found through restricted games.

    Attributes:
        row_strategy: The restricted row mixture, zero outside ``rows``.
        column_strategy: The restricted column mixture, zero outside ``columns``.
        gap: Its exploitability on the full matrix (within the tolerance asked for).
        rows: Rows of the last restricted game (the start pair's support if none).
        columns: Its columns.
        rounds: Restricted games solved (0: the start pair was certified as it was).
        restricted: What the solver returned for the last restricted game (None if none).
    """

    row_strategy: np.ndarray
    column_strategy: np.ndarray
    gap: float
    rows: tuple[int, ...]
    columns: tuple[int, ...]
    rounds: int
    restricted: Any


def double_oracle(payoffs: np.ndarray, solve: RestrictedSolver, tolerance: float,
                  start=None, max_rounds: int = MAX_ROUNDS) -> OracleResult | None:
    """An equilibrium of ``payoffs`` with full-matrix gap <= ``tolerance``, or None.

    Args:
        payoffs: A finite 2-D float array (rows maximise).
        solve: Exact solver for restricted games (see ``RestrictedSolver``).
        tolerance: Largest accepted gap on the full matrix, in payoff units.
        start: Optional ``(x, y)`` mixtures to start from (see :func:`padded_start`) instead
            of regret matching's guess.
        max_rounds: Restricted games to try before giving up.

    Returns:
        The certified pair, or None if ``max_rounds`` restricted games did not reach it.

    Raises:
        ValueError: A malformed start pair.
    """
    if start is None:
        rows, columns = seed_support(payoffs)
    else:
        x, y = padded_start(start, payoffs.shape)
        rows, columns = np.flatnonzero(x), np.flatnonzero(y)
        pair_gap, row_gains, column_gains = _exploitability(payoffs, x, y)
        if pair_gap <= tolerance:
            return OracleResult(x, y, pair_gap, _indices(rows), _indices(columns), 0, None)
        rows, columns = _grown(rows, row_gains), _grown(columns, column_gains)
    for rounds in range(1, max_rounds + 1):
        restricted = solve(payoffs[np.ix_(rows, columns)])
        x, y = np.zeros(payoffs.shape[0]), np.zeros(payoffs.shape[1])
        x[rows], y[columns] = restricted.row_strategy, restricted.column_strategy
        pair_gap, row_gains, column_gains = _exploitability(payoffs, x, y)
        if pair_gap <= tolerance:
            return OracleResult(x, y, pair_gap, _indices(rows), _indices(columns), rounds,
                                restricted)
        rows, columns = _grown(rows, row_gains), _grown(columns, column_gains)
    return None


def seed_support(payoffs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Candidate rows and columns from regret matching's approximate equilibrium.

    Rows whose payoff against its ``y`` is within ``SEED_MARGIN`` gaps of the best, and columns
    likewise against its ``x`` (the best responses always among them); of those, at most the
    best ``SEED_SHARE`` of each side.
    """
    scale = max(1.0, float(np.abs(payoffs).max()))
    x, y, pair_gap = regret_matching(payoffs, SEED_ITERATIONS, SEED_TARGET_GAP * scale)
    margin = max(SEED_MARGIN * pair_gap, 1e-12 * scale)
    row_gains, column_gains = payoffs @ y, -(x @ payoffs)
    return _best_within(row_gains, margin), _best_within(column_gains, margin)


def _best_within(gains: np.ndarray, margin: float) -> np.ndarray:
    """Indices whose gain is within ``margin`` of the best, at most ``SEED_SHARE`` of them
    (the best first), sorted."""
    within = np.flatnonzero(gains >= gains.max() - margin)
    cap = max(BATCH_MIN, int(np.ceil(SEED_SHARE * gains.size)))
    if within.size > cap:
        within = within[np.argsort(-gains[within], kind="stable")[:cap]]
    return np.sort(within)


def padded_start(start, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """``start = (x, y)`` as mixtures over all of ``shape``'s rows and columns.

    Each mixture may be shorter than its side: it then covers the leading rows (columns), and
    the rest, appended since, get weight 0.

    Raises:
        ValueError: Not a pair of mixtures, or one longer than its side.
    """
    try:
        x, y = start
    except (TypeError, ValueError):
        raise ValueError("a start is a pair (row mixture, column mixture)") from None
    padded = []
    for weights, size, side in ((x, shape[0], "row"), (y, shape[1], "column")):
        vector = np.asarray(weights, dtype=float)
        if vector.ndim != 1 or not 0 < vector.size <= size:
            raise ValueError(f"the start {side} mixture must be 1-D with 1 to {size} weights; "
                             f"got shape {vector.shape}")
        vector = as_mixture(np.pad(vector, (0, size - vector.size)), size,
                            f"start {side} mixture")
        padded.append(np.clip(vector, 0.0, None) / np.clip(vector, 0.0, None).sum())
    return padded[0], padded[1]


def _exploitability(payoffs: np.ndarray, x: np.ndarray, y: np.ndarray):
    """The certificate of ``(x, y)`` on every row and column: ``(gap, A y, -(x^T A))``.

    The last two are each player's payoff per pure strategy, oriented so larger is better.
    """
    row_payoffs, column_payoffs = payoffs @ y, x @ payoffs
    return (max(0.0, float(row_payoffs.max() - column_payoffs.min())), row_payoffs,
            -column_payoffs)


def _indices(chosen: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in chosen)


def _grown(chosen: np.ndarray, gains: np.ndarray) -> np.ndarray:
    """``chosen`` plus the outside indices whose ``gains`` beat the best inside, best first.

    ``gains`` is oriented so that larger is better for the player: ``A y`` for rows,
    ``-(x^T A)`` for columns.
    """
    outside = np.ones(gains.size, dtype=bool)
    outside[chosen] = False
    candidates = np.flatnonzero(outside & (gains > gains[chosen].max()))
    batch = max(BATCH_MIN, int(np.ceil(GROWTH * chosen.size)))
    best = candidates[np.argsort(-gains[candidates], kind="stable")[:batch]]
    return np.union1d(chosen, best)
