"""Genetic-programming operators over the trainable functions of an Atari policy program.

Only functions decorated ``@trainable`` are edited, through their ``ast``. Expressions are typed
loosely so that most offspring run: *numbers* (numeric constants, ``value(obs, NAME, KEY)``
look-ups of the observation dict, arithmetic over them) and a function's *return kind* (a fixed
set of choices such as action indices, a boolean, or a number), read from its existing returns.

Terms of new expressions are observation look-ups, constants and the game's *primitives*:
calls of the starter's helper functions such as ``land(obs, "Ball", "x", 140, 31, 193)`` (ball
extrapolation with wall bounces). The game's context (object names, primitives, the strength of
constant steps) travels in a :class:`PolicyMutator`, so that mutation keeps the
``(source, rng)`` signature of every domain: ``PolicyMutator(objects, primitives,
strength).mutate(source, rng)``.

Operators: constant perturbation (its step scaled by ``strength``), subtree replacement from
typed terms, primitive insertion (a numeric sub-expression becomes ``primitive + c``), offsets
(``expression + c``), comparison flip, branch insertion, and crossover between two programs.
Every choice is drawn from the passed ``numpy.random.Generator``, so the same seed gives the
same offspring. Edits go through :class:`envs.codetools.Draft`: the rest of the program, its
comments included, is kept as it was.
"""
from __future__ import annotations

import ast
import copy
from dataclasses import dataclass, replace

import numpy as np

from envs.codetools import Draft, Operator, Registry

KEYS = ("x", "y", "dx", "dy")
"""Fields of an observation object used in new ``value(obs, NAME, KEY)`` primitives (w and h
are constant per object, so a constant serves)."""

SCALES = (-2.0, -1.0, 0.5, 2.0, 3.0, 5.0, 8.0)
"""Factors of the scaled terms of random expressions."""

MAX_NODES = 400
"""Offspring whose trainable function grows beyond this many AST nodes are discarded."""

_ARITH = (ast.Add, ast.Sub, ast.Mult)
_COMPARE = (ast.Lt, ast.Gt, ast.LtE, ast.GtE)
_FLIP = {ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.Gt: ast.LtE, ast.LtE: ast.Gt}


def trainable_functions(tree: ast.Module) -> list[ast.FunctionDef]:
    """Top-level functions decorated with ``@trainable``, in source order."""
    return [node for node in tree.body if isinstance(node, ast.FunctionDef)
            and any(isinstance(d, ast.Name) and d.id == "trainable" for d in node.decorator_list)]


def trainable_names(source: str) -> list[str]:
    """Names of the trainable functions of a program source."""
    return [f.name for f in trainable_functions(ast.parse(source))]


def _is_number_constant(node) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
            and not isinstance(node.value, bool))


def _is_value_call(node) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "value" and len(node.args) == 3)


def _is_choice_literal(node) -> bool:
    return _is_number_constant(node) or (isinstance(node, ast.UnaryOp)
                                         and isinstance(node.op, ast.USub)
                                         and _is_number_constant(node.operand))


NUMBER_CALLS = frozenset({"value", "land", "rest", "nearest", "clamp", "offset", "dodge",
                          "column"})
"""Helper functions of the starters whose calls are numbers (sub-expressions to replace)."""


def _is_number_call(node) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in NUMBER_CALLS)


def _choice_constants(function: ast.FunctionDef) -> list[ast.AST]:
    """Literals that are choices (returned directly or listed in ``random.choice``), in order."""
    found = []
    for node in ast.walk(function):
        roots = []
        if isinstance(node, ast.Return) and node.value is not None:
            roots.append(node.value)
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "choice"):
            roots.extend(node.args)
        for root in roots:
            stack = [root]
            while stack:
                item = stack.pop()
                if _is_choice_literal(item):
                    found.append(item)
                elif isinstance(item, (ast.IfExp, ast.List, ast.Tuple)):
                    stack.extend(ast.iter_child_nodes(item))
    return found


def _number_nodes(function: ast.FunctionDef) -> list[ast.AST]:
    """Numeric sub-expressions that may be replaced: constants, look-ups, arithmetic."""
    choices = {id(c) for c in _choice_constants(function)}
    choices |= {id(c.operand) for c in _choice_constants(function) if isinstance(c, ast.UnaryOp)}
    nodes = []
    for node in ast.walk(function):
        if _is_number_call(node) or (isinstance(node, ast.BinOp) and isinstance(node.op, _ARITH)):
            nodes.append(node)
        elif _is_number_constant(node) and id(node) not in choices:
            nodes.append(node)
    return nodes


def return_kind(function: ast.FunctionDef) -> tuple[str, tuple]:
    """``("choice", values)``, ``("bool", ())`` or ``("number", ())`` from the function's returns."""
    values = sorted({ast.literal_eval(c) for c in _choice_constants(function)})
    if values:
        return "choice", tuple(values)
    for node in ast.walk(function):
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Compare):
            return "bool", ()
    return "number", ()


def _value(obj: str, key: str) -> ast.Call:
    return ast.Call(func=ast.Name("value", ast.Load()),
                    args=[ast.Name("obs", ast.Load()), ast.Constant(obj), ast.Constant(key)],
                    keywords=[])


PRIMITIVE_RATE = 0.25
"""Probability that a new term is a primitive call (when the game has primitives)."""


def primitive(rng: np.random.Generator, primitives: tuple[str, ...]) -> ast.AST:
    """One of the primitive call expressions, parsed."""
    return ast.parse(primitives[int(rng.integers(len(primitives)))], mode="eval").body


def random_term(rng: np.random.Generator, game: PolicyMutator) -> ast.AST:
    """A look-up ``value(obs, NAME, KEY)``, a primitive call, or an integer constant."""
    if game.primitives and rng.random() < PRIMITIVE_RATE:
        return primitive(rng, game.primitives)
    if game.objects and rng.random() < 0.6:
        return _value(str(rng.choice(game.objects)), str(rng.choice(KEYS)))
    return ast.Constant(int(rng.integers(-10, 11)) if rng.random() < 0.6
                        else int(rng.integers(0, 200)))


def random_number(rng: np.random.Generator, game: PolicyMutator, depth: int = 2) -> ast.AST:
    """A random numeric expression: sums and differences of terms, scaled by small factors."""
    if depth <= 0 or rng.random() < 0.35:
        return random_term(rng, game)
    left = random_number(rng, game, depth - 1)
    if rng.random() < 0.3:
        return ast.BinOp(left, ast.Mult(), ast.Constant(float(rng.choice(SCALES))))
    op = ast.Add() if rng.random() < 0.5 else ast.Sub()
    return ast.BinOp(left, op, random_number(rng, game, depth - 1))


def random_condition(rng: np.random.Generator, game: PolicyMutator) -> ast.Compare:
    """A random comparison of two numeric expressions."""
    op = _COMPARE[int(rng.integers(len(_COMPARE)))]()
    return ast.Compare(random_number(rng, game, 1), [op], [random_number(rng, game, 1)])


def random_return(rng, function: ast.FunctionDef, game: PolicyMutator) -> ast.Return:
    """A return statement of the function's return kind."""
    kind, values = return_kind(function)
    if kind == "choice":
        return ast.Return(ast.Constant(values[int(rng.integers(len(values)))]))
    if kind == "bool":
        return ast.Return(ast.Constant(bool(rng.random() < 0.5)))
    return ast.Return(random_number(rng, game))


def _replace(function: ast.FunctionDef, old: ast.AST, new: ast.AST) -> None:
    """Put ``new`` where ``old`` sits inside ``function``."""
    for parent in ast.walk(function):
        for name, field in ast.iter_fields(parent):
            if field is old:
                setattr(parent, name, new)
                return
            if isinstance(field, list):
                for i, item in enumerate(field):
                    if item is old:
                        field[i] = new
                        return
    raise AssertionError("node to replace is not in the function")


def perturb_constant(function, rng, game: PolicyMutator) -> str | None:
    """Add a Gaussian step (scaled by ``strength``) to a numeric constant, or pick another
    value of a choice."""
    numbers = [n for n in _number_nodes(function) if _is_number_constant(n)]
    choices = _choice_constants(function)
    pool = numbers + choices
    if not pool:
        return None
    index = int(rng.integers(len(pool)))
    node = pool[index]
    old = ast.literal_eval(node)
    if index >= len(numbers):
        values = sorted({ast.literal_eval(c) for c in choices} - {old})
        if not values:
            return None
        new = values[int(rng.integers(len(values)))]
    else:
        step = rng.normal(0.0, max(1.0, abs(old) * 0.3) * game.strength)
        new = int(round(old + step)) if isinstance(old, int) else round(old + step, 3)
        if new == old:
            new = old + (1 if step >= 0 else -1)
    _replace(function, node, ast.Constant(new))
    return f"{function.name}: constant {old!r} -> {new!r}"


def replace_subtree(function, rng, game: PolicyMutator) -> str | None:
    """Replace a numeric sub-expression by a random one, or wrap it in arithmetic."""
    nodes = _number_nodes(function)
    if not nodes:
        return None
    old = nodes[int(rng.integers(len(nodes)))]
    if rng.random() < 0.6:
        new = ast.BinOp(copy.deepcopy(old), ast.Add() if rng.random() < 0.5 else ast.Sub(),
                        random_number(rng, game, 1))
    else:
        new = random_number(rng, game)
    _replace(function, old, new)
    return f"{function.name}: {ast.unparse(old)} -> {ast.unparse(new)}"


def insert_primitive(function, rng, game: PolicyMutator) -> str | None:
    """Replace a numeric sub-expression by ``primitive + c`` (c a small integer, maybe 0)."""
    nodes = _number_nodes(function)
    if not nodes or not game.primitives:
        return None
    old = nodes[int(rng.integers(len(nodes)))]
    offset = int(round(rng.normal(0.0, 3.0 * game.strength)))
    new = primitive(rng, game.primitives)
    if offset:
        new = ast.BinOp(new, ast.Add() if offset > 0 else ast.Sub(), ast.Constant(abs(offset)))
    _replace(function, old, new)
    return f"{function.name}: {ast.unparse(old)} -> {ast.unparse(new)}"


def add_offset(function, rng, game: PolicyMutator) -> str | None:
    """Shift a look-up, primitive or arithmetic sub-expression by a small integer ``c``."""
    nodes = [n for n in _number_nodes(function) if not _is_number_constant(n)]
    if not nodes:
        return None
    old = nodes[int(rng.integers(len(nodes)))]
    offset = int(round(rng.normal(0.0, 4.0 * game.strength))) or int(rng.choice([-1, 1]))
    new = ast.BinOp(copy.deepcopy(old), ast.Add() if offset > 0 else ast.Sub(),
                    ast.Constant(abs(offset)))
    _replace(function, old, new)
    return f"{function.name}: {ast.unparse(old)} -> {ast.unparse(new)}"


def flip_comparison(function, rng, game: PolicyMutator) -> str | None:
    """Turn one ``<``/``>``/``<=``/``>=`` into its negation."""
    compares = [n for n in ast.walk(function) if isinstance(n, ast.Compare)
                and type(n.ops[0]) in _FLIP]
    if not compares:
        return None
    node = compares[int(rng.integers(len(compares)))]
    old = ast.unparse(node)
    node.ops[0] = _FLIP[type(node.ops[0])]()
    return f"{function.name}: {old} -> {ast.unparse(node)}"


def insert_branch(function, rng, game: PolicyMutator) -> str | None:
    """Insert ``if <random comparison>: return <value of the function's return kind>``."""
    body = function.body
    start = 1 if body and isinstance(body[0], ast.Expr) and isinstance(
        getattr(body[0], "value", None), ast.Constant) else 0
    position = int(rng.integers(start, len(body))) if len(body) > start else start
    branch = ast.If(test=random_condition(rng, game), body=[random_return(rng, function, game)], orelse=[])
    body.insert(position, branch)
    return f"{function.name}: inserted `{ast.unparse(branch).splitlines()[0]} ...`"


def _operand_key(node) -> str:
    """The operand without a trailing ``+ c`` / ``- c`` (``b + 4`` and ``b - 4`` bound one band)."""
    if (isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub))
            and _is_number_constant(node.right)):
        node = node.left
    return ast.dump(node)


def matched_margin(function, rng, game: PolicyMutator) -> str | None:
    """A matched edit of two comparisons that share both operands, up to a constant offset
    (``a > b`` and ``a < b``, or ``a > b + 4`` and ``a < b - 4``):
    widen (or narrow) the band between them by ``c`` on each side, or shift both by ``c``.

    One edit opens a dead zone or moves a target, which two independent mutations would have to
    find together (each alone makes the policy worse).
    """
    compares = [n for n in ast.walk(function) if isinstance(n, ast.Compare)
                and len(n.ops) == 1 and type(n.ops[0]) in _FLIP]
    pairs = []
    for i, first in enumerate(compares):
        for second in compares[i + 1:]:
            same = (_operand_key(first.left) == _operand_key(second.left)
                    and _operand_key(first.comparators[0]) == _operand_key(second.comparators[0]))
            if same and isinstance(first.ops[0], (ast.Gt, ast.GtE)) != isinstance(
                    second.ops[0], (ast.Gt, ast.GtE)):
                pairs.append((first, second))
    if not pairs:
        return None
    first, second = pairs[int(rng.integers(len(pairs)))]
    size = int(round(abs(rng.normal(0.0, 3.0 * game.strength)))) or 1
    widen = rng.random() < 0.7
    for node in (first, second):
        upward = isinstance(node.ops[0], (ast.Gt, ast.GtE))  # left > right: raise right
        sign = (1 if upward else -1) if widen else 1
        shift = size * sign
        node.comparators[0] = ast.BinOp(node.comparators[0], ast.Add() if shift > 0
                                        else ast.Sub(), ast.Constant(abs(shift)))
    kind = "band widened" if widen else "both thresholds shifted"
    return f"{function.name}: matched edit, {kind} by {size}: {ast.unparse(first)} / " \
        f"{ast.unparse(second)}"


def lead_motion(function, rng, game: PolicyMutator) -> str | None:
    """Replace a look-up ``value(obs, N, "x")`` (or "y") by ``value(obs, N, "x") +
    value(obs, N, "dx") * c``: where the object will be ``c`` steps ahead."""
    lookups = [n for n in ast.walk(function) if _is_value_call(n)
               and isinstance(n.args[2], ast.Constant) and n.args[2].value in ("x", "y")]
    if not lookups:
        return None
    old = lookups[int(rng.integers(len(lookups)))]
    steps = round(float(rng.choice([0.5, 1.0, 1.5, 2.0, 3.0])) * (1 if rng.random() < 0.8 else -1),
                  2)
    speed = _value(old.args[1].value, "d" + old.args[2].value)
    new = ast.BinOp(copy.deepcopy(old), ast.Add(), ast.BinOp(speed, ast.Mult(),
                                                              ast.Constant(steps)))
    _replace(function, old, new)
    return f"{function.name}: {ast.unparse(old)} -> {ast.unparse(new)}"


OPERATORS = Registry(Operator(op.__name__, op, weight) for op, weight in (
    (perturb_constant, 0.28), (replace_subtree, 0.17), (insert_primitive, 0.1), (add_offset, 0.12),
    (flip_comparison, 0.05), (insert_branch, 0.12), (matched_margin, 0.1), (lead_motion, 0.06)))
"""The operators ``(function, rng, game) -> description | None``, each edit confined to one
trainable function, with their relative chances."""


def _size_ok(tree: ast.Module) -> bool:
    return all(sum(1 for _ in ast.walk(f)) <= MAX_NODES for f in trainable_functions(tree))


def _parse(source: str) -> Draft:
    try:
        return Draft(source)
    except SyntaxError as exc:
        raise ValueError(f"the policy program does not parse (line {exc.lineno}): {exc.msg}") from None


@dataclass(frozen=True)
class PolicyMutator:
    """The offline optimiser's mutation of a game's policy programs, with the game's context."""

    objects: tuple[str, ...] = ()
    """Object names usable in new ``value(obs, NAME, KEY)`` look-ups; empty: the names the
    program already looks up."""
    primitives: tuple[str, ...] = ()
    """Call expressions (source) usable as terms of new expressions."""
    strength: float = 1.0
    """Scale of constant perturbations (1.0: about 30% of the constant)."""

    def mutate(self, source: str, rng: np.random.Generator) -> tuple[str, str]:
        """One random operator applied to one random trainable function.

        Returns:
            ``(new source, one-line description of the change)``; the rest of the program,
            comments included, is kept.

        Raises:
            ValueError: if the program has no trainable function or no operator applies.
        """
        tree = _parse(source).tree
        functions = trainable_functions(tree)
        if not functions:
            raise ValueError("the policy program has no @trainable function to mutate")
        game = self if self.objects else replace(self, objects=known_objects(tree))
        for _ in range(20):
            draft = _parse(source)
            function = trainable_functions(draft.tree)[int(rng.integers(len(functions)))]
            note = OPERATORS.choose(rng).apply(function, rng, game)
            if note is not None and _size_ok(draft.tree):
                return draft.render(), note
        raise ValueError("no mutation operator applies to this policy program")


mutate_policy = PolicyMutator().mutate
"""``mutate_policy(source, rng)``: :meth:`PolicyMutator.mutate` with no game context (the objects
the program looks up, no primitives, strength 1)."""


def apply_macro(source: str, rng: np.random.Generator, macros: dict) -> tuple[str, str]:
    """A macro mutation: one trainable function replaced by a whole typed-primitive version.

    ``macros`` maps a trainable function's name to function sources (decorated ``@trainable``,
    same signature) built from the game's primitives; one of them replaces the program's
    function of that name, unless the program already holds it.

    Raises:
        ValueError: if no macro fits a trainable function of the program, or all are in place.
    """
    draft = _parse(source)
    tree = draft.tree
    functions = {f.name: f for f in trainable_functions(tree)}
    options = [(name, text) for name, texts in sorted(macros.items()) if name in functions
               for text in texts
               if ast.dump(ast.parse(text).body[0]) != ast.dump(functions[name])]
    if not options:
        raise ValueError("no macro applies to this program")
    name, text = options[int(rng.integers(len(options)))]
    tree.body[tree.body.index(functions[name])] = draft.copy_in(ast.parse(text).body[0], text)
    return draft.render(), f"{name}: macro `{_first_line(text)}`"


def _first_line(text: str) -> str:
    body = ast.parse(text).body[0].body
    start = 1 if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) else 0
    return ast.unparse(body[start]).splitlines()[0] if len(body) > start else ""


def known_objects(tree: ast.Module) -> tuple[str, ...]:
    """Object names the program's ``value(obs, NAME, KEY)`` calls already use."""
    names = {node.args[1].value for node in ast.walk(tree)
             if _is_value_call(node) and isinstance(node.args[1], ast.Constant)}
    return tuple(sorted(str(n) for n in names))


def crossover(source: str, other: str, rng: np.random.Generator) -> tuple[str, str]:
    """Offspring of ``source`` taking one trainable function, or one numeric subtree, of ``other``.

    Raises:
        ValueError: if the two programs share no trainable function.
    """
    draft, donor = _parse(source), ast.parse(other)
    tree = draft.tree
    mine = {f.name: f for f in trainable_functions(tree)}
    theirs = {f.name: f for f in trainable_functions(donor)}
    shared = [name for name in mine if name in theirs]
    if not shared:
        raise ValueError("the two programs share no @trainable function")
    name = shared[int(rng.integers(len(shared)))]
    target, given = mine[name], theirs[name]
    targets, gifts = _number_nodes(target), _number_nodes(given)
    if targets and gifts and rng.random() < 0.5:
        old = targets[int(rng.integers(len(targets)))]
        new = draft.copy_in(gifts[int(rng.integers(len(gifts)))], other)
        _replace(target, old, new)
        note = f"{name}: crossover {ast.unparse(old)} -> {ast.unparse(new)}"
    else:
        tree.body[tree.body.index(target)] = draft.copy_in(given, other)
        note = f"{name}: crossover took the whole function from another elite"
    if not _size_ok(tree):
        raise ValueError("crossover offspring is too large")
    return draft.render(), note
