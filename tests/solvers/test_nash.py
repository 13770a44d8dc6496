"""solvers.nash against an independent solution: scipy's linprog (HiGHS through scipy).

Both methods: ``full`` (one LP) and ``oracle`` (restricted games certified on the full matrix),
including its warm start and its fallback to the full LP.
"""
import numpy as np
import pytest
from scipy.optimize import linprog

from solvers.nash import (AUTO_CELLS, SOLVERS, LpSolution, build_row_lp, equilibrium,
                          nash, solve_row_lp)

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


@pytest.mark.parametrize("method", ["full", "oracle"])
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("name", CLASSIC)
def test_classic_and_degenerate_games(name, solver, method):
    result = nash(CLASSIC[name], solver, method=method)
    check_equilibrium(CLASSIC[name], result)
    assert result.method == method and not result.fallback


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


@pytest.mark.parametrize("method", ["full", "oracle"])
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("shape", [(5, 5), (20, 7), (9, 60), (100, 100), (300, 300)])
def test_random_matrices(shape, solver, method):
    payoffs = np.random.default_rng(sum(shape)).random(shape)
    check_equilibrium(payoffs, nash(payoffs, solver, method=method))


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


# The oracle on games that stress it, its warm start, and its fallback.

def _circulant(size: int) -> np.ndarray:
    """Generalised rock-paper-scissors: every strategy in the support, value 0."""
    first = np.zeros(size)
    first[1:size // 2 + 1], first[size // 2 + 1:] = -1.0, 1.0
    return np.array([np.roll(first, k) for k in range(size)])


STRUCTURED = {
    "near identity (full support)": np.eye(150) + 0.01 * np.random.default_rng(3).random((150, 150)),
    "circulant 151": _circulant(151),
    "pure saddle point 400 x 300": np.add.outer(np.random.default_rng(4).random(400),
                                                -np.random.default_rng(5).random(300)),
    "duplicated strategies": np.tile(np.random.default_rng(6).random((40, 30)), (5, 6)),
    "binary 200 x 250": np.random.default_rng(7).integers(0, 2, (200, 250)).astype(float),
    "tenths 250 x 200": np.random.default_rng(8).integers(0, 11, (250, 200)) / 10,
    "tall 2000 x 15": np.random.default_rng(9).random((2000, 15)),
}


@pytest.mark.parametrize("name", STRUCTURED)
def test_oracle_on_structured_games(name):
    result = nash(STRUCTURED[name], method="oracle")
    check_equilibrium(STRUCTURED[name], result)
    assert result.method == "oracle" and not result.fallback


def test_saddle_point_needs_only_a_tiny_restricted_game():
    result = nash(STRUCTURED["pure saddle point 400 x 300"], method="oracle")
    assert result.rounds == 1 and len(result.row_support) == len(result.column_support) == 1


@pytest.mark.parametrize("name", ["near identity (full support)", "circulant 151"])
def test_large_support_from_a_single_strategy_takes_many_rounds(name):
    payoffs = STRUCTURED[name]
    result = nash(payoffs, method="oracle", start=([1.0], [1.0]))
    check_equilibrium(payoffs, result)
    assert result.rounds >= 8 and not result.fallback
    assert len(result.row_support) >= 100


def test_warm_start_on_a_growing_game_gives_the_full_lps_value():
    """The loop's case: one row and one column more each time, started from the last result."""
    rng = np.random.default_rng(10)
    payoffs = rng.random((160, 160))
    previous = nash(payoffs[:150, :150], method="oracle")
    rounds = []
    for size in range(151, 161):
        game = payoffs[:size, :size].copy()
        if size % 2:  # a new policy that beats the current environment mixture
            game[-1, :-1] += previous.value - game[-1, :-1] @ previous.column_strategy + 0.05
        result = nash(game, method="oracle", start=previous.strategies)
        check_equilibrium(game, result)
        assert result.value == pytest.approx(nash(game, method="full").value, abs=1e-9)
        rounds.append(result.rounds)
        previous = result
    assert all(r >= 1 for r in rounds[::2])  # an improving row always needs a new solve


def test_warm_start_pair_that_is_still_an_equilibrium_is_kept_without_a_solve():
    payoffs = np.random.default_rng(11).random((200, 200))
    old = nash(payoffs, method="full")
    grown = np.vstack([payoffs, np.zeros((1, 200))])  # a useless new policy
    grown = np.hstack([grown, np.ones((201, 1))])  # and an environment every policy solves
    result = nash(grown, method="oracle", start=old.strategies)
    assert result.rounds == 0 and result.solver == "PULP_CBC_CMD"
    np.testing.assert_array_equal(result.row_strategy[:200], old.row_strategy)
    check_equilibrium(grown, result)


def test_fallback_to_the_full_lp_when_the_rounds_run_out():
    payoffs = STRUCTURED["near identity (full support)"]
    result = nash(payoffs, method="oracle", start=([1.0], [1.0]), max_rounds=2)
    assert result.fallback and result.method == "full" and result.rounds == 2
    check_equilibrium(payoffs, result)


def test_no_rounds_at_all_is_the_full_lp():
    payoffs = np.random.default_rng(12).random((30, 40))
    result = nash(payoffs, method="oracle", max_rounds=0)
    assert result.fallback and result.method == "full"
    check_equilibrium(payoffs, result)


def test_auto_uses_the_oracle_from_the_threshold_on():
    side = int(np.ceil(np.sqrt(AUTO_CELLS)))
    small = np.random.default_rng(13).random((side - 1, side - 1))
    large = np.random.default_rng(14).random((side, side))
    assert nash(large).method == "oracle"
    assert nash(small, start=([1.0], [1.0])).method == "full"  # a start does not force it


def test_oracle_restricted_games_are_solved_by_the_requested_solver():
    payoffs = np.random.default_rng(15).random((60, 60))
    assert nash(payoffs, "cbc", method="oracle").solver == "PULP_CBC_CMD"
    assert nash(payoffs, "highs", method="oracle").solver == "HiGHS"


@pytest.mark.parametrize("start, message", [
    (([1.0],), "pair"),
    (5, "pair"),
    (([0.5, 0.5, 0.0, 0.0], [1.0]), "1 to 3 weights"),
    (([], [1.0]), "1 to 3 weights"),
    (([[1.0]], [1.0]), "1-D"),
    (([0.5, 0.4], [1.0]), "sum to 1"),
    (([1.5, -0.5], [1.0]), "non-negative"),
    (([1.0], [np.nan]), "finite"),
])
def test_bad_start_is_rejected(start, message):
    with pytest.raises(ValueError, match=message):
        nash(np.eye(3), method="oracle", start=start)


@pytest.mark.parametrize("bad", ["fast", "", None])
def test_unknown_method_is_rejected_with_the_choices(bad):
    with pytest.raises(ValueError, match="auto, full, oracle"):
        nash([[1.0]], method=bad)


def test_negative_rounds_are_rejected():
    with pytest.raises(ValueError, match="max_rounds"):
        nash(np.eye(3), method="oracle", max_rounds=-1)
