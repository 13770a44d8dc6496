"""The optimiser interface: offline GP is seeded and valid; llm is not available yet."""
import numpy as np
import pytest

from coevolve.atari.feedback import staged_feedback
from coevolve.atari.optimizers import OfflineOptimizer, make_optimizer
from coevolve.errors import UserInputError
from coevolve.validate import validate_source
from envs.atari import ALLOWED_IMPORTS, POLICY_REQUIRED
from policies.atari import template_source


def propose(seed, game="Pong", elites=()):
    optimizer = make_optimizer("offline", game, 6)
    return optimizer.propose(template_source(game), "trace", staged_feedback(game, -5),
                             np.random.default_rng(seed), elites)


def test_same_seed_same_candidates_other_seed_other_candidates():
    assert propose(3) == propose(3)
    assert [c.source for c in propose(3)] != [c.source for c in propose(4)]


@pytest.mark.parametrize("game", ["Pong", "Breakout", "SpaceInvaders"])
def test_candidates_are_distinct_valid_programs(game):
    candidates = propose(0, game)
    assert len(candidates) == 6
    sources = [c.source for c in candidates]
    assert len(set(sources)) == 6 and template_source(game) not in sources
    for c in candidates:
        assert validate_source(c.source, POLICY_REQUIRED, ALLOWED_IMPORTS) == []
        assert c.note


def test_crossover_with_elites_is_used():
    elite = propose(1)[0].source
    optimizer = OfflineOptimizer("Pong", candidates=12, crossover_rate=1.0)
    candidates = optimizer.propose(template_source("Pong"), "", staged_feedback("Pong", 0),
                                   np.random.default_rng(0), [elite])
    assert any("crossover" in c.note for c in candidates)


def test_llm_and_unknown_designers_give_a_clear_error():
    with pytest.raises(UserInputError, match="not available for Atari yet"):
        make_optimizer("llm", "Pong", 4)
    with pytest.raises(UserInputError, match="unknown designer"):
        make_optimizer("magic", "Pong", 4)
