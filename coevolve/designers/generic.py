"""Generic ``ast`` operators: how the offline designer continues from any valid program.

The domains' structured operators edit the programs they built (MiniGrid levels made of
recipes, block policies, PyGame layout and genome programs). A program written by hand or by
an LLM is edited here instead, by one of:

- ``perturb``: move a *tunable* numeric constant a small step;
- ``reorder``: swap two consecutive ``if`` rules of a function that each end in ``return``
  (a priority change);
- ``bound``: make an ordering comparison strict or loose (``<`` <-> ``<=``).

A constant is tunable only where it reads as a quantity: a float, or an int other than 0/±1
that bounds a ``range``, is compared with ``<``/``>``, scales an expression, or is assigned
to a name that says size, limit, steps, radius and the like. Constants that are contract
indices are never edited: anything compared with ``==``/``!=``/``in`` (object, colour and state
codes), used as a subscript (``obs[x, y, 0]``), returned (action numbers), inside a set or
dict, or assigned to a name that says index, code, action, colour, object, state or
direction.

Edits go through :class:`envs.codetools.Draft`, so the program's comments and layout survive.
"""
from __future__ import annotations

import ast
import re

import numpy as np

from envs.codetools import Draft

QUANTITY = re.compile(r"SIZE|MAX|MIN|LIMIT|STEP|DEPTH|WIDTH|HEIGHT|COUNT|BUDGET|RADIUS|MARGIN|"
                      r"HORIZON|PATIENCE|THRESH|SPEED|GAP|NUM|^N_|LEN|DIST|SCALE|WEIGHT|RATE|"
                      r"PROB|SEPARATION|DENSITY|ROOMS|WALLS", re.I)
"""Names whose value is a quantity an operator may tune."""
INDEX = re.compile(r"IDX|INDEX|CODE|ACTION|COLOR|COLOUR|OBJECT|STATE|DIR|TYPE|GOAL|WALL|DOOR|"
                   r"KEY|BALL|BOX|LAVA|LEFT|RIGHT|FORWARD|PICK|DROP|TOGGLE|DONE|EMPTY|FLOOR|"
                   r"OPEN|CLOSED|LOCKED|UNSEEN|AGENT|NORTH|SOUTH|EAST|WEST", re.I)
"""Names whose value is a contract index: never edited."""
ORDERING = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
FLIP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt}


def _parents(tree: ast.AST) -> dict:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _assigned_name(node: ast.AST, parents: dict) -> str | None:
    """The name a constant is (part of) the value of, in ``NAME = ...``, if any."""
    while node in parents:
        parent = parents[node]
        if isinstance(parent, (ast.Assign, ast.AnnAssign)):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            names = [t.id if isinstance(t, ast.Name) else getattr(t, "attr", None)
                     for t in targets]
            return next((n for n in names if n), None)
        if isinstance(parent, ast.keyword):
            return parent.arg
        if isinstance(parent, ast.stmt):
            return None
        node = parent
    return None


def is_contract_index(node: ast.Constant, parents: dict) -> bool:
    """Whether a numeric constant may be a code of the contract (see the module docstring)."""
    child = node
    while child in parents:
        parent = parents[child]
        if isinstance(parent, ast.Compare) and any(
                isinstance(op, (ast.Eq, ast.NotEq, ast.In, ast.NotIn, ast.Is, ast.IsNot))
                for op in parent.ops):
            return True
        if isinstance(parent, ast.Subscript) and child is parent.slice or \
                isinstance(parent, (ast.Return, ast.Set, ast.Dict)):
            return True
        if isinstance(parent, (ast.stmt, ast.Lambda)):
            break
        child = parent
    name = _assigned_name(node, parents)
    return bool(name and INDEX.search(name) and not QUANTITY.search(name))


def tunable_constants(tree: ast.AST) -> list[ast.Constant]:
    """The numeric constants an operator may perturb, in source order."""
    parents, found = _parents(tree), []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
                and not isinstance(node.value, bool)) or is_contract_index(node, parents):
            continue
        if isinstance(node.value, float):
            found.append(node)
            continue
        if node.value in (0, 1, -1):
            continue
        parent = parents.get(node)
        name = _assigned_name(node, parents)
        if (isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name)
                and parent.func.id == "range") or \
                (isinstance(parent, ast.Compare) and all(isinstance(o, ORDERING) for o in parent.ops)) or \
                isinstance(parent, ast.BinOp) or (name and QUANTITY.search(name)):
            found.append(node)
    return sorted(found, key=lambda n: (n.lineno, n.col_offset))


def _rules(tree: ast.AST) -> list[tuple[list, int]]:
    """(body, i) where body[i] and body[i + 1] are ``if`` rules ending in ``return``."""
    def rule(stmt):
        return (isinstance(stmt, ast.If) and not stmt.orelse
                and isinstance(stmt.body[-1], ast.Return))
    pairs = []
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.FunctionDef, ast.If, ast.For, ast.While)) and body:
            pairs += [(body, i) for i in range(len(body) - 1) if rule(body[i]) and rule(body[i + 1])]
    return pairs


def _comparisons(tree: ast.AST) -> list[ast.Compare]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Compare) and len(n.ops) == 1
            and isinstance(n.ops[0], ORDERING)]


def _step(value, rng: np.random.Generator):
    if isinstance(value, float):
        return round(value * float(rng.uniform(0.7, 1.4)), 4) or value / 2
    delta = int(rng.choice([-2, -1, 1, 2]))
    return max(2, value + delta) if value > 0 else value + delta


def mutate_generic(source: str, rng: np.random.Generator) -> tuple[str, str]:
    """One generic edit of any program; raises ValueError if none applies."""
    draft = Draft(source)
    tree = draft.tree
    constants, rules, comparisons = tunable_constants(tree), _rules(tree), _comparisons(tree)
    operators = [name for name, items in (("perturb", constants), ("reorder", rules),
                                          ("bound", comparisons)) if items]
    if not operators:
        raise ValueError("no generic operator applies: the program has no tunable constant, "
                         "no pair of if-return rules and no ordering comparison")
    name = operators[int(rng.integers(len(operators)))]
    if name == "perturb":
        node = constants[int(rng.integers(len(constants)))]
        old, node.value = node.value, _step(node.value, rng)
        note = f"perturb constant {old} -> {node.value} at line {node.lineno}"
    elif name == "reorder":
        body, i = rules[int(rng.integers(len(rules)))]
        line = body[i].lineno
        body[i], body[i + 1] = body[i + 1], body[i]
        note = f"swap the if-rules at line {line}"
    else:
        node = comparisons[int(rng.integers(len(comparisons)))]
        old = type(node.ops[0])
        node.ops = [FLIP[old]()]
        note = f"comparison at line {node.lineno}: {old.__name__} -> {FLIP[old].__name__}"
    return draft.render(), f"generic {note}"
