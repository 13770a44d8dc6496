"""The offline optimiser: seeded, valid, distinct candidates; crossover with elites."""
import numpy as np
import pytest

from coevolve.atari.evaluation import DOMAIN
from coevolve.atari.feedback import staged_feedback
from coevolve.atari.optimizers import AtariRequest, OfflineOptimizer, make_optimizer
from coevolve.program import Program
from coevolve.validate import validate_source
from envs.atari import ALLOWED_IMPORTS, POLICY_REQUIRED
from policies.atari import template_source


def starter(game="Pong"):
    return Program("policy", DOMAIN, template_source(game))


def request(game="Pong", elites=(), stalled=0, known=frozenset(), k=6):
    return AtariRequest(starter(game), 1, k, "trace", staged_feedback(game, -5),
                        tuple(Program("policy", DOMAIN, e) for e in elites), stalled, known)


def propose(seed, game="Pong", elites=()):
    optimizer = make_optimizer("offline", game, 6)
    return optimizer.propose(request(game, elites), np.random.default_rng(seed))


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
        assert c.origin.note and c.origin.designer == "offline" and c.origin.iteration == 1
        assert c.parent == starter(game).sha256


def test_crossover_with_elites_is_used():
    elite = propose(1)[0].source
    optimizer = OfflineOptimizer("Pong", candidates=12, crossover_rate=1.0)
    candidates = optimizer.propose(request(elites=[elite]), np.random.default_rng(0))
    assert any("crossover" in c.origin.note for c in candidates)


def test_a_stalled_search_stacks_more_mutations():
    optimizer = OfflineOptimizer("Pong", candidates=24, crossover_rate=0.0)

    def stacked(stalled):
        candidates = optimizer.propose(request(stalled=stalled), np.random.default_rng(5))
        return np.mean([c.origin.note.count("; ") + 1 for c in candidates])

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
    first = propose(5)
    known = frozenset(c.sha256 for c in first)
    again = make_optimizer("offline", "Pong", 6).propose(request(known=known),
                                                         np.random.default_rng(5))
    assert again and not {c.sha256 for c in again} & known


def test_a_stalled_search_restarts_from_elites_and_uses_macros():
    elite = propose(1)[0].source
    optimizer = OfflineOptimizer(game="Breakout", candidates=24)
    notes = [c.origin.note for c in optimizer.propose(
        request("Breakout", [elite], stalled=3), np.random.default_rng(0))]
    assert any("restart from an elite" in n for n in notes)
    assert any("macro" in n for n in notes)


def test_macros_stack_on_one_candidate_each_on_another_function():
    optimizer = OfflineOptimizer(game="Breakout", candidates=24, macro_rate=1.0, macro_stack=1.0)
    notes = [c.origin.note for c in optimizer.propose(request("Breakout"),
                                                       np.random.default_rng(0))]
    stacked = [n for n in notes if n.count("macro `") == 3]  # Breakout has three macros
    assert stacked
    assert all(len({part.split(":")[0] for part in n.split("; ") if "macro `" in part}) == 3
               for n in stacked)
    single = OfflineOptimizer(game="Breakout", candidates=24, macro_rate=1.0, macro_stack=0.0)
    assert all(n.count("macro `") <= 1 for n in (c.origin.note for c in single.propose(
        request("Breakout"), np.random.default_rng(0))))
