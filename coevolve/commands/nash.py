"""``coevolve nash FILE``: the mixed-strategy Nash equilibrium of a payoff matrix."""
from __future__ import annotations

import json

import numpy as np

from coevolve.errors import UserInputError
from coevolve.matrix_io import load_matrix
from solvers.nash import AUTO_CELLS, METHODS, SOLVERS, SolverUnavailableError, nash

HELP = "Solve the zero-sum game of a payoff matrix (CSV or .npy) for its Nash equilibrium."


def add_arguments(parser) -> None:
    """Register ``FILE``, ``--solver``, ``--method`` and ``--json``."""
    parser.add_argument("file", metavar="FILE",
                        help="payoff matrix: CSV (optional header of environment labels and "
                             "column of policy labels) or .npy; rows are policies (maximising)")
    parser.add_argument("--solver", choices=SOLVERS, default="cbc",
                        help="LP solver: PuLP's bundled CBC (default) or HiGHS")
    parser.add_argument("--method", choices=METHODS, default="auto",
                        help="full: one LP over the whole matrix; oracle: restricted games "
                             "grown until certified on every row and column (full LP if "
                             f"not); auto (default): oracle from {AUTO_CELLS} cells on")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object instead of tables")


def main(args) -> int:
    """Load the matrix, solve it, print the equilibrium."""
    payoffs, row_labels, column_labels = load_matrix(args.file)
    try:
        result = nash(payoffs, solver=args.solver, method=args.method)
    except SolverUnavailableError as exc:
        raise UserInputError(str(exc)) from None
    if args.json:
        print(json.dumps({
            "value": result.value,
            "row_strategy": result.row_strategy.tolist(),
            "column_strategy": result.column_strategy.tolist(),
            "row_labels": list(row_labels),
            "column_labels": list(column_labels),
            "solver": result.solver,
            "gap": result.gap,
            "method": result.method,
            "rounds": result.rounds,
            "fallback": result.fallback,
        }))
        return 0
    rows, columns = payoffs.shape
    print(f"Nash equilibrium of {args.file}: {rows} policies x {columns} environments, "
          f"solved by {result.solver} ({_method_line(result)})\n")
    print(_mixture_table("policy", row_labels, result.row_strategy))
    print()
    print(_mixture_table("environment", column_labels, result.column_strategy))
    print()
    print(f"game value  {result.value:.10g}")
    print(f"gap         {result.gap:.3g}")
    return 0


def _method_line(result) -> str:
    """How the pair was found, e.g. ``oracle, 2 restricted games``."""
    if result.fallback:
        return f"full LP after {result.rounds} restricted games without a certificate"
    if result.method == "oracle":
        return f"oracle, {result.rounds} restricted game{'s' if result.rounds > 1 else ''}"
    return "full LP"


def _mixture_table(heading: str, labels, weights: np.ndarray) -> str:
    """Labels and weights, the support first by decreasing weight, then the rest in order."""
    order = sorted(range(len(labels)), key=lambda i: (weights[i] == 0, -weights[i], i))
    width = max(len(heading), *(len(label) for label in labels))
    lines = [f"{heading:<{width}}  weight", f"{'-' * width}  --------"]
    lines += [f"{labels[i]:<{width}}  {weights[i]:.6f}" for i in order]
    return "\n".join(lines)
