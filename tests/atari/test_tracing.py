"""Traced episodes record every trainable call; the rendering respects its size bound."""
import types

from coevolve.atari.tracing import render_trace
from envs.atari import Protocol, run_episode
from envs.atari.trace import compact, instrument
from policies.atari import template_source


def load(source):
    module = types.ModuleType("policy_program")
    exec(compile(source, "policy_program.py", "exec"), module.__dict__)
    return module


def traced_rollout(policy, game, horizon):
    """The record the evaluator makes of a traced episode (as AtariEvaluator.trace does)."""
    episode = run_episode(Protocol(game, 0.0, horizon, purpose="trace 1"), policy, seed=0,
                          trace=True)
    return {"game": game, "purpose": "trace 1", "horizon": horizon, "score": episode.ret,
            "steps": episode.steps, "error": episode.error, **episode.trace}


def test_rollout_records_inputs_and_outputs_of_trainable_calls():
    record = traced_rollout(load(template_source("Pong")), "Pong", 200)
    assert record["steps"] == 200 and record["error"] is None
    names = {call[1] for call in record["calls"]}
    assert names == {"predict_ball_trajectory", "select_action"}
    assert len(record["calls"]) == 400  # two trainable calls per step
    step, name, args, result, error = record["calls"][1]
    assert (step, name, error) == (1, "select_action", None)
    assert "Player(140," in args and result in ("0", "2", "3")


def test_exceptions_are_recorded_and_rendered():
    source = template_source("Pong").replace("return value(obs, 'Ball', 'y')",
                                             "return value(obs, 'Ball', 'y') / 0")
    assert source != template_source("Pong")
    record = traced_rollout(load(source), "Pong", 100)
    assert "ZeroDivisionError" in record["error"]
    assert any(call[4] and call[4].startswith("ZeroDivisionError") for call in record["calls"])
    text = render_trace(record, 2000)
    assert "raised ZeroDivisionError" in text and "stopped by" in text


def test_rendering_is_bounded_and_marks_gaps():
    record = traced_rollout(load(template_source("Breakout")), "Breakout", 400)
    for bound in (1500, 6000):
        text = render_trace(record, bound)
        assert len(text) <= bound
        assert "calls omitted" in text and text.startswith("Breakout rollout (trace 1)")
    full = render_trace(record, 10**7)
    assert "calls omitted" not in full and full.count("\n") >= len(record["calls"])


def test_compact_values_and_instrumented_module_still_acts():
    assert compact({"Ball": {"x": 1, "y": 2, "dx": 3, "dy": 4}, "RB": [1, 2], "lives": 5}) == \
        "{Ball(1,2;3,4) RB[2] lives=5}"
    assert len(compact("x" * 1000, 50)) == 50
    module = load(template_source("SpaceInvaders"))
    state = instrument(module)
    assert module.act({"Player": {"x": 50, "y": 185, "dx": 0, "dy": 0}}) in range(6)
    assert [c[1] for c in state["calls"]] == ["decide_shoot", "decide_movement",
                                              "combine_actions"]
