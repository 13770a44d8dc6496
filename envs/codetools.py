"""Code handled as code: the ``ast`` chores every domain's mutation operators share.

In the manner of FunSearch's ``code_manipulation.py``, one place for

- reading a program: :func:`bindings`, :func:`references`, :func:`definitions`, :func:`closure`
  (the definitions some names need, transitively), :func:`preamble_end` (after the docstring and
  imports), :func:`constant_assignments` and :func:`read_constants`;
- editing it so that its comments and layout survive: :class:`Draft` (operators edit
  ``draft.tree`` in place; :meth:`Draft.render` rewrites only the text of what changed) and
  :func:`write_constants`;
- choosing an operator: :class:`Operator` and :class:`Registry`, weighted and deterministic given
  a ``numpy.random.Generator``.

It lives in ``envs`` (beside :mod:`envs.api`) because ``envs`` and ``policies`` both use it and
neither may import ``coevolve``; a new top-level package would also have to be added to the
sandbox's read-only view of the project.
"""
from __future__ import annotations

import ast
import bisect
import copy
import difflib
import io
import re
import tokenize
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
IMPORTS = (ast.Import, ast.ImportFrom)


# ----- reading a program -------------------------------------------------------------------------

def bindings(stmt: ast.stmt) -> set[str]:
    """Top-level names a statement binds: definitions, assignment targets, imports."""
    if isinstance(stmt, DEFINITIONS):
        return {stmt.name}
    if isinstance(stmt, IMPORTS):
        return {(alias.asname or alias.name).split(".")[0] for alias in stmt.names}
    targets = []
    if isinstance(stmt, ast.Assign):
        targets = stmt.targets
    elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
        targets = [stmt.target]
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def module_bindings(tree: ast.Module) -> set[str]:
    """Every name the module's top-level statements bind."""
    return set().union(*(bindings(stmt) for stmt in tree.body))


def references(node: ast.AST) -> list[str]:
    """Names a node reads or declares ``global``, once each, in :func:`ast.walk` order."""
    names = []
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
            names.append(child.id)
        elif isinstance(child, ast.Global):
            names.extend(child.names)
    return list(dict.fromkeys(names))


def definitions(tree: ast.Module | ast.ClassDef, kinds=DEFINITIONS) -> dict[str, ast.stmt]:
    """The functions and classes (or other ``kinds``) of a body, by name; the last of a name wins."""
    return {node.name: node for node in tree.body if isinstance(node, kinds)}


def closure(binders: Mapping[str, ast.AST], roots: Iterable[str],
            refs: Callable[[ast.AST], Iterable[str]] = references) -> list[str]:
    """The names of ``binders`` that ``roots`` need, themselves included, transitively.

    Depth first, in the order ``refs`` lists each binder's references (the order in which a
    copier meets them); names ``binders`` does not hold are skipped.
    """
    found: dict[str, None] = {}

    def visit(name: str) -> None:
        if name in found or name not in binders:
            return
        found[name] = None
        for ref in refs(binders[name]):
            visit(ref)

    for root in roots:
        visit(root)
    return list(found)


def is_docstring(stmt: ast.stmt) -> bool:
    """Whether a statement is a bare string constant (a docstring in first place)."""
    return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
            and isinstance(stmt.value.value, str))


def preamble_end(tree: ast.Module) -> int:
    """Index of the first statement after the module docstring and the imports that follow it."""
    for index, stmt in enumerate(tree.body):
        if not (index == 0 and is_docstring(stmt) or isinstance(stmt, IMPORTS)):
            return index
    return len(tree.body)


def constant_assignments(tree: ast.Module, names: Iterable[str] | None = None) -> dict[str, ast.Assign]:
    """Top-level ``NAME = value`` statements (one target), by name; the last of a name wins."""
    wanted = None if names is None else set(names)
    return {node.targets[0].id: node for node in tree.body
            if isinstance(node, ast.Assign) and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and (wanted is None or node.targets[0].id in wanted)}


def parse(source: str, what: str = "source") -> ast.Module:
    """``ast.parse``, with a SyntaxError turned into ValueError("<what> does not parse: ...")."""
    try:
        return ast.parse(source)
    except SyntaxError as exc:
        raise ValueError(f"{what} does not parse: {exc}") from exc


def read_constants(tree: ast.Module, names: Iterable[str], required: Iterable[str] = (),
                   what: str = "the expected program") -> dict[str, Any]:
    """The literal values of the module constants ``names`` the program assigns.

    Raises:
        ValueError: naming the ``required`` constants it does not assign ("not <what>: it does
            not assign ..."), or the first constant whose value is not a literal.
    """
    nodes = constant_assignments(tree, names)
    missing = [name for name in required if name not in nodes]
    if missing:
        raise ValueError(f"not {what}: it does not assign {', '.join(missing)} at module level")
    values = {}
    for name, node in nodes.items():
        try:
            values[name] = ast.literal_eval(node.value)
        except ValueError as exc:
            raise ValueError(f"{name} must be a literal value, got {ast.unparse(node.value)!r}") from exc
    return values


def write_constants(source: str, values: Mapping[str, str]) -> str:
    """``source`` with the values of the module constants in ``values`` (name -> value source)
    replaced; every other character, comments included, is kept."""
    text = _Text(source)
    nodes = constant_assignments(ast.parse(source), values)
    edits = [_Edit(*text.span(node.value), values[name]) for name, node in nodes.items()]
    return _apply(source, edits)


# ----- editing a program -------------------------------------------------------------------------

class _Edit(NamedTuple):
    start: int
    end: int
    text: str


def _apply(text: str, edits: Iterable[_Edit], base: int = 0) -> str | None:
    """``text`` (which starts at offset ``base``) with the edits applied; None if two overlap."""
    out, at = [], base
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < at:
            return None
        out += [text[at - base:edit.start - base], edit.text]
        at = edit.end
    return "".join(out) + text[at - base:]


class _Text:
    """A source text with ``ast`` positions (lines, UTF-8 columns) turned into string offsets."""

    def __init__(self, source: str):
        self.source = source
        self.lines = re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", source)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))

    def offset(self, lineno: int, col: int) -> int:
        line = self.lines[lineno - 1] if lineno <= len(self.lines) else ""
        return self.starts[lineno - 1] + len(line.encode()[:col].decode(errors="ignore"))

    def span(self, node: ast.AST) -> tuple[int, int]:
        """Start and end offsets of a node, decorators included."""
        first = node.decorator_list[0].lineno if getattr(node, "decorator_list", None) else node.lineno
        return self.offset(first, node.col_offset), self.offset(node.end_lineno, node.end_col_offset)

    def line_start(self, node: ast.AST) -> int | None:
        """Start of a statement's first line; None if other code comes before it there."""
        start, _ = self.span(node)
        line_start = self.starts[bisect.bisect_right(self.starts, start) - 1]
        return None if self.source[line_start:start].strip() else line_start

    def line_end(self, node: ast.AST) -> int | None:
        """End of a statement's last line (after the newline); None if other code follows it
        there (``a = 1; b = 2``)."""
        _, end = self.span(node)
        line_end = self.starts[node.end_lineno]
        rest = self.source[end:line_end].strip()
        return None if rest and not rest.startswith("#") else line_end

    def blank_start(self, line_start: int) -> int:
        """The start of the blank lines right before the line starting at ``line_start`` (a
        removed statement between two gaps takes one of them along)."""
        index = bisect.bisect_right(self.starts, line_start) - 1
        while index > 0 and not self.lines[index - 1].strip():
            index -= 1
        return self.starts[index]

    def blank_after(self, offset: int) -> bool:
        """Whether the line starting at ``offset`` is blank (or the text ends there)."""
        index = bisect.bisect_right(self.starts, offset) - 1
        return index >= len(self.lines) or not self.lines[index].strip()

    def blank_lines(self, node: ast.AST) -> int:
        """How many blank lines come right before a statement."""
        first = node.decorator_list[0].lineno if getattr(node, "decorator_list", None) else node.lineno
        count = 0
        while first - 2 - count >= 0 and not self.lines[first - 2 - count].strip():
            count += 1
        return count

    def indent(self, node: ast.AST) -> str:
        """The text before a node on its first line: its indentation (spaces if not blank)."""
        start, _ = self.span(node)
        prefix = self.source[self.starts[bisect.bisect_right(self.starts, start) - 1]:start]
        return prefix if not prefix.strip() else " " * len(prefix)


def _string_lines(text: str, indent: str) -> set[int]:
    """Indexes of the lines of ``text`` (its first line at column ``len(indent)``) that begin
    inside a multi-line string: re-indenting them would change the string."""
    inside = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(indent + text).readline):
            if token.type == tokenize.STRING and token.end[0] > token.start[0]:
                inside.update(range(token.start[0], token.end[0]))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return inside


def reindent(text: str, old: str, new: str) -> str:
    """``text`` (a node's source, first line without its indentation) with every further line
    moved from indentation ``old`` to ``new``; lines inside multi-line strings are left alone."""
    if old == new:
        return text
    lines = text.split("\n")
    inside = _string_lines(text, old)
    out = lines[:1]
    for index, line in enumerate(lines[1:], 1):
        if index in inside or not line.strip():
            out.append(line)
        else:
            out.append(new + (line[len(old):] if line.startswith(old) else line.lstrip()))
    return "\n".join(out)


_ATOMS = (ast.Name, ast.Attribute, ast.Subscript, ast.Call, ast.List, ast.Tuple, ast.Dict, ast.Set,
          ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.JoinedStr)


def _atomic(node: ast.AST) -> bool:
    """Whether an expression needs no parentheses wherever it is put."""
    if isinstance(node, ast.Constant):
        return not (isinstance(node.value, (int, float, complex)) and not isinstance(node.value, bool)
                    and (node.value < 0 if not isinstance(node.value, complex) else True))
    return isinstance(node, _ATOMS)


def _has_span(node: ast.AST) -> bool:
    return getattr(node, "end_col_offset", None) is not None


class Draft:
    """A program whose tree operators edit in place, written back keeping its comments and layout.

    :meth:`render` compares ``tree`` with the program as parsed and rewrites only the text of
    the nodes that differ: a changed constant is one literal rewritten, an inserted statement
    one new line, a removed one its lines dropped; every untouched line stays byte-identical.
    A new node is written by :func:`ast.unparse`, or with the text :meth:`copy_in` recorded for
    it. The result is checked to parse to the edited tree; in the rare case where the patched
    text does not (even with every replaced expression in parentheses), the whole tree is
    unparsed instead, as the operators did before this toolkit.
    """

    def __init__(self, source: str):
        """Parse ``source``; raises SyntaxError as :func:`ast.parse` does."""
        self.source = source
        self.tree = ast.parse(source)
        self._original = ast.parse(source)
        self._text = _Text(source)
        self._foreign: dict[int, tuple[ast.AST, str, str, str]] = {}
        self._parens = False
        self._keys: dict[int, int] = {}

    def copy_in(self, node: ast.AST, source: str) -> ast.AST:
        """A deep copy of ``node`` (parsed from another program, ``source``) to insert into
        this tree; it is written with its own text, comments included, not unparsed."""
        text = _Text(source)
        start, end = text.span(node)
        duplicate = copy.deepcopy(node)
        self._foreign[id(duplicate)] = (duplicate, source[start:end], text.indent(node), ast.dump(node))
        return duplicate

    def render(self) -> str:
        """The edited program's source."""
        self._keys = {**_keys(self._original), **_keys(self.tree)}
        targets = [self._keys[id(self.tree)]]
        for parens in (False, True):
            self._parens = parens
            edits = self._diff(self.tree, self._original)
            text = None if edits is None else _apply(self.source, edits)
            found = None if text is None else _parsed_key(text)
            if found is not None and len(targets) == 1 and found != targets[0]:
                targets.append(_parsed_key(ast.unparse(self.tree)))  # how the edited tree reads back
            if found is not None and found in targets:
                return text
        return ast.unparse(ast.fix_missing_locations(self.tree)) + "\n"

    # -- the diff: edits that turn the original text into the edited tree's --

    def _same(self, work: ast.AST, orig: ast.AST) -> bool:
        return self._keys[id(work)] == self._keys[id(orig)]

    def _diff(self, work: ast.AST, orig: ast.AST) -> list[_Edit] | None:
        """Edits inside ``orig``'s text, or None when the node must be written out whole."""
        if self._same(work, orig):
            return []
        if type(work) is not type(orig) or isinstance(orig, ast.JoinedStr):
            return None
        edits = []
        for field in work._fields:
            new, old = getattr(work, field, None), getattr(orig, field, None)
            if isinstance(new, list) and isinstance(old, list):
                found = self._diff_list(new, old)
            elif isinstance(new, ast.AST) and isinstance(old, ast.AST):
                found = self._diff_child(new, old)
            else:
                found = [] if type(new) is type(old) and repr(new) == repr(old) else None
            if found is None:
                return None
            edits += found
        return edits

    def _diff_child(self, work: ast.AST, orig: ast.AST) -> list[_Edit] | None:
        found = self._diff(work, orig)
        if found is not None or not _has_span(orig):
            return found
        start, end = self._text.span(orig)
        text = self._write(work, self._text.indent(orig))
        if self.source.startswith("elif", start) and text.startswith("if"):
            text = "el" + text
        return [_Edit(start, end, text)]

    def _diff_list(self, work: list, orig: list) -> list[_Edit] | None:
        if any(isinstance(node, (ast.stmt, ast.excepthandler)) for node in work + orig):
            return self._diff_statements(work, orig)
        if len(work) != len(orig):
            return None
        edits = []
        for new, old in zip(work, orig):
            found = [] if new is None and old is None else \
                None if new is None or old is None else self._diff_child(new, old)
            if found is None:
                return None
            edits += found
        return edits

    def _diff_statements(self, work: list, orig: list) -> list[_Edit] | None:
        """Statements aligned by content: kept ones keep their lines, changed ones are diffed
        in place, removed ones lose their lines, new ones get lines after the one before."""
        if not work or not orig:
            return None
        keys = [self._keys[id(node)] for node in orig]
        moved = dict(zip(keys, orig))
        indent = self._text.indent(orig[0])
        matcher = difflib.SequenceMatcher(None, keys, [self._keys[id(node)] for node in work], autojunk=False)
        edits, anchor = [], None
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal" or tag == "replace" and i2 - i1 == j2 - j1:
                for new, old in zip(work[j1:j2], orig[i1:i2]):
                    found = self._diff_child(new, old)
                    if found is None:
                        return None
                    edits += found
                anchor = orig[i2 - 1]
                continue
            for old in orig[i1:i2]:
                start, end = self._text.line_start(old), self._text.line_end(old)
                if start is None or end is None:
                    return None
                edits.append(_Edit(self._text.blank_start(start) if self._text.blank_after(end) else start, end, ""))
            if j2 > j1:
                at = self._text.line_end(anchor) if anchor is not None else self._text.line_start(orig[0])
                if at is None:
                    return None
                near = orig[i1] if i1 < len(orig) else anchor if anchor is not None else orig[0]
                text = "".join(self._line(node, indent, moved, self._text.blank_lines(near))
                               for node in work[j1:j2])
                if at == len(self.source) and not self.source.endswith(("\n", "\r")):
                    text = "\n" + text
                edits.append(_Edit(at, at, text))
        return edits

    def _line(self, node: ast.stmt, indent: str, moved: dict, gap: int) -> str:
        """An inserted statement as whole lines (a moved one keeps its original text); a
        definition gets ``gap`` blank lines before it, as its neighbour has (PEP 8 without)."""
        old = moved.get(self._keys[id(node)])
        if old is not None:
            start, end = self._text.span(old)
            text = reindent(self.source[start:end], self._text.indent(old), indent)
        else:
            text = self._write(node, indent)
        blank = "\n" * (gap or (1 if indent else 2)) if isinstance(node, DEFINITIONS) else ""
        return f"{blank}{indent}{text}\n"

    def _write(self, node: ast.AST, indent: str) -> str:
        """Source of a node not in the original program, its first line at ``indent``."""
        _, text, old, dump = self._foreign.get(id(node), (None, "", "", ""))
        if dump == ast.dump(node):
            text = reindent(text, old, indent)
        else:
            text = reindent(ast.unparse(node), "", indent)
        if self._parens and isinstance(node, ast.expr) and not _atomic(node):
            text = f"({text})"
        return text


def _keys(tree: ast.AST) -> dict[int, int]:
    """A structural key of every node of a tree, by ``id``: equal keys, equal ``ast.dump``.

    Computed bottom-up in one pass (``ast.dump`` at every node would cost the tree's size times
    its depth); a key is the hash of the node's type, its scalar fields and its children's keys.
    """
    keys: dict[int, int] = {}

    def key(node: ast.AST) -> int:
        parts: list = [type(node).__name__]
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, list):
                parts.append(tuple([key(item) if isinstance(item, ast.AST) else repr(item) for item in value]))
            elif isinstance(value, ast.AST):
                parts.append(key(value))
            else:
                parts.append((type(value).__name__, repr(value)))
        keys[id(node)] = found = hash(tuple(parts))
        return found

    key(tree)
    return keys


def _parsed_key(source: str) -> int | None:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    return _keys(tree)[id(tree)]


# ----- choosing an operator ----------------------------------------------------------------------

def always(subject: Any) -> bool:
    """An operator test that accepts everything (the operator's edit may still return None)."""
    return True


@dataclass(frozen=True)
class Operator:
    """One mutation operator: its name, its edit, its relative weight and when it applies."""

    name: str
    apply: Callable[..., Any]
    """The edit. Its arguments are the domain's (a parsed level, a layout, a genome, a function,
    and the generator); it returns a description or a changed value, or None when it cannot."""
    weight: float = 1.0
    """Relative chance among the operators that apply."""
    applies: Callable[[Any], bool] = always
    """Whether the operator can edit a subject."""

    def __call__(self, *args, **kwargs):
        return self.apply(*args, **kwargs)


class Registry:
    """A domain's operators, drawn by weight from one generator.

    When every operator of the registry has the same weight the draws are uniform
    (``rng.integers`` for one, ``rng.permutation`` for an order); otherwise ``rng.choice`` over
    the normalised weights of the operators that apply.
    """

    def __init__(self, operators: Iterable[Operator]):
        self.operators = tuple(operators)
        names = [operator.name for operator in self.operators]
        if len(set(names)) != len(names):
            raise ValueError(f"operator names repeat: {names}")
        if not self.operators or min(operator.weight for operator in self.operators) <= 0:
            raise ValueError("a registry needs operators, each with a positive weight")
        self.uniform = len({operator.weight for operator in self.operators}) == 1

    def __iter__(self):
        return iter(self.operators)

    def __len__(self) -> int:
        return len(self.operators)

    def __getitem__(self, key: int | str) -> Operator:
        if isinstance(key, str):
            for operator in self.operators:
                if operator.name == key:
                    return operator
            raise KeyError(key)
        return self.operators[key]

    def applicable(self, subject: Any = None) -> tuple[Operator, ...]:
        """The operators whose ``applies`` accepts ``subject``, in order."""
        return tuple(op for op in self.operators if op.applies(subject))

    def choose(self, rng: np.random.Generator, subject: Any = None) -> Operator:
        """One operator that applies to ``subject``, drawn by weight.

        Raises:
            ValueError: if none applies.
        """
        operators = self.applicable(subject)
        if not operators:
            raise ValueError("no mutation operator applies")
        if self.uniform:
            return operators[int(rng.integers(len(operators)))]
        weights = np.array([operator.weight for operator in operators])
        return operators[int(rng.choice(len(operators), p=weights / weights.sum()))]

    def order(self, rng: np.random.Generator, subject: Any = None) -> list[Operator]:
        """Every operator that applies, in a random order: heavier ones tend to come first."""
        operators = self.applicable(subject)
        if self.uniform or not operators:
            return [operators[int(k)] for k in rng.permutation(len(operators))]
        weights = np.array([operator.weight for operator in operators])
        order = rng.choice(len(operators), size=len(operators), replace=False, p=weights / weights.sum())
        return [operators[int(k)] for k in order]
