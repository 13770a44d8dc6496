"""``coevolve bench nash``: the Nash LP solved by CBC, HiGHS and scipy on the same random games.

CBC and HiGHS run through :mod:`solvers.nash` exactly as ``nash()`` does, timed per stage:
building the PuLP model, the solver call (for CBC this includes PuLP writing and reading its
files), and finishing (polishing and verifying the pair). scipy's ``linprog`` (HiGHS behind a
different interface, with the same tolerances) is the baseline measured in the same run: its
build stage fills the dense constraint arrays. For every size the report gives the largest
disagreement in game value between the three and each method's total time over scipy's.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import linprog

from coevolve.errors import UserInputError
from solvers.metrics import gap
from solvers.nash import LP_TOLERANCE, build_row_lp, equilibrium, solve_row_lp

DEFAULT_SIZES = (10, 100, 300, 1000)
METHODS = ("cbc", "highs", "scipy")
BASELINE = "scipy"


@dataclass(frozen=True)
class Timing:
    """One method on one game.

    Attributes:
        method: ``cbc``, ``highs`` or ``scipy``.
        build_seconds: Building the model.
        solve_seconds: The solver call.
        finish_seconds: Turning the solution into a verified equilibrium.
        value: The game value found.
        gap: Exploitability of the returned strategy pair.
    """

    method: str
    build_seconds: float
    solve_seconds: float
    finish_seconds: float
    value: float
    gap: float

    @property
    def total_seconds(self) -> float:
        """All three stages."""
        return self.build_seconds + self.solve_seconds + self.finish_seconds


@dataclass(frozen=True)
class SizeReport:
    """All methods on one random ``size`` x ``size`` game.

    Attributes:
        size: Rows and columns of the game.
        timings: One per method, in ``METHODS`` order.
    """

    size: int
    timings: tuple[Timing, ...]

    @property
    def value_disagreement(self) -> float:
        """Largest difference in game value between any two methods."""
        values = [timing.value for timing in self.timings]
        return max(values) - min(values)

    def ratio(self, timing: Timing) -> float:
        """``timing``'s total time over the baseline's."""
        baseline = next(t for t in self.timings if t.method == BASELINE)
        return timing.total_seconds / baseline.total_seconds


def bench(sizes=DEFAULT_SIZES, seed: int = 0) -> list[SizeReport]:
    """Time every method on one uniform random game in [0, 1) per size."""
    rng = np.random.default_rng(seed)
    reports = []
    for size in sizes:
        payoffs = rng.random((size, size))
        timings = tuple(_time_scipy(payoffs) if method == "scipy"
                        else _time_pulp(payoffs, method) for method in METHODS)
        reports.append(SizeReport(size, timings))
    return reports


def format_table(reports: list[SizeReport]) -> str:
    """A readable table: one line per size and method."""
    header = (f"{'size':>5}  {'method':<6}  {'build s':>8}  {'solve s':>8}  {'finish s':>8}  "
              f"{'total s':>8}  {'/ ' + BASELINE:>8}  {'value':>18}  {'gap':>8}")
    lines = [header, "-" * len(header)]
    for report in reports:
        for timing in report.timings:
            lines.append(f"{report.size:>5}  {timing.method:<6}  {timing.build_seconds:>8.3f}  "
                         f"{timing.solve_seconds:>8.3f}  {timing.finish_seconds:>8.3f}  "
                         f"{timing.total_seconds:>8.3f}  {report.ratio(timing):>8.2f}  "
                         f"{timing.value:>18.15f}  {timing.gap:>8.1e}")
        lines.append(f"{'':>5}  largest value disagreement {report.value_disagreement:.1e}")
    return "\n".join(lines)


def to_json(reports: list[SizeReport], seed: int) -> dict:
    """Machine-readable results, with derived totals and ratios included."""
    return {
        "seed": seed,
        "baseline": BASELINE,
        "sizes": [{
            "size": report.size,
            "value_disagreement": report.value_disagreement,
            "methods": [{**asdict(timing), "total_seconds": timing.total_seconds,
                         "ratio_to_baseline": report.ratio(timing)}
                        for timing in report.timings],
        } for report in reports],
    }


def add_arguments(parser) -> None:
    """Register ``--sizes``, ``--seed`` and ``--json``."""
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES),
                        metavar="N", help="rows = columns of each random game "
                                          f"(default: {' '.join(map(str, DEFAULT_SIZES))})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random games")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def main(args) -> int:
    """Run the benchmark and print the table (or JSON)."""
    if any(size < 1 for size in args.sizes):
        raise UserInputError(f"--sizes must be positive; got {args.sizes}")
    reports = bench(args.sizes, args.seed)
    print(json.dumps(to_json(reports, args.seed)) if args.json else format_table(reports))
    return 0


def _time_pulp(payoffs: np.ndarray, solver: str) -> Timing:
    """The stages of ``solvers.nash.nash`` with ``solver``, timed one by one."""
    start = time.perf_counter()
    lp = build_row_lp(payoffs)
    built = time.perf_counter()
    solution = solve_row_lp(lp, solver)
    solved = time.perf_counter()
    result = equilibrium(payoffs, solution, solver)
    finished = time.perf_counter()
    return Timing(solver, built - start, solved - built, finished - solved, result.value,
                  result.gap)


def _time_scipy(payoffs: np.ndarray) -> Timing:
    """The same LP with ``scipy.optimize.linprog``; the column mixture from its duals."""
    start = time.perf_counter()
    rows, columns = payoffs.shape
    objective = np.zeros(rows + 1)
    objective[-1] = -1.0  # maximise v
    upper = np.hstack([-payoffs.T, np.ones((columns, 1))])  # v - sum_i x_i A[i, j] <= 0
    mixture = np.append(np.ones(rows), 0.0)[np.newaxis]
    bounds = [(0, None)] * rows + [(None, None)]
    built = time.perf_counter()
    result = linprog(objective, A_ub=upper, b_ub=np.zeros(columns), A_eq=mixture, b_eq=[1.0],
                     bounds=bounds, method="highs",
                     options={"primal_feasibility_tolerance": LP_TOLERANCE,
                              "dual_feasibility_tolerance": LP_TOLERANCE})
    solved = time.perf_counter()
    if result.status != 0:
        raise RuntimeError(f"scipy linprog failed on the {rows} x {columns} game: "
                           f"{result.message}")
    x = _mixture(result.x[:-1])
    y = _mixture(-result.ineqlin.marginals)
    finished = time.perf_counter()
    return Timing("scipy", built - start, solved - built, finished - solved, -result.fun,
                  gap(payoffs, x, y))


def _mixture(weights: np.ndarray) -> np.ndarray:
    clipped = np.clip(weights, 0.0, None)
    return clipped / clipped.sum()
