"""Regret matching+ against exact game values (scipy's linprog), and its early stop."""
import numpy as np
import pytest
from scipy.optimize import linprog

from solvers.regret import regret_matching


def scipy_value(a) -> float:
    rows, columns = a.shape
    result = linprog(np.append(np.zeros(rows), -1.0),
                     A_ub=np.hstack([-a.T, np.ones((columns, 1))]), b_ub=np.zeros(columns),
                     A_eq=[np.append(np.ones(rows), 0.0)], b_eq=[1.0],
                     bounds=[(0, None)] * rows + [(None, None)], method="highs")
    return -result.fun


def exploitability(a, x, y) -> float:
    return float((a @ y).max() - (x @ a).min())


@pytest.mark.parametrize("shape", [(3, 3), (40, 25), (120, 100)])
def test_pair_brackets_the_value_and_its_gap_is_reported(shape):
    a = np.random.default_rng(sum(shape)).random(shape)
    x, y, gap = regret_matching(a, 2000)
    assert x.shape == (shape[0],) and y.shape == (shape[1],)
    assert x.min() >= 0 and y.min() >= 0
    assert x.sum() == pytest.approx(1.0) and y.sum() == pytest.approx(1.0)
    assert gap == pytest.approx(exploitability(a, x, y), abs=1e-12)
    value = scipy_value(a)
    assert (x @ a).min() <= value + 1e-9 and (a @ y).max() >= value - 1e-9
    assert gap < 1e-3


def test_more_iterations_give_a_smaller_gap():
    a = np.random.default_rng(1).random((150, 120))
    gaps = [regret_matching(a, t, check_every=t)[2] for t in (50, 400, 2000)]
    assert gaps[0] > gaps[1] > gaps[2]


def test_stops_once_the_target_gap_is_met():
    a = np.random.default_rng(2).random((100, 100))
    *_, loose = regret_matching(a, 5000, target_gap=1e-2, check_every=10)
    *_, tight = regret_matching(a, 5000, target_gap=1e-5, check_every=10)
    assert 1e-5 < loose <= 1e-2 and tight <= 1e-5


def test_pure_saddle_point_is_found_exactly():
    a = np.add.outer(np.arange(6.0), -np.arange(5.0))  # row 5 and column 4 dominate
    x, y, gap = regret_matching(a, 100)
    assert np.argmax(x) == 5 and np.argmax(y) == 4 and gap < 1e-2


def test_deterministic():
    a = np.random.default_rng(3).random((30, 30))
    first, second = regret_matching(a, 300), regret_matching(a, 300)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
