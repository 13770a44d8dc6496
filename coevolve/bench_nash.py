"""``coevolve bench nash``: the Nash LP solved by CBC, HiGHS and scipy, and the oracle, on random games.

Entries (``--methods``): ``cbc`` and ``highs`` solve the full LP through :mod:`solvers.nash`
exactly as ``nash(method="full")`` does, timed per stage: building the PuLP model, the solver
call (for CBC this includes PuLP writing and reading its files), and finishing (polishing and
verifying the pair). ``scipy`` is the same LP with ``scipy.optimize.linprog`` (HiGHS behind a
different interface, same tolerances); its build stage fills the dense constraint arrays.
``oracle`` is ``nash(method="oracle")`` with CBC: regret matching, restricted games (CBC up to
``solvers.nash.SIMPLEX_CELLS`` cells, the interior point above), the certificate on every row and
column; it is timed as a whole, and its "solved by" column names what solved its last restricted
game. The baseline is CBC on the full
LP, measured in the same run, by wall time and by CPU time (this process and its solver
processes: steadier than wall time on a shared machine); above ``--full-limit`` the full-LP entries are not run (they would
take hours) and the table says so. For every size the report gives the largest disagreement in
game value between the entries run and each entry's total time over the baseline's.
"""
from __future__ import annotations

import json
import resource
import time
from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import linprog

from coevolve.errors import UserInputError
from solvers.metrics import gap
from solvers.nash import LP_TOLERANCE, build_row_lp, equilibrium, nash, solve_row_lp

DEFAULT_SIZES = (100, 300, 1000)
METHODS = ("cbc", "highs", "scipy", "oracle")
FULL_LP = ("cbc", "highs", "scipy")
BASELINE = "cbc"
DEFAULT_FULL_LIMIT = 2000


@dataclass(frozen=True)
class Timing:
    """One method on one game.

    Attributes:
        method: ``cbc``, ``highs``, ``scipy`` or ``oracle``.
        total_seconds: Wall time of the whole solve.
        cpu_seconds: CPU time of the whole solve, this process's and its solver processes'.
        build_seconds: Building the model (None for the oracle, timed as a whole).
        solve_seconds: The solver call (None for the oracle).
        finish_seconds: Turning the solution into a verified equilibrium (None for the oracle).
        value: The game value found.
        gap: Exploitability of the returned strategy pair on the full matrix.
        rounds: Restricted games the oracle solved (0 for the full LP).
        support: Sizes of the row and column supports.
        solver: What solved the (last restricted) LP: ``PULP_CBC_CMD``, ``HiGHS``, ``scipy``
            or ``interior-point``.
    """

    method: str
    total_seconds: float
    cpu_seconds: float
    build_seconds: float | None
    solve_seconds: float | None
    finish_seconds: float | None
    value: float
    gap: float
    rounds: int
    support: tuple[int, int]
    solver: str


@dataclass(frozen=True)
class SizeReport:
    """The methods run on one random ``size`` x ``size`` game.

    Attributes:
        size: Rows and columns of the game.
        timings: One per method run, in ``METHODS`` order.
        skipped: Methods not run at this size (the full LP above the limit).
    """

    size: int
    timings: tuple[Timing, ...]
    skipped: tuple[str, ...] = ()

    @property
    def value_disagreement(self) -> float:
        """Largest difference in game value between any two methods run."""
        values = [timing.value for timing in self.timings]
        return max(values) - min(values)

    def ratio(self, timing: Timing, clock: str = "total_seconds") -> float | None:
        """``timing``'s time over the baseline's (None if the baseline was not run).

        Args:
            timing: One of ``timings``.
            clock: ``total_seconds`` (wall) or ``cpu_seconds``.
        """
        baseline = next((t for t in self.timings if t.method == BASELINE), None)
        return getattr(timing, clock) / getattr(baseline, clock) if baseline else None


def bench(sizes=DEFAULT_SIZES, seed: int = 0, methods=METHODS,
          full_limit: int = DEFAULT_FULL_LIMIT) -> list[SizeReport]:
    """Time ``methods`` on one uniform random game in [0, 1) per size (the same games whatever
    ``methods`` is); full-LP methods only up to ``full_limit``."""
    rng = np.random.default_rng(seed)
    reports = []
    for size in sizes:
        payoffs = rng.random((size, size))
        run = [m for m in METHODS if m in methods and (m not in FULL_LP or size <= full_limit)]
        skipped = tuple(m for m in METHODS if m in methods and m not in run)
        reports.append(SizeReport(size, tuple(TIMERS[m](payoffs, m) for m in run), skipped))
    return reports


def format_table(reports: list[SizeReport], full_limit: int = DEFAULT_FULL_LIMIT) -> str:
    """A readable table: one line per size and method."""
    header = (f"{'size':>5}  {'method':<6}  {'build s':>8}  {'solve s':>8}  {'finish s':>8}  "
              f"{'total s':>8}  {'/ ' + BASELINE:>8}  {'cpu s':>8}  {'/ ' + BASELINE:>8}  "
              f"{'value':>18}  {'gap':>8}  "
              f"{'rounds':>6}  {'support':>11}  solved by")
    lines = [header, "-" * len(header)]
    for report in reports:
        for timing in report.timings:
            stages = [timing.build_seconds, timing.solve_seconds, timing.finish_seconds]
            lines.append(
                f"{report.size:>5}  {timing.method:<6}  "
                + "  ".join(f"{'-' if s is None else f'{s:.3f}':>8}" for s in stages)
                + f"  {timing.total_seconds:>8.3f}  {_ratio(report, timing, 'total_seconds')}"
                f"  {timing.cpu_seconds:>8.3f}  {_ratio(report, timing, 'cpu_seconds')}"
                f"  {timing.value:>18.15f}  {timing.gap:>8.1e}  {timing.rounds:>6}  "
                f"{'%dx%d' % timing.support:>11}  {timing.solver}")
        for method in report.skipped:
            lines.append(f"{report.size:>5}  {method:<6}  not run: the full LP is too slow "
                         f"above --full-limit {full_limit}")
        if len(report.timings) > 1:
            lines.append(f"{'':>5}  largest value disagreement {report.value_disagreement:.1e}")
    return "\n".join(lines)


def to_json(reports: list[SizeReport], seed: int, full_limit: int = DEFAULT_FULL_LIMIT) -> dict:
    """Machine-readable results, with ratios included."""
    return {
        "seed": seed,
        "baseline": BASELINE,
        "full_limit": full_limit,
        "sizes": [{
            "size": report.size,
            "value_disagreement": report.value_disagreement,
            "skipped": list(report.skipped),
            "methods": [{**asdict(timing), "support": list(timing.support),
                         "ratio_to_baseline": report.ratio(timing),
                         "cpu_ratio_to_baseline": report.ratio(timing, "cpu_seconds")}
                        for timing in report.timings],
        } for report in reports],
    }


def add_arguments(parser) -> None:
    """Register ``--sizes``, ``--methods``, ``--full-limit``, ``--seed`` and ``--json``."""
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES),
                        metavar="N", help="rows = columns of each random game "
                                          f"(default: {' '.join(map(str, DEFAULT_SIZES))})")
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS),
                        metavar="M", help=f"entries to run, of {', '.join(METHODS)} "
                                          "(default: all)")
    parser.add_argument("--full-limit", type=int, default=DEFAULT_FULL_LIMIT, metavar="N",
                        help="largest size the full LP (cbc, highs, scipy) is run at "
                             f"(default: {DEFAULT_FULL_LIMIT})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random games")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def main(args) -> int:
    """Run the benchmark and print the table (or JSON)."""
    if any(size < 1 for size in args.sizes):
        raise UserInputError(f"--sizes must be positive; got {args.sizes}")
    if args.full_limit < 0:
        raise UserInputError(f"--full-limit must be non-negative; got {args.full_limit}")
    reports = bench(args.sizes, args.seed, args.methods, args.full_limit)
    print(json.dumps(to_json(reports, args.seed, args.full_limit)) if args.json
          else format_table(reports, args.full_limit))
    return 0


def _time_pulp(payoffs: np.ndarray, solver: str) -> Timing:
    """The stages of ``solvers.nash.full_nash`` with ``solver``, timed one by one."""
    cpu = _cpu_seconds()
    start = time.perf_counter()
    lp = build_row_lp(payoffs)
    built = time.perf_counter()
    solution = solve_row_lp(lp, solver)
    solved = time.perf_counter()
    result = equilibrium(payoffs, solution, solver)
    finished = time.perf_counter()
    return Timing(solver, finished - start, _cpu_seconds() - cpu, built - start, solved - built, finished - solved,
                  result.value, result.gap, 0, _support(result.row_strategy,
                                                        result.column_strategy), result.solver)


def _time_oracle(payoffs: np.ndarray, method: str) -> Timing:
    """``nash(method="oracle")`` with CBC, timed as a whole."""
    cpu = _cpu_seconds()
    start = time.perf_counter()
    result = nash(payoffs, "cbc", method="oracle")
    finished = time.perf_counter()
    return Timing(method, finished - start, _cpu_seconds() - cpu, None, None, None, result.value, result.gap,
                  result.rounds, _support(result.row_strategy, result.column_strategy),
                  result.solver)


def _time_scipy(payoffs: np.ndarray, method: str = "scipy") -> Timing:
    """The same LP with ``scipy.optimize.linprog``; the column mixture from its duals."""
    cpu = _cpu_seconds()
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
    return Timing(method, finished - start, _cpu_seconds() - cpu, built - start,
                  solved - built, finished - solved, -result.fun, gap(payoffs, x, y), 0, _support(x, y),
                  "scipy")


TIMERS = {"cbc": _time_pulp, "highs": _time_pulp, "scipy": _time_scipy, "oracle": _time_oracle}


def _ratio(report: SizeReport, timing: Timing, clock: str) -> str:
    ratio = report.ratio(timing, clock)
    return f"{'-' if ratio is None else f'{ratio:.2f}':>8}"


def _cpu_seconds() -> float:
    """CPU time used so far by this process and by its finished child processes (CBC)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _support(x: np.ndarray, y: np.ndarray) -> tuple[int, int]:
    """Weights above 1e-9 in each mixture (scipy's are not polished to exact zeros)."""
    return int(np.count_nonzero(x > 1e-9)), int(np.count_nonzero(y > 1e-9))


def _mixture(weights: np.ndarray) -> np.ndarray:
    clipped = np.clip(weights, 0.0, None)
    return clipped / clipped.sum()
