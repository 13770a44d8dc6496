"""Replies from a sandboxed program process to the parent: plain data as JSON, never pickles.

A reply is ``["ok", value]`` or ``["error", reason]``. A value is JSON data plus three tagged
forms: tuples (``{"__tuple__": [...]}``), bytes (``{"__bytes__": "base64"}``) and the frozen
dataclasses a trusted module registered with :func:`envs.api.reply_type` (``{"__type__": name,
"fields": {...}}``). Decoding builds only registered classes, checks each field against its
annotation, and rejects anything else: a reply can make its own job fail, nothing more.
"""
from __future__ import annotations

import base64
import dataclasses
import json
import math
from typing import Any

from envs.api import REPLY_TYPES

REPLY_LIMIT = 16 * 1024 * 1024
"""Largest reply, in bytes, that a program process may send back."""


class MalformedReply(ValueError):
    """A reply that is not well-formed plain data of the expected shape."""


# -- encoding (inside the program process) -------------------------------------------------
def encode(reply: list) -> bytes:
    """The JSON bytes of a reply; raises TypeError for values that are not plain data."""
    return json.dumps(_plain(reply), allow_nan=True, separators=(",", ":")).encode()


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return {"__tuple__": [_plain(v) for v in value]}
    if isinstance(value, (bytes, bytearray)):
        return {"__bytes__": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("a reply dict may only have str keys")
        if any(k.startswith("__") and k.endswith("__") for k in value):
            raise TypeError("a reply dict may not use dunder keys")
        return {k: _plain(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        name = type(value).__name__
        if REPLY_TYPES.get(name) is not type(value):
            raise TypeError(f"{name} is not a registered reply type")
        return {"__type__": name, "fields": {f.name: _plain(getattr(value, f.name))
                                             for f in dataclasses.fields(value)}}
    tolist = getattr(value, "tolist", None)  # numpy scalars and arrays
    if callable(tolist) and type(value).__module__ == "numpy":
        return _plain(tolist())
    raise TypeError(f"{type(value).__name__} is not plain data")


# -- decoding (in the parent) --------------------------------------------------------------
def decode(data: bytes) -> tuple[str, Any]:
    """``("ok", value)`` or ``("error", reason)`` from reply bytes; raises MalformedReply."""
    if len(data) > REPLY_LIMIT:
        raise MalformedReply(f"reply of {len(data)} bytes exceeds the {REPLY_LIMIT} byte limit")
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise MalformedReply(f"reply is not JSON ({type(exc).__name__})") from None
    if not (isinstance(raw, list) and len(raw) == 2 and raw[0] in ("ok", "error")):
        raise MalformedReply("reply is not [status, value]")
    if raw[0] == "error":
        if not isinstance(raw[1], str):
            raise MalformedReply("an error reply must carry a string")
        return "error", raw[1][:2000]
    try:
        return "ok", _build(raw[1])
    except RecursionError:
        raise MalformedReply("reply is nested too deeply") from None


def _build(value: Any) -> Any:
    if isinstance(value, list):
        return [_build(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__tuple__" in value:
        _only(value, "__tuple__", list)
        return tuple(_build(v) for v in value["__tuple__"])
    if "__bytes__" in value:
        _only(value, "__bytes__", str)
        try:
            return base64.b64decode(value["__bytes__"], validate=True)
        except ValueError:
            raise MalformedReply("bad base64 in a bytes value") from None
    if "__type__" in value:
        return _build_dataclass(value)
    if any(k.startswith("__") and k.endswith("__") for k in value):
        raise MalformedReply("unknown tagged value in reply")
    return {k: _build(v) for k, v in value.items()}


def _only(value: dict, key: str, kind: type) -> None:
    if len(value) != 1 or not isinstance(value[key], kind):
        raise MalformedReply(f"malformed {key} value in reply")


def _build_dataclass(value: dict) -> Any:
    if set(value) != {"__type__", "fields"} or not isinstance(value["fields"], dict):
        raise MalformedReply("malformed dataclass value in reply")
    cls = REPLY_TYPES.get(value["__type__"]) if isinstance(value["__type__"], str) else None
    if cls is None:
        raise MalformedReply(f"reply holds an unknown type {str(value['__type__'])[:60]!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    given = value["fields"]
    if set(given) - set(fields):
        raise MalformedReply(f"{cls.__name__} reply has unknown fields")
    built = {}
    for name, item in given.items():
        item = _build(item)
        if not _fits(item, fields[name].type):
            raise MalformedReply(f"{cls.__name__}.{name} has the wrong type "
                                 f"({type(item).__name__}, expected {fields[name].type})")
        built[name] = item
    try:
        return cls(**built)
    except TypeError as exc:
        raise MalformedReply(f"{cls.__name__} reply is incomplete: {exc}") from None


_CHECKS = {
    "bool": lambda v: isinstance(v, bool),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "str": lambda v: isinstance(v, str),
    "dict": lambda v: isinstance(v, dict),
    "tuple": lambda v: isinstance(v, tuple),
    "list": lambda v: isinstance(v, list),
    "None": lambda v: v is None,
}


def _fits(value: Any, annotation: Any) -> bool:
    """Whether ``value`` fits a field annotation such as ``"str | None"`` (unknown: anything)."""
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    options = [part.strip().split("[")[0] for part in text.split("|")]
    if not all(option in _CHECKS for option in options):
        return True  # Any, nested dataclasses, ...: checked by whoever reads the field
    if isinstance(value, float) and math.isnan(value) and "float" in options:
        return True
    return any(_CHECKS[option](value) for option in options)
