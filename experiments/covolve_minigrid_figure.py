"""Reproduce the COvolve paper's MiniGrid figure and generalisation table from a run directory.

    python experiments/covolve_minigrid_figure.py runs/NAME [--out DIR]

Writes DIR/covolve_figure.png (per iteration: the newest policy on every archived environment,
the MSNE mixture on every archived environment, and greedy / uniform / MSNE archive success) and
prints the per-iteration table and, when `coevolve heldout` has written heldout.json, the
generalisation table (environment x strategy success rates, as in the paper).
"""
import argparse
import os

from coevolve.heldout import format_table
from coevolve.report.figures import covolve_figure
from coevolve.report.history import logged_scores, mixture_grids
from coevolve.report.rundata import load_run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a coevolve run directory")
    parser.add_argument("--out", help="where to write the figure (default: the run directory)")
    args = parser.parse_args()
    run = load_run(args.run)
    out = args.out or args.run
    os.makedirs(out, exist_ok=True)
    grids = mixture_grids(run.iterations, run.payoffs)
    scores = logged_scores(run.iterations)
    covolve_figure(grids, scores, os.path.join(out, "covolve_figure.png"))
    print("iteration  value  greedy worst/mean  uniform worst/mean  msne worst/mean")
    for n, record in enumerate(run.iterations):
        cells = "  ".join(f"{scores[s]['worst'][n]:.2f}/{scores[s]['mean'][n]:.2f}      "
                          for s in ("greedy", "uniform", "msne"))
        print(f"{record.iteration:9d}  {record.value:.2f}   {cells}")
    if run.heldout:
        print("\nheld-out success (" + str(run.heldout["episodes"]) + " episodes each)")
        print(format_table(run.heldout["results"]))
    print(f"\nwrote {os.path.join(out, 'covolve_figure.png')}")


if __name__ == "__main__":
    main()
