"""The catalogue of MiniGrid policy building blocks and the assembly of programs from it.

The catalogue is ``blocks.py``: a complete policy program holding every block. A program built
from blocks names its behaviours in ``BEHAVIOURS`` and its settings in ``PARAMS``;
:func:`rebuild` rewrites those two assignments and then makes the module self-contained and
minimal: every top-level name it needs (transitively, starting from ``policy``, ``PARAMS`` and
the behaviours) is present once, and catalogue statements it no longer needs are dropped.
Statements a program defines itself (an edited behaviour, an author's helper) are kept as they are.
"""
from __future__ import annotations

import ast
import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from envs.codetools import bindings, closure, constant_assignments, preamble_end

BLOCKS_SOURCE: str = Path(__file__).with_name("blocks.py").read_text()
"""Source of the catalogue program."""

ROOTS = ("policy", "BEHAVIOURS", "PARAMS")
"""Top-level names every block program keeps."""


@dataclass(frozen=True)
class Catalogue:
    """The building blocks, parsed once from ``blocks.py``."""

    statements: tuple
    """Top-level statements of the catalogue program, in order."""
    behaviours: tuple
    """Names of the behaviour functions the search may insert."""
    params: dict
    """Default value of every parameter, in catalogue order."""


def param_keys(stmt: ast.stmt) -> set[str]:
    """Keys a statement reads from PARAMS, as ``PARAMS['key']`` or ``PARAMS.get('key', ...)``."""
    keys = set()
    for node in ast.walk(stmt):
        if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
                and node.value.id == "PARAMS" and isinstance(node.slice, ast.Constant)):
            keys.add(node.slice.value)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and isinstance(node.func.value, ast.Name) and node.func.value.id == "PARAMS"
              and node.func.attr == "get" and node.args and isinstance(node.args[0], ast.Constant)):
            keys.add(node.args[0].value)
    return keys


def find_assignment(module: ast.Module, name: str) -> ast.Assign | None:
    """The last top-level ``name = ...`` assignment of a module, or None."""
    return constant_assignments(module, [name]).get(name)


def read_spec(module: ast.Module) -> tuple[list[str], dict[str, Any]] | None:
    """``(BEHAVIOURS, PARAMS)`` of a block program; None if it defines neither.

    Raises:
        ValueError: if only one is defined, or either is not a literal of the right shape.
    """
    behaviours_node = find_assignment(module, "BEHAVIOURS")
    params_node = find_assignment(module, "PARAMS")
    if behaviours_node is None and params_node is None:
        return None
    if behaviours_node is None or params_node is None:
        missing = "BEHAVIOURS" if behaviours_node is None else "PARAMS"
        raise ValueError(f"block program defines only one of BEHAVIOURS and PARAMS; add {missing}")
    try:
        behaviours = ast.literal_eval(behaviours_node.value)
        params = ast.literal_eval(params_node.value)
    except ValueError as exc:
        raise ValueError("BEHAVIOURS and PARAMS must be plain literals (a list of names and a "
                         f"dict of constants): {exc}") from None
    if not isinstance(behaviours, (list, tuple)) or not all(isinstance(b, str) for b in behaviours):
        raise ValueError("BEHAVIOURS must be a list of behaviour function names (strings)")
    if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
        raise ValueError("PARAMS must be a dict with string keys")
    return list(behaviours), params


def _load_catalogue() -> Catalogue:
    """Parse ``blocks.py`` into a :class:`Catalogue`."""
    module = ast.parse(BLOCKS_SOURCE)
    behaviours, params = read_spec(module)
    return Catalogue(tuple(module.body), tuple(behaviours), params)


CATALOGUE: Catalogue = _load_catalogue()
"""The building blocks the offline policy designer draws on."""


_BLOCK_NAMES = tuple(frozenset(bindings(s)) for s in CATALOGUE.statements)
_BLOCK_INDEX = {names: index for index, names in enumerate(_BLOCK_NAMES) if names}
_CATALOGUE_NAMES = frozenset().union(*_BLOCK_NAMES)


def _reachable(statements: list[ast.stmt], roots: set[str]) -> set[str]:
    """Top-level names needed from ``roots``, resolving each name in the program first, then
    in the catalogue."""
    binders = {name: stmt for stmt in list(CATALOGUE.statements) + statements for name in bindings(stmt)}
    return set(closure(binders, sorted(roots)))


def rebuild(module: ast.Module, behaviours: list[str], params: dict[str, Any]) -> ast.Module:
    """A new module running ``behaviours`` with ``params``, self-contained and minimal.

    ``module`` is left unchanged; the result shares its untouched statements.

    Raises:
        ValueError: if a behaviour is neither defined by the module nor in the catalogue.
    """
    own = {name for stmt in module.body for name in bindings(stmt)}
    unknown = [b for b in behaviours if b not in own and b not in CATALOGUE.behaviours]
    if unknown:
        raise ValueError(f"unknown behaviour(s) {unknown}: define them in the program or use "
                         f"catalogue behaviours {list(CATALOGUE.behaviours)}")
    needed = _reachable(module.body, set(ROOTS) | set(behaviours))
    kept = [s for s in module.body
            if not (bindings(s) & _CATALOGUE_NAMES) or bindings(s) & needed]
    present = {name for stmt in kept for name in bindings(stmt)}
    for index, names in enumerate(_BLOCK_NAMES):
        if not names or not (names & needed) or names & present:
            continue
        at = next((i for i, s in enumerate(kept)
                   if _BLOCK_INDEX.get(frozenset(bindings(s)), -1) > index), len(kept))
        kept.insert(at, copy.deepcopy(CATALOGUE.statements[index]))
        present |= names
    keys = set().union(*(param_keys(s) for s in kept))
    merged = {k: params.get(k, CATALOGUE.params.get(k)) for k in CATALOGUE.params if k in keys}
    merged.update({k: v for k, v in params.items() if k not in CATALOGUE.params})
    result = ast.Module(body=kept, type_ignores=[])
    for name, value in (("BEHAVIOURS", list(behaviours)), ("PARAMS", merged)):
        assignment = ast.Assign(targets=[ast.Name(name, ast.Store())],
                                value=ast.parse(repr(value), mode="eval").body)
        old = find_assignment(result, name)
        if old is None:
            result.body.insert(preamble_end(result), assignment)
        else:
            result.body[result.body.index(old)] = ast.copy_location(assignment, old)
        ast.fix_missing_locations(assignment)
    return result


def assemble_policy(behaviours: list[str] | tuple[str, ...], params: dict | None = None) -> str:
    """Source of a self-contained policy program trying ``behaviours`` in order.

    Args:
        behaviours: catalogue behaviour names, first tried first.
        params: parameter overrides; missing parameters take the catalogue defaults.

    Raises:
        ValueError: for a behaviour name the catalogue does not hold.
    """
    unknown = [b for b in behaviours if b not in CATALOGUE.behaviours]
    if unknown:
        raise ValueError(f"unknown behaviour(s) {unknown}; the catalogue offers "
                         f"{list(CATALOGUE.behaviours)}")
    bad = [k for k in (params or {}) if k not in CATALOGUE.params]
    if bad:
        raise ValueError(f"unknown parameter(s) {bad}; the catalogue offers "
                         f"{list(CATALOGUE.params)}")
    module = ast.Module(body=list(CATALOGUE.statements), type_ignores=[])
    return ast.unparse(rebuild(module, list(behaviours), dict(params or {}))) + "\n"
