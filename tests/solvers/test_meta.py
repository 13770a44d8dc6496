"""solvers.meta: uniform, latest, nash and the registry."""
import numpy as np
import pytest

from solvers.meta import META_SOLVERS, get_meta_solver, latest, uniform
from solvers.nash import nash

PAYOFFS = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.4]])


def test_uniform_weights_every_row_equally():
    np.testing.assert_allclose(uniform(PAYOFFS), [1 / 3] * 3)


def test_latest_puts_all_weight_on_the_last_row():
    np.testing.assert_array_equal(latest(PAYOFFS), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(latest([[0.3, 0.2]]), [1.0])


def test_registry_names():
    assert sorted(META_SOLVERS) == ["latest", "nash", "uniform"]
    assert get_meta_solver("uniform") is uniform
    assert get_meta_solver("latest") is latest
    np.testing.assert_array_equal(get_meta_solver("nash")(PAYOFFS), nash(PAYOFFS).row_strategy)


def test_callable_passes_through():
    def first(payoffs):
        weights = np.zeros(len(payoffs))
        weights[0] = 1.0
        return weights

    assert get_meta_solver(first) is first


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="'alpharank'.*latest, nash, uniform"):
        get_meta_solver("alpharank")


def test_neither_name_nor_callable_is_a_type_error():
    with pytest.raises(TypeError, match="int"):
        get_meta_solver(3)


@pytest.mark.parametrize("meta", ["uniform", "latest", "nash"])
def test_meta_solvers_validate_payoffs(meta):
    with pytest.raises(ValueError, match="NaN or infinite"):
        get_meta_solver(meta)([[0.1, np.nan]])
