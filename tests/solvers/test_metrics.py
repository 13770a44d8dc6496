"""solvers.metrics and solvers.payoffs: best-response values, the gap, input checks."""
import numpy as np
import pytest

from solvers.metrics import column_best_response_value, gap, row_best_response_value
from solvers.payoffs import as_mixture

PENNIES = [[1.0, -1.0], [-1.0, 1.0]]


def test_gap_is_zero_at_the_equilibrium():
    assert gap(PENNIES, [0.5, 0.5], [0.5, 0.5]) == 0.0


def test_gap_of_pure_pair_by_hand():
    # A y = (1, -1): the row player could get 1 instead of x^T A y = 1, gains 0.
    # x^T A = (1, -1): the column player could hold it to -1 instead of 1, gains 2.
    assert gap(PENNIES, [1, 0], [1, 0]) == pytest.approx(2.0)
    assert row_best_response_value(PENNIES, [1, 0]) == pytest.approx(1.0)
    assert column_best_response_value(PENNIES, [1, 0]) == pytest.approx(-1.0)


def test_gap_sums_both_players_gains():
    rng = np.random.default_rng(0)
    a = rng.random((6, 4))
    for _ in range(20):
        x, y = rng.dirichlet(np.ones(6)), rng.dirichlet(np.ones(4))
        value = x @ a @ y
        expected = (max(a @ y) - value) + (value - min(x @ a))
        assert gap(a, x, y) == pytest.approx(expected, abs=1e-12)
        assert gap(a, x, y) >= 0.0


def test_gap_rejects_strategies_that_do_not_match():
    with pytest.raises(ValueError, match=r"row strategy must have shape \(2,\)"):
        gap(PENNIES, [1.0], [0.5, 0.5])
    with pytest.raises(ValueError, match="column strategy must be non-negative and sum to 1"):
        gap(PENNIES, [0.5, 0.5], [0.7, 0.7])
    with pytest.raises(ValueError, match="finite"):
        gap(PENNIES, [np.nan, 1.0], [0.5, 0.5])


def test_mixture_within_tolerance_is_accepted():
    np.testing.assert_array_equal(as_mixture([0.5, 0.5 + 1e-9], 2, "x"), [0.5, 0.5 + 1e-9])
    with pytest.raises(ValueError, match="minimum -0.1"):
        as_mixture([1.1, -0.1], 2, "x")
