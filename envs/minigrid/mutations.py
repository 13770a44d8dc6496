"""Environment mutation operators: genetic programming over MiniGrid level programs via ``ast``.

A level program in the seed's format (:mod:`envs.minigrid.seed_env`) keeps its recipe in the
constants ``SIZE`` and ``SEPARATION`` and in the statements of ``_gen_grid`` after the agent and
goal are placed, one feature per statement (``self._split(...)``, ``self._subdivide(...)``,
``self._segment(...)``, ``self._scatter(...)``, ``self._river(...)``). The operators scale the
grid, insert, edit and remove those statements, and move start and goal apart. A hand-written
program gets the helpers it needs copied in from the seed, its size constant scaled and new
statements appended to its ``_gen_grid``.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

import numpy as np

from envs.codetools import Draft, Operator, Registry, closure, module_bindings, preamble_end
from envs.minigrid import SEED_ENV

MIN_SIZE = 6
MAX_SIZE = 25
COLOURS = ("red", "green", "blue", "purple", "yellow", "grey")
RECIPE = ("_split", "_subdivide", "_segment", "_scatter", "_river")
SIZE_NAMES = frozenset({"SIZE", "GRID_SIZE", "WIDTH", "HEIGHT", "GRID_WIDTH", "GRID_HEIGHT"})
SIZE_ARGS = frozenset({"size", "grid_size", "width", "height"})
MAX_DENSITY = 0.3


@dataclass(frozen=True)
class LevelSource:
    """A parsed level program: its draft, its ``CustomEnv`` class and its ``_gen_grid``.

    Operators edit the nodes of ``draft.tree`` in place; ``draft.render()`` is the mutant.
    """

    draft: Draft
    cls: ast.ClassDef
    gen_grid: ast.FunctionDef

    @property
    def tree(self) -> ast.Module:
        """The module being edited."""
        return self.draft.tree


def parse_level(source: str) -> LevelSource:
    """Parse an environment program; ValueError if it has no ``CustomEnv`` with ``_gen_grid``."""
    try:
        draft = Draft(source)
    except SyntaxError as exc:
        raise ValueError(f"cannot mutate: the program does not parse ({exc.msg}, line {exc.lineno})") from exc
    cls = next((node for node in draft.tree.body
                if isinstance(node, ast.ClassDef) and node.name == "CustomEnv"), None)
    if cls is None:
        raise ValueError("cannot mutate: the program defines no class CustomEnv")
    gen_grid = _method(cls, "_gen_grid")
    if gen_grid is None:
        raise ValueError("cannot mutate: CustomEnv defines no _gen_grid(self, width, height)")
    return LevelSource(draft, cls, gen_grid)


def _method(cls: ast.ClassDef, name: str) -> ast.FunctionDef | None:
    return next((node for node in cls.body
                 if isinstance(node, ast.FunctionDef) and node.name == name), None)


_TEMPLATE = parse_level(SEED_ENV)


# ----- reading a level --------------------------------------------------------------------------

def recipe_calls(level: LevelSource) -> list[ast.Call]:
    """The ``self._split(...)``-style calls of the recipe, in order."""
    return [stmt.value for stmt in level.gen_grid.body if _recipe_name(stmt)]


def _recipe_name(stmt: ast.stmt) -> str | None:
    if (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Attribute)
            and isinstance(stmt.value.func.value, ast.Name) and stmt.value.func.value.id == "self"
            and stmt.value.func.attr in RECIPE):
        return stmt.value.func.attr
    return None


def _calls_named(level: LevelSource, name: str) -> list[ast.Call]:
    return [call for call in recipe_calls(level) if call.func.attr == name]


def size_constants(level: LevelSource) -> list[ast.Constant]:
    """The int literals that set the grid size: a SIZE-like constant, else the size arguments."""
    constants = [node.value for node in level.tree.body
                 if isinstance(node, ast.Assign) and len(node.targets) == 1
                 and isinstance(node.targets[0], ast.Name) and node.targets[0].id in SIZE_NAMES
                 and _is_int(node.value)]
    if constants:
        return constants
    init = _method(level.cls, "__init__")
    if init is None:
        return []
    args = init.args
    positional = args.posonlyargs + args.args
    defaults = list(zip(positional[len(positional) - len(args.defaults):], args.defaults))
    defaults += [(arg, value) for arg, value in zip(args.kwonlyargs, args.kw_defaults) if value]
    constants = [value for arg, value in defaults if arg.arg in SIZE_ARGS and _is_int(value)]
    constants += [keyword.value for node in ast.walk(init) if isinstance(node, ast.Call)
                  for keyword in node.keywords
                  if keyword.arg in SIZE_ARGS and _is_int(keyword.value)]
    return constants


def _is_int(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int


def _module_constant(level: LevelSource, name: str) -> ast.Constant | None:
    for node in level.tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id == name
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, (int, float))):
            return node.value
    return None


def _locked_colours(level: LevelSource) -> set[str]:
    return {call.args[2].value for call in _calls_named(level, "_split")
            if len(call.args) == 3 and _literal(call.args[1]) == "locked"
            and isinstance(call.args[2], ast.Constant)}


def _literal(node: ast.AST):
    return node.value if isinstance(node, ast.Constant) else None


# ----- editing a level --------------------------------------------------------------------------

_HELPERS = {node.name: node for node in _TEMPLATE.cls.body if isinstance(node, ast.FunctionDef)
            and node.name not in ("_gen_grid", "__init__")}
"""The seed's helper methods a level's recipe statements call."""
_IMPORTED = {alias.name: node for node in _TEMPLATE.tree.body if isinstance(node, ast.ImportFrom)
             for alias in node.names}
"""The names the seed imports ``from`` a module, with their import."""


def _helper_needs(node: ast.AST) -> list[str]:
    """The seed helpers (``self._name``) and imported names a helper uses, as met in its tree."""
    return [child.attr if isinstance(child, ast.Attribute) else child.id for child in ast.walk(node)
            if isinstance(child, ast.Attribute) and isinstance(child.value, ast.Name)
            and child.value.id == "self" and child.attr in _HELPERS
            or isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load)]


def _ensure_helper(level: LevelSource, name: str) -> None:
    """Copy the seed's helper ``name`` (and the helpers and imports it uses) into the class."""
    for needed in closure({**_HELPERS, **_IMPORTED}, [name], refs=_helper_needs):
        if needed in _HELPERS:
            existing = _method(level.cls, needed)
            if existing is None:
                level.cls.body.append(level.draft.copy_in(_HELPERS[needed], SEED_ENV))
            elif ast.dump(existing) != ast.dump(_HELPERS[needed]):
                raise ValueError(f"cannot mutate: CustomEnv already defines {needed} with other meaning")
        else:
            _ensure_import(level, needed)


def _ensure_import(level: LevelSource, name: str) -> None:
    """Add the seed's import of ``name`` unless the module already binds it."""
    source = _IMPORTED[name]
    if name in module_bindings(level.tree):
        return
    same = next((node for node in level.tree.body if isinstance(node, ast.ImportFrom)
                 and node.module == source.module and node.level == 0), None)
    if same is not None:
        same.names.append(ast.alias(name=name))
        return
    level.tree.body.insert(preamble_end(level.tree),
                           ast.ImportFrom(module=source.module, names=[ast.alias(name=name)], level=0))


def _insert_recipe(level: LevelSource, rng: np.random.Generator, name: str, *args) -> None:
    """Insert ``self.name(*args)`` at a random place in the recipe (appended in foreign code)."""
    _ensure_helper(level, name)
    body = level.gen_grid.body
    end = len(body) - (1 if body and isinstance(body[-1], ast.Return) else 0)
    start = end
    while start > 0 and _recipe_name(body[start - 1]):
        start -= 1
    call = ast.Call(func=ast.Attribute(value=ast.Name(id="self", ctx=ast.Load()), attr=name,
                                       ctx=ast.Load()),
                    args=[ast.Constant(value=arg) for arg in args], keywords=[])
    body.insert(int(rng.integers(start, end + 1)), ast.Expr(value=call))


def _fraction(rng: np.random.Generator, low: float = 0.15, high: float = 0.85) -> float:
    return round(float(rng.uniform(low, high)), 2)


# ----- operators --------------------------------------------------------------------------------

def _grow(level: LevelSource, rng: np.random.Generator) -> str:
    return _rescale(level, int(rng.integers(1, 4)))


def _shrink(level: LevelSource, rng: np.random.Generator) -> str:
    return _rescale(level, -int(rng.integers(1, 3)))


def _rescale(level: LevelSource, delta: int) -> str:
    constants = size_constants(level)
    old = [node.value for node in constants]
    for node in constants:
        node.value = min(MAX_SIZE, max(MIN_SIZE, node.value + delta))
    _rescale_max_steps(level, max(old), max(node.value for node in constants))
    return f"grid scaling: size {', '.join(map(str, old))} -> " \
           f"{', '.join(str(node.value) for node in constants)}"


def _rescale_max_steps(level: LevelSource, old: int, new: int) -> None:
    """Scale a literal ``max_steps=`` in ``__init__`` with the grid's area."""
    init = _method(level.cls, "__init__")
    for node in ast.walk(init) if init is not None else ():
        if isinstance(node, ast.keyword) and node.arg == "max_steps" and _is_int(node.value):
            node.value.value = max(1, round(node.value.value * (new / old) ** 2))


def _can_grow(level: LevelSource) -> bool:
    return any(node.value < MAX_SIZE for node in size_constants(level))


def _can_shrink(level: LevelSource) -> bool:
    return any(node.value > MIN_SIZE for node in size_constants(level))


def _add_split(level: LevelSource, rng: np.random.Generator) -> str:
    kind = str(rng.choice(["open", "closed", "locked"], p=[0.25, 0.3, 0.45]))
    free = [colour for colour in COLOURS if colour not in _locked_colours(level)]
    if kind == "locked" and not free:
        kind = "closed"
    colour = str(rng.choice(free if kind == "locked" else COLOURS))
    where = _fraction(rng)
    _insert_recipe(level, rng, "_split", where, kind, colour)
    key = " (its key on the agent's side)" if kind == "locked" else ""
    return f"rooms: a wall near x={where} of the width with a {kind} {colour} door{key}"


def _add_subdivision(level: LevelSource, rng: np.random.Generator) -> str:
    where_x, where_y = _fraction(rng), _fraction(rng, 0.25, 0.75)
    kind = str(rng.choice(["open", "closed"]))
    _insert_recipe(level, rng, "_subdivide", where_x, where_y, kind)
    return f"chokepoint: the room near x={where_x} cut at y={where_y} with one {kind} door"


def _add_segment(level: LevelSource, rng: np.random.Generator) -> str:
    where_x, where_y = _fraction(rng, 0.1, 0.9), _fraction(rng, 0.1, 0.9)
    length, vertical = int(rng.integers(2, 7)), bool(rng.integers(2))
    _insert_recipe(level, rng, "_segment", where_x, where_y, length, vertical)
    return (f"wall segment: {length} cells {'down' if vertical else 'right'} "
            f"from ({where_x}, {where_y})")


def _add_scatter(level: LevelSource, rng: np.random.Generator) -> str:
    kind = str(rng.choice(["wall", "lava"], p=[0.65, 0.35]))
    same = [call for call in _calls_named(level, "_scatter")
            if len(call.args) == 2 and _literal(call.args[0]) == kind
            and isinstance(_literal(call.args[1]), float)]
    if same and _literal(same[0].args[1]) < MAX_DENSITY:
        old = same[0].args[1].value
        same[0].args[1].value = round(min(MAX_DENSITY, old + float(rng.uniform(0.03, 0.08))), 2)
        return f"obstacle density: {kind} {old} -> {same[0].args[1].value}"
    density = round(float(rng.uniform(0.04, 0.1)), 2)
    _insert_recipe(level, rng, "_scatter", kind, density)
    return f"obstacle density: scattered {kind} over {density} of the free cells"


def _add_river(level: LevelSource, rng: np.random.Generator) -> str:
    where = _fraction(rng, 0.2, 0.8)
    _insert_recipe(level, rng, "_river", where)
    return f"lava: a river near x={where} of the width with one crossing"


def _unlocked_splits(level: LevelSource) -> list[ast.Call]:
    return [call for call in _calls_named(level, "_split")
            if len(call.args) == 3 and _literal(call.args[1]) in ("open", "closed")]


def _lock(level: LevelSource, rng: np.random.Generator) -> str:
    calls = _unlocked_splits(level)
    call = calls[int(rng.integers(len(calls)))]
    free = [colour for colour in COLOURS if colour not in _locked_colours(level)]
    colour = str(rng.choice(free)) if free else _literal(call.args[2])
    call.args[1], call.args[2] = ast.Constant(value="locked"), ast.Constant(value=colour)
    return f"doors: the door near x={_literal(call.args[0])} becomes a locked {colour} door"


def _can_lock(level: LevelSource) -> bool:
    return bool(_unlocked_splits(level)) and len(_locked_colours(level)) < len(COLOURS)


def _tweak(level: LevelSource, rng: np.random.Generator) -> str:
    numbers = [(call, index) for call in recipe_calls(level)
               for index, arg in enumerate(call.args) if isinstance(_literal(arg), float)]
    call, index = numbers[int(rng.integers(len(numbers)))]
    old = call.args[index].value
    high = MAX_DENSITY if call.func.attr == "_scatter" else 0.95
    new = round(float(np.clip(old + rng.normal(0.0, 0.12), 0.02, high)), 2)
    call.args[index].value = new
    return f"edit: {call.func.attr} argument {index + 1} {old} -> {new}"


def _has_numbers(level: LevelSource) -> bool:
    return any(isinstance(_literal(arg), float) for call in recipe_calls(level) for arg in call.args)


def _remove(level: LevelSource, rng: np.random.Generator) -> str:
    body = level.gen_grid.body
    indices = [index for index, stmt in enumerate(body) if _recipe_name(stmt)]
    removed = body.pop(indices[int(rng.integers(len(indices)))])
    return f"removed: {ast.unparse(removed)}"


def _separate(level: LevelSource, rng: np.random.Generator) -> str:
    node = _module_constant(level, "SEPARATION")
    old = node.value
    node.value = round(float(np.clip(old + rng.choice([-0.25, 0.25, 0.5]), 0.0, 1.0)), 2)
    return f"start-goal separation: {old} -> {node.value}"


OPERATORS = Registry((
    Operator("grow", _grow, 2.5, _can_grow),
    Operator("shrink", _shrink, 0.2, _can_shrink),
    Operator("split", _add_split, 2.5),
    Operator("subdivide", _add_subdivision, 1.0),
    Operator("segment", _add_segment, 0.8),
    Operator("scatter", _add_scatter, 0.8),
    Operator("river", _add_river, 0.5),
    Operator("lock", _lock, 1.0, _can_lock),
    Operator("tweak", _tweak, 0.7, _has_numbers),
    Operator("remove", _remove, 0.3, lambda level: bool(recipe_calls(level))),
    Operator("separate", _separate, 0.5, lambda level: _module_constant(level, "SEPARATION") is not None),
))
"""The environment operators: ``apply(level, rng)`` edits a :class:`LevelSource` in place and
returns a one-line description; ``applies(level)`` says whether it can."""


def mutate_env(source: str, rng: np.random.Generator) -> tuple[str, str]:
    """Apply one randomly chosen operator to an environment program's source.

    Args:
        source: a MiniGrid environment program (``class CustomEnv(MiniGridEnv)``).
        rng: the only source of randomness; the same state gives the same mutant.

    Returns:
        (new source, one-line description of the change); the program's comments and layout
        are kept outside the edited nodes.

    Raises:
        ValueError: if the source does not parse, has no ``CustomEnv._gen_grid``, or defines a
            helper name of the seed's with another body.
    """
    level = parse_level(source)
    description = OPERATORS.choose(rng, level).apply(level, rng)
    return level.draft.render(), description
