"""The offline optimiser: seeded, valid, distinct candidates; crossover with elites."""
import numpy as np
import pytest

from coevolve.atari.feedback import staged_feedback
from coevolve.atari.optimizers import OfflineOptimizer, make_optimizer
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


def test_a_stalled_search_stacks_more_mutations():
    optimizer = OfflineOptimizer("Pong", candidates=24, crossover_rate=0.0)

    def stacked(stalled):
        candidates = optimizer.propose(template_source("Pong"), "", staged_feedback("Pong", 0),
                                       np.random.default_rng(5), (), stalled)
        return np.mean([c.note.count("; ") + 1 for c in candidates])

    assert stacked(8) > stacked(0) + 0.5


def test_stalled_iterations_count_since_the_last_rise():
    from coevolve.atari.loop import stalled_iterations

    def history(*means):
        return [{"best_mean": m} for m in means]

    assert stalled_iterations(history(-3.0)) == 0
    assert stalled_iterations(history(-3.0, 2.0)) == 0
    assert stalled_iterations(history(-3.0, 2.0, 2.0, 2.0)) == 2
    assert stalled_iterations(history(5.0, 5.0)) == 1


def test_known_programs_are_not_proposed_again():
    from coevolve.atari.optimizers import program_key

    first = propose(5)
    known = frozenset(program_key(c.source) for c in first)
    optimizer = make_optimizer("offline", "Pong", 6)
    again = optimizer.propose(template_source("Pong"), "trace", staged_feedback("Pong", -5),
                              np.random.default_rng(5), (), 0, known)
    assert again and not {program_key(c.source) for c in again} & known


def test_a_stalled_search_restarts_from_elites_and_uses_macros():
    elite = propose(1)[0].source
    optimizer = OfflineOptimizer(game="Breakout", candidates=24)
    notes = [c.note for c in optimizer.propose(template_source("Breakout"), "t",
                                               staged_feedback("Breakout", 5),
                                               np.random.default_rng(0), [elite], stalled=3)]
    assert any("restart from an elite" in n for n in notes)
    assert any("macro" in n for n in notes)
