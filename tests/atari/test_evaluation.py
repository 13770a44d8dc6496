"""Atari scores through the shared evaluator: protocol programs, failures, the Ray executor."""
import ray

from coevolve.atari.evaluation import DOMAIN, AtariEvaluator, protocol_program
from coevolve.program import Program
from coevolve.sandbox import Limits
from envs.atari import Protocol
from policies.atari import template_source

PONG = Program("policy", DOMAIN, template_source("Pong"))
BROKEN = Program("policy", DOMAIN, template_source("Pong").replace(
    "return select_action(predict_ball_trajectory(obs), obs)", "return 1 // 0"))


def test_a_purpose_is_its_own_set_of_episode_seeds():
    first, other = (protocol_program(Protocol("Pong", 0.25, 100, purpose=p))
                    for p in ("screening 1", "screening 2"))
    assert first.sha256 != other.sha256 and first.kind == "env" and "GAME = 'Pong'" in first.source


def test_scores_are_cached_and_a_failure_scores_the_worst(atari_pool):
    evaluator = AtariEvaluator(atari_pool, "Pong", 0.25, seed=0)
    protocol = evaluator.protocol("evaluation", 60)
    good, broken = evaluator.scores([PONG, BROKEN], protocol, 2)
    assert good.error is None and good.steps == 120
    assert broken.mean == -21.0 and "ZeroDivisionError" in broken.error
    played = evaluator.evaluator(2).played
    assert evaluator.scores([PONG], protocol, 2) == [good] and evaluator.evaluator(2).played == played


def test_ray_gives_the_local_pools_scores(atari_pool):
    from coevolve.executors.ray import RayExecutor

    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        with RayExecutor(1, Limits(seconds=120.0), preload=("envs.atari",)) as remote:
            scores = [AtariEvaluator(executor, "Pong", 0.25, seed=3).scores(
                [PONG], Protocol("Pong", 0.25, 80), 2)[0] for executor in (remote, atari_pool)]
    finally:
        ray.shutdown()
    assert scores[0] == scores[1]
