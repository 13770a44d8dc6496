"""Command-line flags generated from a config dataclass, help text from its field docstrings."""
from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import typing


def field_docs(cls) -> dict[str, str]:
    """The docstring written under each field of a dataclass, read with ``ast``."""
    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0].body
    docs = {}
    for node, following in zip(body, body[1:]):
        if (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                and isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)):
            docs[node.target.id] = following.value.value
    return docs


def add_config_flags(parser: argparse.ArgumentParser, cls, skip=(), choices=None) -> None:
    """One ``--field-name`` flag per dataclass field (default None: keep the config default)."""
    docs, hints, choices = field_docs(cls), typing.get_type_hints(cls), choices or {}
    for field in dataclasses.fields(cls):
        if field.name in skip:
            continue
        kind = hints[field.name]
        base = next((t for t in typing.get_args(kind) if t is not type(None)), kind)
        flag = "--" + field.name.replace("_", "-")
        help_text = f"{docs.get(field.name, '')} (default: {field.default})"
        if base is bool:  # --name / --no-name
            parser.add_argument(flag, dest=field.name, action=argparse.BooleanOptionalAction,
                                default=None, help=help_text)
            continue
        parser.add_argument(flag, dest=field.name, type=base, default=None,
                            choices=choices.get(field.name), help=help_text)


def config_from_args(cls, args: argparse.Namespace, **overrides):
    """A config with every flag the user gave, defaults elsewhere."""
    given = {f.name: getattr(args, f.name) for f in dataclasses.fields(cls)
             if getattr(args, f.name, None) is not None}
    return cls(**{**given, **overrides})
