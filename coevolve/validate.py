"""Static checks of a generated program through ``ast``: a lint, not the wall.

Each check is a small function returning a list of reasons; a reason is phrased so that a person,
or an LLM repair prompt, can act on it early. What contains a program at run time is the sandbox
(:mod:`coevolve.sandbox`: namespaces, Landlock, seccomp, limits); a program that slips past these
checks is no more dangerous for it.
"""
from __future__ import annotations

import ast
from collections.abc import Iterable

from envs.api import SAFE_STDLIB

FORBIDDEN_MODULES = frozenset({
    "os", "sys", "subprocess", "socket", "shutil", "ctypes", "multiprocessing", "threading",
    "signal", "importlib", "builtins", "pathlib", "pickle", "marshal", "io", "gc", "inspect",
    "coevolve",
})
"""Modules no program may import, or use by name, whatever its domain allows."""

FORBIDDEN_CALLS = frozenset({
    "exec", "eval", "compile", "open", "__import__", "breakpoint", "input",
})
"""Builtins a program may not call."""

FORBIDDEN_ATTRIBUTES = frozenset({
    "__subclasses__", "__globals__", "__builtins__", "__bases__", "__mro__", "__code__",
    "__getattribute__", "__loader__", "__spec__", "f_globals", "f_locals", "f_back", "gi_frame",
})
"""Attributes that lead out of the program's own namespace."""


def validate_source(source: str, required_names: Iterable[str],
                    allowed_imports: Iterable[str] = ()) -> list[str]:
    """All reasons why ``source`` breaks its contract; an empty list means it passes.

    Args:
        source: the program text.
        required_names: top-level names the contract requires (e.g. ``("policy",)``).
        allowed_imports: top-level modules allowed beyond :data:`SAFE_STDLIB` (the domain's
            simulator package).
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return [f"syntax error at line {exc.lineno}: {exc.msg}"]
    allowed = SAFE_STDLIB | frozenset(allowed_imports)
    return (check_required_names(tree, required_names)
            + check_imports(tree, allowed)
            + check_forbidden_usage(tree))


def check_required_names(tree: ast.Module, required_names: Iterable[str]) -> list[str]:
    """Reasons for each required top-level name the module does not define."""
    defined = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            defined.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined.update((a.asname or a.name).split(".")[0] for a in node.names)
    return [f"the program must define `{name}` at top level, and it does not"
            for name in required_names if name not in defined]


def check_imports(tree: ast.Module, allowed: frozenset[str]) -> list[str]:
    """Reasons for each import outside the allow-list."""
    reasons = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                reasons.append(f"line {node.lineno}: relative imports are not allowed")
                continue
            modules = [node.module or ""]
        else:
            continue
        for module in modules:
            top = module.split(".")[0]
            if top not in allowed or top in FORBIDDEN_MODULES:
                reasons.append(f"line {node.lineno}: import of `{module}` is not allowed "
                               f"(allowed: {', '.join(sorted(allowed))})")
    return reasons


def check_forbidden_usage(tree: ast.Module) -> list[str]:
    """Reasons for calls of forbidden builtins and access to forbidden modules or attributes.

    A name counts as a module only where the program does not bind it itself: ``gr, gc =
    self.goal_rc`` makes ``gc`` a local value, not the ``gc`` module.
    """
    bound = bound_names(tree)
    reasons = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in FORBIDDEN_CALLS and node.id not in bound:
            reasons.append(f"line {node.lineno}: `{node.id}` is not allowed in a program")
        elif isinstance(node, ast.Name) and node.id in FORBIDDEN_MODULES and node.id not in bound:
            reasons.append(f"line {node.lineno}: access to the module `{node.id}` is not allowed")
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
            reasons.append(f"line {node.lineno}: attribute `{node.attr}` is not allowed")
    return reasons


def bound_names(tree: ast.Module) -> set[str]:
    """Every name the program binds to a value of its own (assignment targets, parameters,
    loop, with, except and comprehension variables, functions and classes); imports excluded."""
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            bound.add(node.name)
    return bound
