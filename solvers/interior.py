"""Large restricted games solved without a simplex: a dense interior point, then the exact supports.

A simplex LP solver (CBC, HiGHS) on a dense ``k x k`` game pivots on the order of ``k`` times,
each over all ``k^2`` entries; past ``k`` of about a thousand that takes minutes to hours. An
interior point needs a few dozen Newton steps whatever ``k`` is, each one dense matrix product
and Cholesky factorisation (``O(k^3)`` flops in LAPACK), and it converges to the *centre* of the
optimal face, where every strategy in some equilibrium's support has weight well above its
slack: the supports can be read off. The exact equilibrium on those supports then solves a
linear system:

    A[S, T]^T x_S = v 1,  1^T x_S = 1     and     A[S, T] y_T = v 1,  1^T y_T = 1.

The LP, on ``B = A - min(A) + 1`` (all entries >= 1, same strategies, value shifted by a
constant, so the value is positive), is the classic ``min 1^T u  s.t.  B^T u >= 1, u >= 0``
with ``x = u / 1^T u``; its dual ``max 1^T w  s.t.  B w <= 1, w >= 0`` gives ``y = w / 1^T w``.
It is solved by Mehrotra's predictor-corrector method on the standard form
``B^T u - s = 1`` with ``u, s >= 0``.

Nothing here certifies anything: :func:`interior_point_equilibrium` returns candidates (the
exact support solution when it exists, the interior point's own strategies otherwise) and the
caller checks them on the full matrix (:mod:`solvers.oracle`, :mod:`solvers.nash`).
Deterministic; pure numpy.
"""
from __future__ import annotations

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from scipy.linalg.blas import dsyrk

MAX_ITERATIONS = 80
"""Newton steps before the interior point stops, converged or not."""

TARGET_GAP = 1e-10
"""Relative duality gap at which the interior point stops (with residuals within ``RESIDUAL``)."""

RESIDUAL = 1e-9
"""Largest primal and dual residual of a converged iterate (the constraints' right sides are 1)."""

STEP_FRACTION = 0.995
"""Fraction of the largest step to the boundary that each iteration takes."""


def interior_point_equilibrium(payoffs: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Candidate equilibria of ``payoffs`` (rows maximise), best first.

    The first is the exact solution on the supports the interior point identifies (when that
    linear system is square, non-singular and its solution non-negative); the last is the
    interior point's own normalised pair. The caller keeps the first that certifies.
    """
    u, slack, w, u_dual = _interior_point(payoffs - payoffs.min() + 1.0)
    x, y = u / u.sum(), w / w.sum()
    candidates = []
    exact = support_solution(payoffs, np.flatnonzero(u > u_dual), np.flatnonzero(w > slack))
    if exact is not None:
        candidates.append(exact)
    candidates.append((x, y))
    return candidates


def support_solution(payoffs: np.ndarray, rows: np.ndarray, columns: np.ndarray):
    """The equilibrium whose supports are exactly ``rows`` and ``columns``, or None.

    None when the supports differ in size, the system is singular, or a weight comes out
    negative: then no equilibrium of this game has these supports in the generic way.
    """
    k = rows.size
    if k == 0 or k != columns.size:
        return None
    block = payoffs[np.ix_(rows, columns)]
    mixtures = []
    for matrix in (block.T, block):
        system = np.zeros((k + 1, k + 1))
        system[:k, :k], system[:k, k], system[k, :k] = matrix, -1.0, 1.0
        target = np.zeros(k + 1)
        target[k] = 1.0
        try:
            solution = np.linalg.solve(system, target)
        except np.linalg.LinAlgError:
            return None
        if not np.all(np.isfinite(solution)) or solution[:k].min() < 0.0:
            return None
        mixtures.append(solution[:k])
    x, y = np.zeros(payoffs.shape[0]), np.zeros(payoffs.shape[1])
    x[rows], y[columns] = mixtures
    return x / x.sum(), y / y.sum()


def _interior_point(shifted: np.ndarray):
    """Mehrotra's method on ``min 1^T u s.t. B^T u - s = 1, u, s >= 0`` with ``B = shifted``.

    The dual is ``max 1^T w s.t. B w + r = 1, w, r >= 0``; complementarity pairs ``u`` with
    ``r`` and ``s`` with ``w``. Each Newton step solves, for ``dw``, the normal equations
    ``(B^T diag(u / r) B + diag(s / w)) dw = ...`` by one Cholesky factorisation, shared by the
    predictor and the corrector. Returns ``(u, s, w, r)`` at the last iterate.
    """
    rows, columns = shifted.shape
    u, w = np.full(rows, 1.0 / rows), np.full(columns, 1.0 / columns)
    s = np.abs(u @ shifted - 1.0) + 1.0
    r = np.abs(1.0 - shifted @ w) + 1.0
    for _ in range(MAX_ITERATIONS):
        primal_residual = 1.0 - (u @ shifted - s)
        dual_residual = 1.0 - shifted @ w - r
        mu = (u @ r + s @ w) / (rows + columns)
        primal, dual = u.sum(), w.sum()
        if (abs(primal - dual) <= TARGET_GAP * (1.0 + abs(primal))
                and np.abs(primal_residual).max() <= RESIDUAL
                and np.abs(dual_residual).max() <= RESIDUAL):
            break
        try:
            factor = _normal_factor(shifted, u / r, s / w)
        except np.linalg.LinAlgError:  # the scalings have grown past double precision
            break
        step = _newton_step(shifted, factor, u, s, w, r, primal_residual, dual_residual,
                            -u * r, -s * w)
        primal_step, dual_step = _step_lengths(u, s, w, r, step, 1.0)
        affine_mu = ((u + primal_step * step[0]) @ (r + dual_step * step[3])
                     + (s + primal_step * step[1]) @ (w + dual_step * step[2])) / (rows + columns)
        centring = (affine_mu / mu) ** 3
        step = _newton_step(shifted, factor, u, s, w, r, primal_residual, dual_residual,
                            centring * mu - u * r - step[0] * step[3],
                            centring * mu - s * w - step[1] * step[2])
        primal_step, dual_step = _step_lengths(u, s, w, r, step, STEP_FRACTION)
        u, s = u + primal_step * step[0], s + primal_step * step[1]
        w, r = w + dual_step * step[2], r + dual_step * step[3]
    return u, s, w, r


def _normal_factor(shifted: np.ndarray, row_scale: np.ndarray, column_scale: np.ndarray):
    """Cholesky factorisation of ``B^T diag(row_scale) B + diag(column_scale)``.

    The product is BLAS's symmetric rank-k update (half the flops of a general product); it fills
    the upper triangle, which is what the factorisation reads.
    """
    scaled = np.asfortranarray(shifted * np.sqrt(row_scale)[:, None])
    normal = dsyrk(1.0, scaled, trans=1)
    normal[np.diag_indices_from(normal)] += column_scale
    return cho_factor(normal, lower=False, overwrite_a=True)


def _newton_step(shifted, factor, u, s, w, r, primal_residual, dual_residual,
                 complement_u, complement_s):
    """``(du, ds, dw, dr)`` of the Newton system with the given complementarity targets."""
    right = (primal_residual - ((complement_u - u * dual_residual) / r) @ shifted
             + complement_s / w)
    dw = cho_solve(factor, right)
    dr = dual_residual - shifted @ dw
    du = (complement_u - u * dr) / r
    ds = (complement_s - s * dw) / w
    return du, ds, dw, dr


def _step_lengths(u, s, w, r, step, fraction: float) -> tuple[float, float]:
    """The primal and dual step lengths: ``fraction`` of the way to the boundary, at most 1."""
    return (min(1.0, fraction * _to_boundary((u, s), step[:2])),
            min(1.0, fraction * _to_boundary((w, r), step[2:])))


def _to_boundary(values, directions) -> float:
    """The largest ``a`` with every ``value + a * direction >= 0`` (inf if nothing shrinks)."""
    ratios = [-value[direction < 0] / direction[direction < 0]
              for value, direction in zip(values, directions)]
    return min((float(ratio.min()) for ratio in ratios if ratio.size), default=np.inf)
