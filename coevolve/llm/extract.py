"""Take the program out of a model's answer, handled as code through ``ast``.

The program is made of the answer's fenced ```python blocks or, without fences, the answer
itself. Each is trimmed by re-parsing, but only ever of prose: a reasoning model's ``<think>``
section, prose before bare code, and prose after the code. Code is never dropped: an answer
whose end does not parse (an unclosed block, an unfinished last statement) was cut off, and
is reported so (:class:`TruncatedAnswer`); a syntax error in the middle is reported with its
line, so that a repair request can quote it. Several blocks, or an excerpt of the parent
program, are reassembled with the parent through :mod:`coevolve.llm.assemble`.
"""
from __future__ import annotations

import ast
import keyword
import textwrap
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from coevolve.llm.assemble import ExtractionError, assemble

_AST_LOCK = threading.Lock()
PYTHON_TAGS = frozenset({"", "python", "python3", "py"})
"""Info strings of fenced blocks taken as Python."""
FENCES = ("```", "~~~")


class TruncatedAnswer(ExtractionError):
    """The answer ends in unfinished code: it was cut off."""


@dataclass(frozen=True)
class Extracted:
    """A program read from an answer."""

    source: str
    """The program, ending with one newline."""
    note: str | None = None
    """How it was put together, when not taken whole from one block."""


def extract_program(text: str, required: Sequence[str] = ()) -> str:
    """The program in ``text`` (no parent to reassemble excerpts with); see :func:`read_program`."""
    return read_program(text, required).source


def read_program(text: str, required: Sequence[str] = (), parent: str | None = None) -> Extracted:
    """The program an answer means (see :func:`_read`); one thread at a time, because
    CPython 3.11's ``ast`` can fail with a SystemError when threads parse concurrently."""
    with _AST_LOCK:
        return _read(text, required, parent)


def _read(text: str, required: Sequence[str], parent: str | None) -> Extracted:
    """The program an answer means.

    Args:
        text: the model's answer.
        required: top-level names the contract requires.
        parent: the program the answer modifies; excerpts are reassembled with it.

    Raises:
        ExtractionError: the answer is empty, cut off, or holds no program that can be built.
    """
    if "</think>" in text:
        text = text.rsplit("</think>", 1)[1]
    if not text.strip():
        raise ExtractionError("the answer was empty")
    blocks = fenced_blocks(text)
    python = [b for b in blocks if b[0] in PYTHON_TAGS] or blocks
    bodies = [(body, closed) for _, body, closed in python] or [(text, True)]
    programs, errors = [], []
    for body, closed in bodies:
        try:
            programs.append(trim_to_program(body, prose=not blocks, closed=closed))
        except ExtractionError as exc:
            errors.append(exc)
    truncated = [e for e in errors if isinstance(e, TruncatedAnswer)]
    if truncated and bodies[-1][1] is False or not programs:
        raise (truncated or errors)[-1]
    source, note = assemble(programs, parent, required)
    return Extracted(source, note)


def fenced_blocks(text: str) -> list[tuple[str, str, bool]]:
    """(info string, body, closed) of every fenced block; an unclosed last block runs to the end."""
    blocks, tag, body = [], None, []
    for line in text.split("\n"):
        stripped = line.strip()
        fence = next((f for f in FENCES if stripped.startswith(f)), None)
        if tag is None and fence:
            tag, body = stripped[len(fence):].strip().lower(), []
        elif tag is not None and fence and stripped == fence:
            blocks.append((tag, "\n".join(body), True))
            tag = None
        elif tag is not None:
            body.append(line)
    if tag is not None:
        blocks.append((tag, "\n".join(body), False))
    return blocks


def cut_off(lines: int) -> str:
    """The reason given for an answer whose code ends unfinished."""
    return (f"your answer was cut off after {lines} lines (its code ends unfinished); "
            f"answer with a shorter complete program")


def trim_to_program(code: str, prose: bool = True, closed: bool = True) -> str:
    """``code`` without the prose around it (see the module docstring).

    Args:
        code: a fenced block's body or a whole answer.
        prose: whether lines of prose may precede the code (a bare answer).
        closed: whether the block's closing fence was there (an unclosed one may be cut off).
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
            if prose and not _has_code(lines[start:line]) and _is_prose(lines[start:line], True):
                start = line + 1
            elif _is_prose(lines[line:end]) and not _has_code(lines[line:end]):
                end = line
            elif not closed or prose and _at_end(exc, lines, line, end):
                raise TruncatedAnswer(cut_off(len(lines[:end]))) from None
            else:
                raise ExtractionError(first_error) from None
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


def _at_end(exc: SyntaxError, lines: list[str], line: int, end: int) -> bool:
    """Whether a syntax error is the end of the code running out (unclosed, unfinished)."""
    last = max((i for i in range(line, end) if lines[i].strip()), default=line)
    message = exc.msg or ""
    return line >= last or "never closed" in message or "EOF" in message or \
        "expected an indented block" in message and line >= last - 1


def _is_prose(lines: list[str], leading: bool = False) -> bool:
    """Whether lines read as sentences rather than code: the first (when ``leading``, every)
    non-blank line unindented, starting with a word that is no keyword and is not followed
    by an operator or bracket."""
    text = [line for line in lines if line.strip()]
    return all(_sentence(line, leading) for line in (text if leading else text[:1]))


def _sentence(line: str, leading: bool) -> bool:
    words = line.split()
    if line[0].isspace() or line.rstrip().endswith((",", "(", "[", "{", "\\", "=")):
        return False
    if line.rstrip().endswith(":") and not (leading and len(words) >= 3):
        return False
    word = words[0]
    if keyword.iskeyword(word) or word.startswith(("@", "#", ")", "]", "}")):
        return False
    head = word.rstrip(".,!?:;")
    rest = line.lstrip()[len(head):].lstrip()
    return head.isidentifier() and not rest.startswith(("=", "(", "[", ".", "+", "-", "*", "/"))


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
