"""Excerpt answers put back together with the parent program through ``ast``.

Models often answer with less than a whole program: only the changed function, helpers
written as ``...  # unchanged``, a program split over several blocks, or a full program
followed by a "key change" excerpt. :func:`assemble` merges the blocks, in order, into the
parent program: a definition replaces the parent's of the same name (a class's methods are
merged the same way when the class elides some), an elided definition keeps the parent's,
new imports go after the parent's, new constants before its first definition, new functions
and classes at the end. What cannot be placed soundly raises :class:`ExtractionError` with a
reason a model can act on: an elided definition the parent does not have, a body that leaves
only part of itself out, statements outside any definition.
"""
from __future__ import annotations

import ast
import builtins
import copy
from collections.abc import Sequence

from coevolve.validate import check_required_names

DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
IMPORTS = (ast.Import, ast.ImportFrom)


class ExtractionError(ValueError):
    """No program could be taken from the answer; the message says why, for a repair request."""


def is_ellipsis(node: ast.stmt) -> bool:
    """Whether a statement is a bare ``...``."""
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and node.value.value is Ellipsis)


def _body(node) -> list[ast.stmt]:
    """A definition's body without its docstring."""
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return body


def is_elided(node: ast.stmt) -> bool:
    """A definition whose whole body is ``...`` (its docstring aside): "unchanged"."""
    return isinstance(node, DEFINITIONS) and [is_ellipsis(s) for s in _body(node)] == [True]


def partly_elided(node: ast.stmt) -> bool:
    """A function that leaves out part of its body with a ``...`` statement among others."""
    if isinstance(node, ast.ClassDef):
        return any(partly_elided(s) for s in node.body)
    return (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and len(_body(node)) > 1
            and any(is_ellipsis(s) for s in _body(node)))


def defined_name(node: ast.stmt) -> str | None:
    """The name a top-level statement defines (def, class, ``NAME = ...``), if one."""
    if isinstance(node, DEFINITIONS):
        return node.name
    targets = node.targets if isinstance(node, ast.Assign) else (
        [node.target] if isinstance(node, ast.AnnAssign) else [])
    if len(targets) == 1 and isinstance(targets[0], ast.Name):
        return targets[0].id
    return None


def free_names(tree: ast.Module) -> set[str]:
    """Names the module reads but never binds (nor are builtins): what it expects elsewhere."""
    loaded, bound = set(), set(dir(builtins))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (*DEFINITIONS, )):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, IMPORTS):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bound.update(node.names)
    return loaded - bound


def top_names(tree: ast.Module) -> set[str]:
    """Names a module binds at top level."""
    names = {defined_name(n) for n in tree.body} - {None}
    for node in tree.body:
        if isinstance(node, IMPORTS):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def is_example(tree: ast.Module) -> bool:
    """A block with no definitions that runs code (a usage example, not part of the program)."""
    if any(isinstance(n, DEFINITIONS) for n in tree.body):
        return False
    return any(not isinstance(n, IMPORTS) and not (
        isinstance(n, (ast.Assign, ast.AnnAssign)) and defined_name(n)
        and not any(isinstance(c, ast.Call) for c in ast.walk(n))) for n in tree.body)


def needs_parent(tree: ast.Module, parent: ast.Module | None, required: Sequence[str]) -> bool:
    """Whether a single block is an excerpt of the parent rather than a whole program."""
    if any(is_ellipsis(n) or is_elided(n) or (isinstance(n, ast.ClassDef) and any(
            is_elided(m) or is_ellipsis(m) for m in n.body)) for n in tree.body):
        return True
    if parent is None:
        return False
    if check_required_names(tree, required):
        return bool(top_names(parent) & set(required))
    return bool(free_names(tree) & top_names(parent))


def assemble(blocks: Sequence[str], parent: str | None, required: Sequence[str]) -> tuple[str, str | None]:
    """The program the answer's blocks mean, and a note when it was reassembled.

    Args:
        blocks: the answer's code blocks, each parsing, in order.
        parent: the program the answer modifies (None: there is none to fall back on).
        required: the contract's top-level names.

    Raises:
        ExtractionError: the blocks cannot be placed soundly (see the module docstring).
    """
    trees = [ast.parse(b) for b in blocks]
    if any(partly_elided(n) for tree in trees for n in tree.body):
        name = next(n.name for tree in trees for n in tree.body if partly_elided(n))
        raise ExtractionError(f"`{name}` leaves part of its body out with `...`; answer with the "
                              f"complete program, every function written out in full")
    kept = [(b, t) for b, t in zip(blocks, trees) if not is_example(t)] or list(zip(blocks, trees))
    parent_tree = ast.parse(parent) if parent else None
    if len(kept) == 1 and not needs_parent(kept[0][1], parent_tree, required):
        return kept[0][0].strip("\n") + "\n", None
    base = copy.deepcopy(parent_tree) if parent_tree is not None else ast.Module([], [])
    from_parent = set(top_names(base))
    for number, (_, tree) in enumerate(kept, 1):
        _merge(base.body, tree.body, number, len(kept), from_parent)
    missing = check_required_names(base, required)
    if missing:
        raise ExtractionError("; ".join(missing))
    source = ast.unparse(ast.fix_missing_locations(base)) + "\n"
    kept_names = sorted(from_parent & top_names(base))
    note = (f"reassembled from {len(kept)} block{'s' * (len(kept) > 1)}"
            + (f" with the parent's {', '.join(kept_names)}" if kept_names and parent_tree
               else ""))
    return source, note


def _merge(base: list[ast.stmt], new: list[ast.stmt], number: int, blocks: int,
           from_parent: set[str]) -> None:
    """Merge the statements ``new`` into the body ``base`` (module or class), in place."""
    where = f"block {number} of your answer" if blocks > 1 else "your answer"
    for node in new:
        if is_ellipsis(node):
            continue
        if isinstance(node, IMPORTS):
            if ast.dump(node) not in {ast.dump(n) for n in base}:
                last = max((i for i, n in enumerate(base) if isinstance(n, IMPORTS)), default=-1)
                base.insert(last + 1, node)
            continue
        name = defined_name(node)
        old = next((i for i, n in enumerate(base) if name and defined_name(n) == name), None)
        if name is None:
            if ast.dump(node) in {ast.dump(n) for n in base}:
                continue
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                continue  # a docstring or a stray string
            raise ExtractionError(
                f"{where} has a statement outside any definition at line {node.lineno} "
                f"(`{ast.unparse(node).splitlines()[0][:60]}`) that cannot be placed into the "
                f"program; answer with the complete program in one block")
        if is_elided(node):
            if old is None:
                raise ExtractionError(f"`{name}` is elided with `...` but the current program has "
                                      f"no `{name}` to keep; write it out in full")
            continue
        if old is None:
            from_parent.discard(name)
            if isinstance(node, DEFINITIONS):
                base.append(node)
            else:
                first = next((i for i, n in enumerate(base) if isinstance(n, DEFINITIONS)),
                             len(base))
                base.insert(first, node)
            continue
        from_parent.discard(name)
        previous = base[old]
        if isinstance(node, ast.ClassDef) and isinstance(previous, ast.ClassDef) and any(
                is_elided(m) or is_ellipsis(m) for m in node.body):
            merged = copy.deepcopy(previous)
            merged.bases, merged.keywords = node.bases, node.keywords
            merged.decorator_list = node.decorator_list
            _merge(merged.body, node.body, number, blocks, set())
            base[old] = merged
        else:
            base[old] = node
