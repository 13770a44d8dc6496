"""Take a run's MSNE meta-policy out: one standalone module, or an object in this process.

The module is :mod:`coevolve.meta_policy` with the run's ``DOMAIN``, ``WEIGHTS`` (the support of
the MSNE at the chosen iteration) and ``SOURCES`` (each support policy's archived program)
written in; it imports only numpy and what the policy programs import.
"""
from __future__ import annotations

import ast
import json
import types
from pathlib import Path

from coevolve.errors import UserInputError
from coevolve.recorder import Recorder
from coevolve.records import IterationRecord
from coevolve.store import RunStore, write_atomic

SUPPORT_WEIGHT = 1e-9
"""Policies with an MSNE weight at or below this are not part of the support."""


def meta_policy_source(root: str, iteration: int | None = None) -> str:
    """The exported module's text for the MSNE of ``iteration`` (default: the last logged)."""
    recorder = Recorder(RunStore(root))
    domain = recorder.store.load_config()["domain"]
    records = recorder.iterations()
    if not records:
        raise UserInputError(f"{root} has no finished iteration to export")
    record = _record_at(records, iteration, root)
    weights = {label: w for label, w in record.msne.items() if w > SUPPORT_WEIGHT}
    total = sum(weights.values())
    weights = {label: w / total for label, w in sorted(weights.items())}
    entries = {r.policy.label: r.policy for r in records if r.policy}
    sources = {label: recorder.archived("policy", entries[label], domain).source
               for label in weights}
    header = (f'"""MSNE meta-policy of the coevolve run {Path(root).name!r}, iteration '
              f'{record.iteration} ({domain}): {len(weights)} support policies.\n\n'
              f"    from this_module import MetaPolicy\n"
              f"    meta = MetaPolicy(seed=0)\n"
              f"    meta.play(env, seed=0)  # one episode on a gymnasium environment\n"
              f'"""\n')
    constants = {"DOMAIN": repr(domain), "WEIGHTS": json.dumps(weights, indent=4),
                 "SOURCES": _sources_literal(sources)}
    return header + _template_with(constants)


def write_meta_policy(root: str, out: str, iteration: int | None = None) -> str:
    """Write the exported module to ``out``; returns its path."""
    write_atomic(out, meta_policy_source(root, iteration))
    return out


def load_meta_policy(root: str, iteration: int | None = None, seed: int = 0):
    """The run's meta-policy as an object (the exported module, executed in memory)."""
    module = types.ModuleType("coevolve_meta_policy")
    exec(compile(meta_policy_source(root, iteration), "<meta-policy>", "exec"), module.__dict__)
    return module.MetaPolicy(seed)


def _record_at(records: list[IterationRecord], iteration: int | None,
               root: str) -> IterationRecord:
    if iteration is None:
        return records[-1]
    for record in records:
        if record.iteration == iteration:
            return record
    raise UserInputError(f"{root} has no iteration {iteration} "
                         f"(logged: 0..{records[-1].iteration})")


def _sources_literal(sources: dict[str, str]) -> str:
    """``{label: source}`` as a dict literal whose programs read as code (triple-quoted)."""
    items = "".join(f"    {label!r}: {_readable_string(text)},\n" for label, text in sources.items())
    return "{\n" + items + "}"


def _readable_string(text: str) -> str:
    """A triple-quoted literal of ``text`` (its repr where that cannot be exact)."""
    body = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"').replace("\r", "\\r")
    if body.endswith('"'):
        body = body[:-1] + '\\"'
    literal = f'"""{body}"""'
    try:
        exact = ast.literal_eval(literal) == text
    except (SyntaxError, ValueError):
        exact = False
    return literal if exact else repr(text)


def _template_with(constants: dict[str, str]) -> str:
    """:mod:`coevolve.meta_policy` without its docstring, its constants replaced."""
    template = Path(__file__).with_name("meta_policy.py").read_text(encoding="utf-8")
    tree = ast.parse(template)
    lines = template.splitlines(keepends=True)
    for node in reversed(tree.body):
        target = node.targets[0].id if isinstance(node, ast.Assign) else None
        if target in constants:
            lines[node.lineno - 1:node.end_lineno] = [f"{target} = {constants[target]}\n"]
    docstring = tree.body[0]
    return "".join(lines[docstring.end_lineno:]).lstrip("\n")
