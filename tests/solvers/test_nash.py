"""solvers.nash against an independent solution: scipy's linprog (HiGHS through scipy)."""
import numpy as np
import pytest
from scipy.optimize import linprog

from solvers.nash import (SOLVERS, LpSolution, build_row_lp, equilibrium, nash,
                             solve_row_lp)

GAP = 1e-7


def scipy_value(payoffs) -> float:
    """Game value from scipy.optimize.linprog: max v s.t. A^T x >= v, sum x = 1, x >= 0."""
    a = np.asarray(payoffs, dtype=float)
    rows, columns = a.shape
    objective = np.zeros(rows + 1)
    objective[-1] = -1.0
    result = linprog(objective, A_ub=np.hstack([-a.T, np.ones((columns, 1))]),
                     b_ub=np.zeros(columns), A_eq=[np.append(np.ones(rows), 0.0)], b_eq=[1.0],
                     bounds=[(0, None)] * rows + [(None, None)], method="highs")
    assert result.status == 0, result.message
    return -result.fun


def independent_gap(payoffs, x, y) -> float:
    """max_i (A y)_i - min_j (x^T A)_j, written out here rather than taken from solvers.metrics."""
    a = np.asarray(payoffs, dtype=float)
    return float(max(a[i] @ y for i in range(a.shape[0]))
                 - min(x @ a[:, j] for j in range(a.shape[1])))


def check_equilibrium(payoffs, result):
    """The result is a pair of mixtures with gap <= 1e-7 and scipy's game value."""
    a = np.asarray(payoffs, dtype=float)
    scale = max(1.0, np.abs(a).max())
    for strategy, size in ((result.row_strategy, a.shape[0]),
                           (result.column_strategy, a.shape[1])):
        assert strategy.shape == (size,)
        assert strategy.min() >= 0.0
        assert strategy.sum() == pytest.approx(1.0, abs=1e-12)
    assert result.row_support == tuple(np.flatnonzero(result.row_strategy))
    assert result.column_support == tuple(np.flatnonzero(result.column_strategy))
    gap = independent_gap(a, result.row_strategy, result.column_strategy)
    assert gap <= GAP * scale
    assert result.gap == pytest.approx(max(gap, 0.0), abs=1e-12 * scale)
    assert result.value == pytest.approx(scipy_value(a), abs=1e-7 * scale)


CLASSIC = {
    "matching pennies": [[1, -1], [-1, 1]],
    "rock paper scissors": [[0, -1, 1], [1, 0, -1], [-1, 1, 0]],
    "duplicate rows and columns": [[1, 0, 0], [1, 0, 0], [0, 1, 1]],
    "constant": np.full((4, 3), 0.7),
    "all zero": np.zeros((3, 5)),
    "1 x n": [[0.3, 0.1, 0.9]],
    "n x 1": [[0.3], [0.1], [0.9]],
    "1 x 1": [[0.25]],
    "large scale": np.random.default_rng(0).normal(size=(12, 17)) * 1e6,
    "success rates in tenths": np.random.default_rng(1).integers(0, 11, (40, 30)) / 10,
    "binary": np.random.default_rng(2).integers(0, 2, (30, 40)).astype(float),
}


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("name", CLASSIC)
def test_classic_and_degenerate_games(name, solver):
    check_equilibrium(CLASSIC[name], nash(CLASSIC[name], solver))


@pytest.mark.parametrize("solver", SOLVERS)
def test_rock_paper_scissors_is_uniform_with_value_zero(solver):
    result = nash(CLASSIC["rock paper scissors"], solver)
    np.testing.assert_allclose(result.row_strategy, [1 / 3] * 3, atol=1e-12)
    np.testing.assert_allclose(result.column_strategy, [1 / 3] * 3, atol=1e-12)
    assert result.value == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("solver", SOLVERS)
def test_strictly_dominated_row_gets_no_weight(solver):
    payoffs = [[0.5, 0.5], [0.4, 0.3], [1.0, 0.0]]  # row 1 is strictly worse than row 0
    result = nash(payoffs, solver)
    assert result.row_strategy[1] == 0.0
    assert 1 not in result.row_support
    check_equilibrium(payoffs, result)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("shape", [(5, 5), (20, 7), (9, 60), (100, 100), (300, 300)])
def test_random_matrices(shape, solver):
    payoffs = np.random.default_rng(sum(shape)).random(shape)
    check_equilibrium(payoffs, nash(payoffs, solver))


def test_missing_duals_are_replaced_by_the_column_players_lp():
    payoffs = np.random.default_rng(5).random((15, 12))
    solution = solve_row_lp(build_row_lp(payoffs), "cbc")
    without_duals = LpSolution(solution.row_strategy, np.zeros(12), solution.solver)
    check_equilibrium(payoffs, equilibrium(payoffs, without_duals, "cbc"))


def test_polishing_removes_solver_noise():
    payoffs = np.random.default_rng(6).random((40, 40))
    exact = nash(payoffs, "highs")
    noise = np.random.default_rng(7).random(40) * 1e-8
    noisy = LpSolution(exact.row_strategy + noise * (exact.row_strategy > 0),
                       exact.column_strategy + noise * (exact.column_strategy > 0), "HiGHS")
    assert independent_gap(payoffs, noisy.row_strategy, noisy.column_duals) > 1e-10
    assert equilibrium(payoffs, noisy, "highs").gap <= 1e-13


@pytest.mark.parametrize("bad, message", [
    ([1.0, 2.0], "2-D"),
    (np.zeros((2, 2, 2)), "2-D"),
    (np.zeros((0, 3)), "at least one row"),
    ([[0.5, np.nan]], "NaN or infinite"),
    ([[0.5], [np.inf]], "NaN or infinite"),
    ([["a", "b"]], "real numbers"),
])
def test_bad_payoffs_are_rejected(bad, message):
    with pytest.raises(ValueError, match=message):
        nash(bad)


def test_unknown_solver_is_rejected_with_the_choices():
    with pytest.raises(ValueError, match="cbc, highs"):
        nash([[1.0]], solver="glpk")


def test_result_strategies_are_read_only():
    result = nash([[0.2, 0.9], [0.7, 0.4]])
    with pytest.raises(ValueError, match="read-only"):
        result.row_strategy[0] = 1.0
