"""solvers.interior and its place in solvers.nash: exact supports from an interior point.

Every pair is checked here on every row and column, independently of the modules' own checks,
and its value against CBC's full LP on the same game.
"""
import numpy as np
import pytest

from solvers import interior, nash as nash_module
from solvers.nash import INTERIOR_POINT, SIMPLEX_CELLS, full_nash, interior_nash, nash, restricted_nash


def certificate(a, x, y) -> float:
    return float(max(a[i] @ y for i in range(a.shape[0]))
                 - min(x @ a[:, j] for j in range(a.shape[1])))


@pytest.mark.parametrize("shape, seed", [((60, 60), 0), ((80, 50), 1), ((40, 120), 2)])
def test_first_candidate_is_the_exact_equilibrium_of_a_random_game(shape, seed):
    a = np.random.default_rng(seed).uniform(-3, 5, shape)
    x, y = interior.interior_point_equilibrium(a)[0]
    assert x.min() >= 0 and y.min() >= 0
    assert x.sum() == pytest.approx(1, abs=1e-12) and y.sum() == pytest.approx(1, abs=1e-12)
    assert certificate(a, x, y) <= 1e-11
    assert float(x @ a @ y) == pytest.approx(full_nash(a).value, abs=1e-9)


def test_support_solution_refuses_supports_that_cannot_be_an_equilibrium():
    a = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert interior.support_solution(a, np.array([0, 1]), np.array([0])) is None  # sizes differ
    x, y = interior.support_solution(a, np.array([0, 1]), np.array([0, 1]))
    assert np.allclose(x, 0.5) and np.allclose(y, 0.5)
    dominated = np.array([[2.0, 2.0], [0.0, 1.0]])  # row 1 is dominated: negative weight
    assert interior.support_solution(dominated, np.array([0, 1]), np.array([0, 1])) is None
    assert interior.support_solution(np.zeros((2, 2)), np.array([0, 1]), np.array([0, 1])) is None


def test_degenerate_game_is_still_certified():
    """Ties everywhere (the 0/1 success rates of an archive): no generic supports exist."""
    rng = np.random.default_rng(3)
    a = np.repeat(rng.integers(0, 2, (50, 25)).astype(float), 2, axis=1)  # duplicated columns
    a = np.vstack([a, a[:10]])  # and duplicated rows
    result = interior_nash(a)
    assert result is not None and result.solver == INTERIOR_POINT
    assert certificate(a, result.row_strategy, result.column_strategy) <= 1e-7
    assert result.value == pytest.approx(full_nash(a).value, abs=1e-7)


def test_restricted_games_above_the_simplex_limit_go_to_the_interior_point():
    small = np.random.default_rng(4).random((30, 30))
    assert small.size <= SIMPLEX_CELLS
    assert restricted_nash(small).solver == "PULP_CBC_CMD"
    side = int(np.sqrt(SIMPLEX_CELLS)) + 20
    large = np.random.default_rng(5).random((side, side))
    found = restricted_nash(large)
    assert found.solver == INTERIOR_POINT
    assert certificate(large, found.row_strategy, found.column_strategy) <= 1e-7
    assert found.value == pytest.approx(full_nash(large).value, abs=1e-9)


def test_the_lp_takes_over_when_no_candidate_certifies(monkeypatch):
    side = int(np.sqrt(SIMPLEX_CELLS)) + 1
    a = np.random.default_rng(6).random((side, side))
    uniform = (np.full(side, 1 / side), np.full(side, 1 / side))
    monkeypatch.setattr(nash_module, "interior_point_equilibrium", lambda game: [uniform])
    assert interior_nash(a) is None
    found = restricted_nash(a)
    assert found.solver == "PULP_CBC_CMD"
    assert certificate(a, found.row_strategy, found.column_strategy) <= 1e-7


def test_oracle_on_a_large_game_matches_the_full_lp():
    a = np.random.default_rng(7).uniform(-1, 1, (700, 700))
    found = nash(a, method="oracle")
    assert found.method == "oracle" and found.solver == INTERIOR_POINT
    assert found.row_strategy.flags.writeable is False
    assert certificate(a, found.row_strategy, found.column_strategy) <= 1e-7  # an equilibrium
