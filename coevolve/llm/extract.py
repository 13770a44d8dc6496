"""Take the program out of a model's answer, handled as code through ``ast``.

The program is the answer's fenced ```python block (the last one that defines the most of the
contract's names, if there are several) or, without fences, the answer itself. It is trimmed by
re-parsing: a reasoning model's ``<think>`` section, prose before bare code, prose after it and
an unfinished last statement (a truncated answer) are dropped until the rest parses. A syntax
error in the middle of the program is not trimmed away: it is reported, with its line, so that
a repair request can quote it.
"""
from __future__ import annotations

import ast
import textwrap
from collections.abc import Sequence

from coevolve.validate import check_required_names

PYTHON_TAGS = frozenset({"", "python", "python3", "py"})
"""Info strings of fenced blocks taken as Python."""
FENCES = ("```", "~~~")


class ExtractionError(ValueError):
    """No program could be taken from the answer; the message says why, for a repair request."""


def extract_program(text: str, required: Sequence[str] = ()) -> str:
    """The program in ``text``, ending with one newline.

    Args:
        text: the model's answer.
        required: top-level names the contract requires; they pick among several blocks.

    Raises:
        ExtractionError: the answer is empty, or holds no code that parses.
    """
    if "</think>" in text:
        text = text.rsplit("</think>", 1)[1]
    if not text.strip():
        raise ExtractionError("the answer was empty")
    blocks = fenced_blocks(text)
    python = [body for tag, body in blocks if tag in PYTHON_TAGS] or [body for _, body in blocks]
    bodies = python or [text]
    programs, errors = [], []
    for body in bodies:
        try:
            programs.append(trim_to_program(body, prose=not blocks))
        except ExtractionError as exc:
            errors.append(exc)
    if not programs:
        raise errors[-1]

    def covered(source: str) -> int:
        return len(required) - len(check_required_names(ast.parse(source), required))

    best = max(covered(p) for p in programs)
    return [p for p in programs if covered(p) == best][-1]


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(info string, body) of every fenced block; an unclosed last block runs to the end."""
    blocks, tag, body = [], None, []
    for line in text.split("\n"):
        stripped = line.strip()
        fence = next((f for f in FENCES if stripped.startswith(f)), None)
        if tag is None and fence:
            tag, body = stripped[len(fence):].strip().lower(), []
        elif tag is not None and fence and stripped == fence:
            blocks.append((tag, "\n".join(body)))
            tag = None
        elif tag is not None:
            body.append(line)
    if tag is not None:
        blocks.append((tag, "\n".join(body)))
    return blocks


def trim_to_program(code: str, prose: bool = True) -> str:
    """``code`` cut down to the longest part that parses (see the module docstring).

    Args:
        code: a fenced block's body or a whole answer.
        prose: whether lines of prose may precede the code (a bare answer).
    """
    lines = textwrap.dedent(code).split("\n")
    start, end = 0, len(lines)
    first_error = None
    while start < end:
        try:
            tree = ast.parse("\n".join(lines[start:end]))
        except SyntaxError as exc:
            line = min(max(start + (exc.lineno or 1) - 1, start), end - 1)
            first_error = first_error or _syntax_message(exc, lines, start)
            if prose and not _has_code(lines[start:line]):
                start = line + 1
            elif _has_code(lines[line:end]):
                raise ExtractionError(first_error) from None
            else:
                end = min(line, end - 1)
            continue
        start, end = _without_stray_words(tree, start, end)
        source = "\n".join(lines[start:end]).strip("\n")
        if source.strip():
            return source + "\n"
        break
    if prose and start >= end:
        raise ExtractionError("the answer holds no Python program: no ```python block, and no "
                              "part of it parses as Python")
    raise ExtractionError(first_error or "the answer holds no Python code")


def _syntax_message(exc: SyntaxError, lines: list[str], start: int) -> str:
    number = start + (exc.lineno or 1)
    text = lines[number - 1].strip() if 0 < number <= len(lines) else ""
    return f"syntax error at line {number}: {exc.msg}" + (f": `{text}`" if text else "")


def _has_code(lines: list[str]) -> bool:
    """Whether some unindented line starts a suffix of ``lines`` that parses into statements."""
    for j, line in enumerate(lines):
        if not line.strip() or line[0].isspace() or line.lstrip().startswith("#"):
            continue
        try:
            tree = ast.parse("\n".join(lines[j:]))
        except SyntaxError:
            continue
        if any(not isinstance(node, (ast.Expr, ast.AnnAssign)) or
               (isinstance(node, ast.AnnAssign) and node.value is not None) for node in tree.body):
            return True
    return False


def _without_stray_words(tree: ast.Module, start: int, end: int) -> tuple[int, int]:
    """Line range without leading and trailing statements that are a bare name ("Sure")."""
    body = tree.body
    first, last = 0, len(body)
    while first < last and _is_bare_name(body[first]):
        first += 1
    while last > first and _is_bare_name(body[last - 1]):
        last -= 1
    if first == last:
        return start, start
    head = body[first]
    head_line = min([head.lineno] + [d.lineno for d in getattr(head, "decorator_list", [])])
    new_start = start + head_line - 1 if first else start
    new_end = start + body[last - 1].end_lineno if last < len(body) else end
    return new_start, new_end


def _is_bare_name(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Name)
