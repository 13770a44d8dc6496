"""Replies as checked plain data: what round-trips, and what is refused."""
import json
import math

import pytest

from envs.api import EpisodeResult, LevelCheck

from coevolve.sandbox import codec


def roundtrip(value):
    status, back = codec.decode(codec.encode(["ok", value]))
    assert status == "ok"
    return back


@pytest.mark.parametrize("value", [
    None, True, 0, -3, 2.5, "text", [1, [2, 3]], {"a": {"b": [1.5, None]}}, (1, (2, "x")),
    b"\x89PNG\r\n", EpisodeResult(True, 1.0, 12, 0.01, None, ((1, 2), (3, 4))),
    LevelCheck(False, "no path to the goal", {"size": 8, "walls": 3.5}),
])
def test_plain_data_round_trips_exactly(value):
    assert roundtrip(value) == value


def test_numpy_values_become_python_values():
    import numpy as np
    back = roundtrip({"x": np.float64(1.5), "n": np.int64(3), "a": np.arange(3)})
    assert back == {"x": 1.5, "n": 3, "a": [0, 1, 2]}
    assert type(back["n"]) is int


def test_nan_survives():
    assert math.isnan(roundtrip(float("nan")))


@pytest.mark.parametrize("value, fragment", [
    (object(), "object is not plain data"),
    ({1: "x"}, "str keys"),
    ({"__tuple__": [1]}, "dunder keys"),
])
def test_what_is_not_plain_data_cannot_be_encoded(value, fragment):
    with pytest.raises(TypeError, match=fragment):
        codec.encode(["ok", value])


@pytest.mark.parametrize("data, fragment", [
    (b"\x80\x04\x95junk", "not JSON"),
    (b'{"ok": 1}', r"not \[status, value\]"),
    (b'["maybe", 1]', r"not \[status, value\]"),
    (b'["error", 3]', "must carry a string"),
    (b'["ok", {"__type__": "Popen", "fields": {}}]', "unknown type 'Popen'"),
    (b'["ok", {"__type__": "EpisodeResult", "fields": {"success": "yes", "ret": 0, "steps": 1}}]',
     "EpisodeResult.success has the wrong type"),
    (b'["ok", {"__type__": "EpisodeResult", "fields": {"success": true}}]', "incomplete"),
    (b'["ok", {"__type__": "EpisodeResult", "fields": {"success": true, "ret": 0, "steps": 1, "x": 1}}]',
     "unknown fields"),
    (b'["ok", {"__reduce__": 1}]', "unknown tagged value"),
    (b'["ok", {"__bytes__": "***"}]', "bad base64"),
    (b'["ok", ' + b"[" * 100_000 + b"]" * 100_000 + b"]", "RecursionError"),
])
def test_malformed_replies_are_refused_with_a_reason(data, fragment):
    with pytest.raises(codec.MalformedReply, match=fragment):
        codec.decode(data)


def test_the_size_limit_is_enforced_on_decoding():
    with pytest.raises(codec.MalformedReply, match="exceeds"):
        codec.decode(json.dumps(["ok", "x" * (codec.REPLY_LIMIT + 1)]).encode())
