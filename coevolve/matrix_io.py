"""Payoff matrices on disk: labelled CSV (the run directory's payoff.csv) and .npy arrays.

CSV layout, as written by :func:`save_matrix_csv`::

    ,env_0000,env_0001
    policy_0000,0.9,0.25
    policy_0001,nan,1.0

Reading also accepts a CSV without the header row and/or without the label column. The first
column holds labels when some non-empty cell in it (below the first row) is not a number. The
first row is a header when some cell after its first is not a number, or when its first cell
is not a number and the rows below have no labels. A header may include or omit the corner
cell above the labels. An unknown cell (empty or ``nan``) is accepted only with
``allow_nan=True``. Labels that are numbers are therefore read as data: give words.
"""
from __future__ import annotations

import csv
import io
import math
import os

import numpy as np

from coevolve.errors import UserInputError
from coevolve.store import write_atomic

_NAN_CELLS = ("", "nan")


def load_matrix(path, allow_nan: bool = False) -> tuple[np.ndarray, tuple[str, ...],
                                                         tuple[str, ...]]:
    """Read a payoff matrix from a CSV or ``.npy`` file.

    Args:
        path: A ``.npy`` file (a 2-D numeric array) or a CSV file (any other name).
        allow_nan: Accept unknown cells (empty or ``nan`` in a CSV, NaN in a ``.npy``).

    Returns:
        ``(array, row_labels, column_labels)``; labels absent from the file are ``p0, p1, ...``
        for rows and ``e0, e1, ...`` for columns.

    Raises:
        UserInputError: The file is missing, unreadable or not a finite 2-D numeric matrix.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise UserInputError(f"{path}: no such file")
    if os.path.isdir(path):
        raise UserInputError(f"{path} is a directory; expected a CSV or .npy payoff matrix")
    if path.endswith(".npy"):
        array, row_labels, column_labels = _load_npy(path), None, None
    else:
        array, row_labels, column_labels = _parse_csv(path, _read_text(path))
    _check_values(path, array, allow_nan)
    rows, columns = array.shape
    return (array,
            row_labels or tuple(f"p{i}" for i in range(rows)),
            column_labels or tuple(f"e{j}" for j in range(columns)))


def save_matrix_csv(path, array, row_labels, column_labels) -> None:
    """Write a labelled payoff matrix atomically (temporary file, then rename); NaN as ``nan``.

    Raises:
        ValueError: ``array`` is not 2-D, the label counts do not match it, or a label is
            empty or reads as a number (the file would not read back the same).
    """
    array = np.asarray(array, dtype=float)
    row_labels, column_labels = tuple(row_labels), tuple(column_labels)
    if array.ndim != 2 or array.shape != (len(row_labels), len(column_labels)):
        raise ValueError(f"payoff array of shape {array.shape} does not match "
                         f"{len(row_labels)} row labels and {len(column_labels)} column labels")
    for label in row_labels + column_labels:
        if (not isinstance(label, str) or not label or label != label.strip()
                or _is_number(label)):
            raise ValueError(f"labels must be non-empty strings without surrounding spaces "
                             f"that are not numbers; got {label!r}")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["", *column_labels])
    for label, row in zip(row_labels, array.tolist()):
        writer.writerow([label, *(repr(value) for value in row)])
    write_atomic(path, buffer.getvalue())


def _load_npy(path: str) -> np.ndarray:
    """A 2-D numeric array from a ``.npy`` file."""
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise UserInputError(f"{path}: cannot read as a .npy array ({exc})") from None
    if not isinstance(array, np.ndarray):
        raise UserInputError(f"{path}: expected one array, found {type(array).__name__}")
    if array.ndim != 2:
        raise UserInputError(f"{path}: expected a 2-D array (rows: policies, columns: "
                             f"environments), found {array.ndim}-D with shape {array.shape}")
    if array.dtype.kind not in "biuf":
        raise UserInputError(f"{path}: expected numbers, found an array of dtype {array.dtype}")
    if array.size == 0:
        raise UserInputError(f"{path}: the matrix is empty (shape {array.shape})")
    return array.astype(float)


def _read_text(path: str) -> str:
    """The file's text (UTF-8, with or without a byte-order mark)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as file:
            text = file.read()
    except UnicodeDecodeError:
        text = None
    except OSError as exc:
        raise UserInputError(f"{path}: cannot read ({exc.strerror})") from None
    if text is None or "\x00" in text:
        raise UserInputError(f"{path}: not a UTF-8 text CSV; give a CSV or a .npy file")
    return text


def _parse_csv(path: str, text: str):
    """``(array, row_labels or None, column_labels or None)`` from CSV text."""
    try:
        lines = [(number, [cell.strip() for cell in cells])
                 for number, cells in enumerate(csv.reader(io.StringIO(text)), start=1)
                 if cells]
    except csv.Error as exc:
        raise UserInputError(f"{path}: malformed CSV ({exc})") from None
    if not lines:
        raise UserInputError(f"{path}: the file is empty")
    header = None
    labels_below = not _all_numbers(cells[0] for _, cells in lines[1:])
    if _is_header(lines[0][1], labelled_rows=labels_below):
        header, lines = lines[0][1], lines[1:]
    if not lines:
        raise UserInputError(f"{path}: no data rows below the header")
    width = len(lines[0][1])
    for number, cells in lines:
        if len(cells) != width:
            raise UserInputError(f"{path}, line {number}: {len(cells)} cells, but the first "
                                 f"data row has {width}; every row must have the same length")
    row_labels = None
    if not _all_numbers(cells[0] for _, cells in lines):
        row_labels = tuple(cells[0] for _, cells in lines)
        lines = [(number, cells[1:]) for number, cells in lines]
        width -= 1
    if width == 0:
        raise UserInputError(f"{path}: no numeric columns, only labels")
    column_labels = None if header is None else _column_labels(path, header, width,
                                                                row_labels is not None)
    array = np.array([[_cell_value(path, number, column, cell, row_labels is not None)
                       for column, cell in enumerate(cells)] for number, cells in lines])
    return array, row_labels, column_labels


def _column_labels(path: str, header: list[str], width: int, labelled_rows: bool):
    """The header's environment labels, with the corner cell dropped when there is one."""
    if labelled_rows and len(header) == width + 1:
        header = header[1:]
    if len(header) != width:
        raise UserInputError(f"{path}, line 1: the header has {len(header)} cells for "
                             f"{width} data columns")
    return tuple(header)


def _cell_value(path: str, number: int, column: int, cell: str, labelled_rows: bool) -> float:
    """The number in a matrix cell; NaN for an unknown cell (checked later)."""
    if cell.lower() in _NAN_CELLS:
        return math.nan
    try:
        return float(cell)
    except ValueError:
        place = column + 1 + int(labelled_rows)
        raise UserInputError(f"{path}, line {number}, column {place}: {cell!r} is not a "
                             f"number") from None


def _check_values(path: str, array: np.ndarray, allow_nan: bool) -> None:
    """Reject infinities always, and NaN (unknown cells) unless ``allow_nan``."""
    for bad, what, allowed in ((np.isinf(array), "infinite", False),
                               (np.isnan(array), "missing or NaN", allow_nan)):
        if bad.any() and not allowed:
            i, j = np.argwhere(bad)[0]
            raise UserInputError(f"{path}: {int(bad.sum())} cell(s) are {what}, the first at "
                                 f"row {i + 1}, column {j + 1} of the matrix; every payoff "
                                 f"must be a finite number")


def _is_header(cells: list[str], labelled_rows: bool) -> bool:
    """Whether the first row holds labels: a non-number past its first cell, or in its first
    cell when the rows below carry no labels (else that cell is the first policy's label)."""
    return not _all_numbers(cells[1:]) or (not labelled_rows and not _all_numbers(cells[:1]))


def _all_numbers(cells) -> bool:
    """Whether every non-empty cell is a number (empty cells are unknown payoffs)."""
    return all(cell == "" or _is_number(cell) for cell in cells)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
