"""Traced rollouts record every trainable call; the rendering respects its size bound."""
import types

from coevolve.atari.tracing import compact, instrument, render_trace, traced_rollout
from policies.atari import template_source


def load(source):
    module = types.ModuleType("policy_program")
    exec(compile(source, "policy_program.py", "exec"), module.__dict__)
    return module


def test_rollout_records_inputs_and_outputs_of_trainable_calls():
    record = traced_rollout(None, load(template_source("Pong")), seed=0, game="Pong", horizon=200)
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
    record = traced_rollout(None, load(source), seed=0, game="Pong", horizon=100)
    assert "ZeroDivisionError" in record["error"]
    assert any(call[4] and call[4].startswith("ZeroDivisionError") for call in record["calls"])
    text = render_trace(record, 2000)
    assert "raised ZeroDivisionError" in text and "stopped by" in text


def test_rendering_is_bounded_and_marks_gaps():
    record = traced_rollout(None, load(template_source("Breakout")), seed=0, game="Breakout",
                            horizon=400)
    for bound in (1500, 6000):
        text = render_trace(record, bound)
        assert len(text) <= bound
        assert "calls omitted" in text and text.startswith("Breakout rollout, seed 0")
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
