"""Mixed-strategy Nash equilibrium of a two-player zero-sum matrix game, by linear programming.

The row player (policies) maximises, the column player (environments) minimises. The row
player's LP, built with PuLP and solved by CBC (default) or HiGHS::

    maximise v  subject to  sum_i x_i A[i, j] >= v  for every column j,  sum_i x_i = 1,  x >= 0.

The column player's mixture comes from the duals of the column constraints. Solvers return
solutions to their own tolerances (CBC also writes them with limited precision), so each
strategy is polished: the LP's equalities on the found support are re-solved with numpy, and
the better of the raw and polished strategy is kept. If the pair is still not an equilibrium to
``TOLERANCE``, the column player's own LP is solved. A solver is never swapped silently: a
missing one raises :class:`SolverUnavailableError`.

The pipeline is public so that benchmarks time its stages: :func:`build_row_lp`,
:func:`solve_row_lp`, :func:`equilibrium`; :func:`full_nash` runs all three.

Large games are solved the same way, one restricted game at a time: :func:`nash` with
``method="oracle"`` (chosen by ``"auto"`` from ``AUTO_CELLS`` cells on) hands
:func:`full_nash` to :func:`solvers.oracle.double_oracle`, which grows a restricted game until
its equilibrium is certified on every row and column of the full matrix; if it is not within
the round limit, the full LP is solved instead, and the result says so. Restricted games above
``SIMPLEX_CELLS`` cells, where a simplex takes minutes to hours, go to the dense interior point
of :mod:`solvers.interior` (the LP solver takes over if its pair does not certify); the result's
``solver`` names what solved the last restricted game.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pulp

from solvers.interior import interior_point_equilibrium
from solvers.metrics import gap
from solvers.oracle import MAX_ROUNDS, double_oracle
from solvers.payoffs import as_payoffs

SOLVERS = ("cbc", "highs")
"""Names accepted by :func:`nash`: ``cbc`` (PuLP's bundled CBC binary) and ``highs`` (highspy)."""

METHODS = ("auto", "full", "oracle")
"""Ways :func:`nash` may solve a game: ``full`` (one LP over the whole matrix), ``oracle``
(restricted games, see :mod:`solvers.oracle`), ``auto`` (``oracle`` from ``AUTO_CELLS`` on)."""

AUTO_CELLS = 400 * 400
"""Payoff cells from which ``method="auto"`` uses the oracle (``coevolve bench nash``: at
300 x 300 the full LP still takes less CPU time, at 1000 x 1000 about four times more)."""

SIMPLEX_CELLS = 300 * 300
"""Restricted games of up to this many cells are solved by the LP solver, larger ones by the
interior point first (on random games the interior point took 0.07 s at 200 x 200 against CBC's
0.5 s, and 0.65 s at 600 x 600 against 8.2 s; every game the loop solves is far smaller)."""

INTERIOR_POINT = "interior-point"
"""The ``solver`` of a result whose last restricted game :mod:`solvers.interior` solved."""

TOLERANCE = 1e-7
"""Largest accepted exploitability gap, relative to ``max(1, max |A|)``."""

_SUPPORT_THRESHOLD = 1e-9
"""Weights at or below this (on payoffs scaled to max |A| = 1) are treated as zero by polishing."""

_TIGHT_THRESHOLD = 1e-7
"""Constraints with slack at or below this (scaled payoffs) count as binding when polishing."""

LP_TOLERANCE = 1e-10
"""Primal and dual feasibility tolerance asked of the LP solvers (their defaults are 1e-7, with
which CBC at 300 x 300 and up sometimes ends on a near-optimal basis with the wrong support)."""


class SolverUnavailableError(RuntimeError):
    """The requested LP solver cannot run here; the message says how to install it."""


@dataclass(frozen=True, eq=False)
class NashResult:
    """A mixed-strategy Nash equilibrium of a zero-sum matrix game.

    The strategies are read-only arrays; results compare by identity.

    Attributes:
        row_strategy: Mixture over rows (policies), the maximiser.
        column_strategy: Mixture over columns (environments), the minimiser.
        value: The game value ``x^T A y`` of the returned pair.
        row_support: Indices of rows with positive weight.
        column_support: Indices of columns with positive weight.
        solver: Name of the PuLP solver that solved the LP (``PULP_CBC_CMD`` or ``HiGHS``), or
            ``interior-point`` (``INTERIOR_POINT``) for an oracle whose last restricted game was
            above ``SIMPLEX_CELLS``; for an oracle start pair certified as it was, the solver
            that was asked for.
        gap: Exploitability of the pair (see :func:`solvers.metrics.gap`).
        method: What found the pair: ``full`` (the LP of the whole matrix) or ``oracle``.
        rounds: Restricted games the oracle solved (0 if it was not tried, or if its start
            pair was certified as it was).
        fallback: The oracle was tried, did not certify a pair, and the full LP solved it.
    """

    row_strategy: np.ndarray
    column_strategy: np.ndarray
    value: float
    row_support: tuple[int, ...]
    column_support: tuple[int, ...]
    solver: str
    gap: float
    method: str = "full"
    rounds: int = 0
    fallback: bool = False

    @property
    def strategies(self) -> tuple[np.ndarray, np.ndarray]:
        """``(row_strategy, column_strategy)``: a warm start for :func:`nash` on a grown game."""
        return self.row_strategy, self.column_strategy


@dataclass(frozen=True, eq=False)
class RowLp:
    """The maximiser's LP for a payoff matrix scaled to max |A| = 1.

    Attributes:
        problem: The PuLP problem.
        weights: One variable per row: the mixture ``x``.
        column_constraints: One constraint per column: ``sum_i x_i A[i, j] - v >= 0``.
    """

    problem: pulp.LpProblem
    weights: tuple[pulp.LpVariable, ...]
    column_constraints: tuple[pulp.LpConstraint, ...]


@dataclass(frozen=True, eq=False)
class LpSolution:
    """What a solver returned for a :class:`RowLp`: a row mixture and normalised column duals.

    Attributes:
        row_strategy: The LP's ``x``, clipped at 0 and normalised.
        column_duals: Absolute duals of the column constraints, normalised to sum 1 (all zero
            if the solver returned no usable duals).
        solver: Name of the PuLP solver that solved it.
    """

    row_strategy: np.ndarray
    column_duals: np.ndarray
    solver: str


def make_solver(name: str) -> pulp.LpSolver:
    """The quiet PuLP solver called ``name`` (see ``SOLVERS``), checked to be able to run.

    Raises:
        ValueError: ``name`` is not in ``SOLVERS``.
        SolverUnavailableError: The solver is not installed or cannot run.
    """
    if name == "cbc":
        solver_class = getattr(pulp, "PULP_CBC_CMD", None)
        if solver_class is None:
            raise SolverUnavailableError(
                f"CBC is not available: PuLP {pulp.__version__} no longer bundles CBC "
                f"(PULP_CBC_CMD); install a PuLP that does with pip install 'pulp>=3.3,<4', "
                f"or use --solver highs")
        solver = solver_class(msg=False, options=[f"primalTolerance {LP_TOLERANCE}",
                                                  f"dualTolerance {LP_TOLERANCE}"])
        if not solver.available():
            raise SolverUnavailableError(
                f"CBC is not available: PuLP's bundled binary {solver.path} is missing or not "
                f"executable; reinstall PuLP with pip install --force-reinstall 'pulp>=3.3,<4', "
                f"or use --solver highs")
        return solver
    if name == "highs":
        solver = pulp.HiGHS(msg=False, primal_feasibility_tolerance=LP_TOLERANCE,
                            dual_feasibility_tolerance=LP_TOLERANCE)
        if not solver.available():
            raise SolverUnavailableError(
                "HiGHS is not available: install its Python bindings with pip install highspy, "
                "or use --solver cbc")
        return solver
    raise ValueError(f"unknown LP solver {name!r}; choose one of {', '.join(SOLVERS)}")


def build_row_lp(payoffs) -> RowLp:
    """Build the row player's LP for ``payoffs`` (scaled to max |A| = 1; zeros skipped)."""
    array = _scaled(as_payoffs(payoffs))
    problem = pulp.LpProblem("row_player", pulp.LpMaximize)
    weights = tuple(problem.add_variable(f"x{i}", lowBound=0) for i in range(array.shape[0]))
    value = problem.add_variable("v")
    problem.setObjective(pulp.LpAffineExpression([(value, 1.0)]))
    problem.addConstraint(pulp.LpConstraint(
        pulp.LpAffineExpression([(w, 1.0) for w in weights]),
        sense=pulp.LpConstraintEQ, rhs=1.0, name="mixture"))
    constraints = []
    for j, column in enumerate(array.T.tolist()):
        terms = [(w, a) for w, a in zip(weights, column) if a != 0.0]
        terms.append((value, -1.0))
        constraint = pulp.LpConstraint(pulp.LpAffineExpression(terms),
                                       sense=pulp.LpConstraintGE, rhs=0.0, name=f"c{j}")
        problem.addConstraint(constraint)
        constraints.append(constraint)
    return RowLp(problem, weights, tuple(constraints))


def solve_row_lp(lp: RowLp, solver: str = "cbc") -> LpSolution:
    """Solve ``lp`` with the solver called ``solver``.

    Raises:
        SolverUnavailableError: The solver cannot run here.
        RuntimeError: The solver did not report an optimal solution.
    """
    backend = make_solver(solver)
    status = lp.problem.solve(backend)
    if status != pulp.LpStatusOptimal:
        raise RuntimeError(f"{backend.name} did not solve the Nash LP: status "
                           f"{pulp.LpStatus[status]}")
    x = np.array([w.varValue or 0.0 for w in lp.weights])
    duals = np.abs([c.pi or 0.0 for c in lp.column_constraints])
    return LpSolution(_normalised(x), _normalised(duals), backend.name)


def equilibrium(payoffs, solution: LpSolution, solver: str = "cbc") -> NashResult:
    """Turn an LP solution into a verified equilibrium of ``payoffs``.

    Polishes both strategies; if the pair is still not an equilibrium to ``TOLERANCE``, solves
    the column player's LP with ``solver`` as well, and keeps the best strategy found for each
    player (its solution for the columns, its duals for the rows).

    Raises:
        RuntimeError: No pair within ``TOLERANCE`` was found (a solver failure).
    """
    array = as_payoffs(payoffs)
    tolerance = TOLERANCE * max(1.0, float(np.abs(array).max()))
    x = _best_maximiser(array, solution.row_strategy)
    y = _best_maximiser(-array.T, solution.column_duals)
    if _max_row_payoff(array, y) - _min_column_payoff(array, x) > tolerance:
        column_solution = solve_row_lp(build_row_lp(-array.T), solver)
        y_lp = _best_maximiser(-array.T, column_solution.row_strategy)
        x_lp = _best_maximiser(array, column_solution.column_duals)
        if _max_row_payoff(array, y_lp) < _max_row_payoff(array, y):
            y = y_lp
        if _min_column_payoff(array, x_lp) > _min_column_payoff(array, x):
            x = x_lp
    pair_gap = gap(array, x, y)
    if pair_gap > tolerance:
        raise RuntimeError(f"{solution.solver} gave a pair with exploitability gap "
                           f"{pair_gap:.3g}, above the tolerance {tolerance:.3g}")
    return _result(array, x, y, solution.solver, pair_gap)


def nash(payoffs, solver: str = "cbc", method: str = "auto", start=None,
         max_rounds: int = MAX_ROUNDS) -> NashResult:
    """Mixed-strategy Nash equilibrium of the zero-sum game ``payoffs`` (rows maximise).

    Args:
        payoffs: A finite 2-D array; rows are policies, columns environments.
        solver: ``"cbc"`` (default, PuLP's bundled CBC) or ``"highs"`` (highspy). Never
            replaced by another solver; the oracle solves its restricted games with it too.
        method: ``"auto"`` (default), ``"full"`` or ``"oracle"`` (see ``METHODS``).
        start: Optional ``(x, y)`` the oracle starts from: typically the previous
            equilibrium's strategies (:attr:`NashResult.strategies`) when rows and columns were
            appended since (shorter mixtures cover the leading rows and columns). Its supports
            seed the restricted game, and the pair itself is returned if it passes the
            certificate. Unused by the full LP.
        max_rounds: Restricted games the oracle solves before falling back to the full LP.

    Returns:
        A pair with exploitability gap <= ``TOLERANCE * max(1, max |A|)`` on the full matrix.

    Raises:
        ValueError: Malformed payoffs or start pair, an unknown solver or method name.
        SolverUnavailableError: The solver cannot run here.
    """
    array = as_payoffs(payoffs)
    make_solver(solver)  # an unknown or missing solver fails here, before any work
    if method not in METHODS:
        raise ValueError(f"unknown Nash method {method!r}; choose one of {', '.join(METHODS)}")
    if not isinstance(max_rounds, int) or max_rounds < 0:
        raise ValueError(f"max_rounds must be a non-negative integer; got {max_rounds!r}")
    if method == "full" or (method == "auto" and array.size < AUTO_CELLS):
        return full_nash(array, solver)
    tolerance = TOLERANCE * max(1.0, float(np.abs(array).max()))
    found = double_oracle(array, lambda game: restricted_nash(game, solver), tolerance, start,
                          max_rounds)
    if found is None:
        return replace(full_nash(array, solver), rounds=max_rounds, fallback=True)
    solver_name = found.restricted.solver if found.restricted else make_solver(solver).name
    return _result(array, found.row_strategy, found.column_strategy, solver_name, found.gap,
                   method="oracle", rounds=found.rounds)


def full_nash(payoffs, solver: str = "cbc") -> NashResult:
    """The equilibrium from one LP over the whole of ``payoffs``: build, solve, polish, verify."""
    array = as_payoffs(payoffs)
    return equilibrium(array, solve_row_lp(build_row_lp(array), solver), solver)


def restricted_nash(payoffs, solver: str = "cbc") -> NashResult:
    """A restricted game's equilibrium: the LP up to ``SIMPLEX_CELLS`` cells, else the interior
    point (:func:`interior_nash`), with the LP when that does not certify."""
    array = as_payoffs(payoffs)
    if array.size <= SIMPLEX_CELLS:
        return full_nash(array, solver)
    return interior_nash(array) or full_nash(array, solver)


def interior_nash(payoffs) -> NashResult | None:
    """The first of :mod:`solvers.interior`'s candidates that, polished, is an equilibrium of
    ``payoffs`` to ``TOLERANCE``; None if none is."""
    array = as_payoffs(payoffs)
    tolerance = TOLERANCE * max(1.0, float(np.abs(array).max()))
    for x, y in interior_point_equilibrium(array):
        if gap(array, x, y) > tolerance:  # polishing (a least-squares solve) only when needed
            x, y = _best_maximiser(array, x), _best_maximiser(-array.T, y)
        pair_gap = gap(array, x, y)
        if pair_gap <= tolerance:
            return _result(array, x, y, INTERIOR_POINT, pair_gap)
    return None


def _result(array: np.ndarray, x: np.ndarray, y: np.ndarray, solver: str, pair_gap: float,
            **how) -> NashResult:
    """A :class:`NashResult` of read-only copies of ``x`` and ``y``."""
    x, y = np.array(x, dtype=float), np.array(y, dtype=float)
    x.setflags(write=False)
    y.setflags(write=False)
    return NashResult(
        row_strategy=x, column_strategy=y, value=float(x @ array @ y),
        row_support=tuple(int(i) for i in np.flatnonzero(x)),
        column_support=tuple(int(j) for j in np.flatnonzero(y)),
        solver=solver, gap=pair_gap, **how)


def _scaled(array: np.ndarray) -> np.ndarray:
    """``array`` divided by its largest magnitude (strategies do not change)."""
    largest = float(np.abs(array).max())
    return array / largest if largest > 0 else array


def _normalised(weights: np.ndarray) -> np.ndarray:
    """``weights`` clipped at 0 and scaled to sum 1; all zeros if nothing positive is left."""
    clipped = np.clip(np.asarray(weights, dtype=float), 0.0, None)
    total = clipped.sum()
    return clipped / total if total > 0 else clipped


def _min_column_payoff(array: np.ndarray, x: np.ndarray) -> float:
    """The maximiser's guaranteed payoff with mixture ``x``; -inf for a non-mixture."""
    return float(np.min(x @ array)) if x.sum() > 0 else -np.inf


def _max_row_payoff(array: np.ndarray, y: np.ndarray) -> float:
    """The most a row earns against ``y``; +inf for a non-mixture."""
    return -_min_column_payoff(-array.T, y)


def _best_maximiser(array: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The better of ``x`` and its polished version, as maximiser of ``array``."""
    polished = _polished(array, x)
    if _min_column_payoff(array, polished) >= _min_column_payoff(array, x):
        return polished
    return x


def _polished(array: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``x`` moved the least distance that makes its binding constraints hold exactly.

    On the support ``S`` of ``x`` and the columns ``J`` where ``x`` earns (nearly) its minimum
    ``v``, an exact equilibrium strategy solves ``A[S, J]^T x_S = v`` and ``sum x_S = 1``. The
    least-squares correction to ``(x_S, v)`` lands on that affine set; weights off ``S`` stay 0.
    """
    if x.sum() <= 0:
        return x
    scale = max(1.0, float(np.abs(array).max()))
    payoffs = x @ array
    v = float(payoffs.min())
    support = np.flatnonzero(x > _SUPPORT_THRESHOLD)
    binding = np.flatnonzero(payoffs - v <= _TIGHT_THRESHOLD * scale)
    system = np.zeros((binding.size + 1, support.size + 1))
    system[:-1, :-1] = array[np.ix_(support, binding)].T
    system[:-1, -1] = -1.0
    system[-1, :-1] = 1.0
    target = np.zeros(binding.size + 1)
    target[-1] = 1.0
    start = np.append(x[support], v)
    correction, *_ = np.linalg.lstsq(system, target - system @ start, rcond=None)
    polished = np.zeros_like(x)
    polished[support] = (start + correction)[:-1]
    return _normalised(polished)
