"""The driving domain's offline environment designer: operators over a level's constants."""
import numpy as np
import pytest

from coevolve.validate import validate_source
from envs.driving import ALLOWED_IMPORTS, SEED_ENV
from envs.driving.mutations import OPERATORS, mutate_env
from envs.driving.program import Layout, read_layout


def test_every_environment_operator_changes_the_seed_layout_or_declines():
    layout, rng = Layout(), np.random.default_rng(0)
    changed = 0
    for operator in OPERATORS:
        result = operator(layout, rng)
        if result is not None:
            assert result[0] != layout and isinstance(result[1], str)
            changed += 1
    assert changed >= len(OPERATORS) - 2


def test_mutate_env_is_deterministic_and_edits_only_constants():
    first = [mutate_env(SEED_ENV, np.random.default_rng(s)) for s in range(6)]
    again = [mutate_env(SEED_ENV, np.random.default_rng(s)) for s in range(6)]
    assert first == again and len({source for source, _ in first}) > 3
    for source, _ in first:
        assert read_layout(source) != Layout()
        assert source.split("BLOCKS = ")[0] == SEED_ENV.split("BLOCKS = ")[0]
        assert validate_source(source, ("CustomEnv",), ALLOWED_IMPORTS) == []


def test_mutate_env_refuses_a_program_not_built_from_constants():
    with pytest.raises(ValueError, match="not a layout-constant driving program"):
        mutate_env("class CustomEnv:\n    pass\n", np.random.default_rng(0))
