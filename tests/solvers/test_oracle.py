"""solvers.oracle on its own: the certificate, the growth of the restricted game, the start pair.

Restricted games are solved by the full LP (solvers.nash.full_nash); every pair returned is
checked here on every row and column, independently of the module's own check.
"""
import numpy as np
import pytest

from solvers import oracle
from solvers.nash import full_nash

TOLERANCE = 1e-7


def certificate(a, x, y) -> float:
    return float(max(a[i] @ y for i in range(a.shape[0]))
                 - min(x @ a[:, j] for j in range(a.shape[1])))


class CountingSolver:
    """The full LP on each restricted game, remembering the shapes it was given."""

    def __init__(self):
        self.shapes = []

    def __call__(self, game):
        self.shapes.append(game.shape)
        return full_nash(game)


def test_result_is_certified_on_the_full_matrix_and_zero_outside_the_restricted_game():
    a = np.random.default_rng(0).random((120, 90))
    solver = CountingSolver()
    found = oracle.double_oracle(a, solver, TOLERANCE)
    assert certificate(a, found.row_strategy, found.column_strategy) <= TOLERANCE
    assert found.gap == pytest.approx(max(0.0, certificate(a, found.row_strategy,
                                                           found.column_strategy)), abs=1e-12)
    outside_rows = np.setdiff1d(np.arange(120), found.rows)
    outside_columns = np.setdiff1d(np.arange(90), found.columns)
    assert not found.row_strategy[outside_rows].any()
    assert not found.column_strategy[outside_columns].any()
    assert solver.shapes[-1] == (len(found.rows), len(found.columns))
    assert found.rounds == len(solver.shapes)
    assert found.restricted.gap <= TOLERANCE


def test_each_round_adds_at_most_a_batch_of_the_improving_strategies():
    a = np.eye(100) + 0.01 * np.random.default_rng(1).random((100, 100))
    solver = CountingSolver()
    found = oracle.double_oracle(a, solver, TOLERANCE, start=([1.0], [1.0]))
    assert found is not None and len(found.rows) == len(found.columns) == 100
    for before, after in zip(solver.shapes, solver.shapes[1:]):
        assert sum(after) > sum(before)  # a failed certificate always adds a strategy
        for side, grown in zip(before, after):
            assert side <= grown <= side + max(oracle.BATCH_MIN, np.ceil(oracle.GROWTH * side))
    assert solver.shapes[0] == (1, 1 + oracle.BATCH_MIN)  # only the columns beat e_0 at first


def test_gives_up_after_max_rounds():
    a = np.eye(60)
    solver = CountingSolver()
    assert oracle.double_oracle(a, solver, TOLERANCE, start=([1.0], [1.0]), max_rounds=3) is None
    assert len(solver.shapes) == 3


def test_start_pair_that_passes_the_certificate_is_returned_without_a_solve():
    a = np.array([[0.0, 1.0, 0.2], [1.0, 0.0, 0.2], [0.9, 0.9, 0.9]])
    solver = CountingSolver()
    found = oracle.double_oracle(a, solver, TOLERANCE, start=([0.0, 0.0, 1.0], [0.0, 0.0, 1.0]))
    assert found.rounds == 0 and found.restricted is None and solver.shapes == []
    assert found.rows == (2,) and found.columns == (2,)


def test_a_short_start_covers_the_leading_rows_and_columns():
    x, y = oracle.padded_start(([0.25, 0.75], [1.0]), (4, 3))
    np.testing.assert_array_equal(x, [0.25, 0.75, 0.0, 0.0])
    np.testing.assert_array_equal(y, [1.0, 0.0, 0.0])


def test_start_noise_within_the_mixture_tolerance_is_cleaned():
    x, _ = oracle.padded_start(([0.5 + 1e-8, 0.5, -1e-9], [1.0]), (3, 1))
    assert x.min() == 0.0 and x.sum() == pytest.approx(1.0, abs=1e-15)


def test_seed_support_contains_the_equilibrium_support():
    a = np.random.default_rng(2).random((150, 150))
    rows, columns = oracle.seed_support(a)
    exact = full_nash(a)
    assert set(exact.row_support) <= set(rows.tolist())
    assert set(exact.column_support) <= set(columns.tolist())
    assert len(rows) < 120 and len(columns) < 120  # a restricted game, not the whole one
