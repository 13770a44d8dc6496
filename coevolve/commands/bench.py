"""``coevolve bench nash|eval``: benchmarks, each in its own module.

``nash`` is :mod:`coevolve.bench_nash`. ``eval`` is :mod:`coevolve.bench_eval`, imported only when
asked for (it may not exist yet, and it pulls in the simulators); its arguments are handed to
its own parser untouched.
"""
from __future__ import annotations

import argparse
import importlib

from coevolve import bench_nash

HELP = "Benchmark the Nash meta-solvers (nash) or episode evaluation (eval)."

EVAL_MODULE = "coevolve.bench_eval"


def add_arguments(parser) -> None:
    """Register the ``nash`` and ``eval`` targets."""
    targets = parser.add_subparsers(dest="target", required=True, metavar="TARGET",
                                    parser_class=type(parser))
    nash = targets.add_parser("nash", help="full LP (CBC, HiGHS, scipy) and the oracle on "
                                           "random games",
                              description="Solve random games of each size with the full LP "
                                          "(CBC, HiGHS, scipy's linprog) and with the "
                                          "restricted-game oracle; time them.")
    bench_nash.add_arguments(nash)
    # A prefix character no argument starts with: every word after "eval", options included,
    # lands in `rest` for bench_eval's own parser.
    evaluation = targets.add_parser("eval", help="episode evaluation throughput",
                                    add_help=False, prefix_chars="\0")
    evaluation.add_argument("rest", nargs="*")
    evaluation.set_defaults(parser_class=type(parser))  # one-line usage errors, like the CLI's


def main(args) -> int:
    """Run the chosen benchmark."""
    if args.target == "nash":
        return bench_nash.main(args)
    return run_module(EVAL_MODULE, "coevolve bench eval", args.rest, args.parser_class)


def run_module(name: str, prog: str, argv: list[str],
               parser_class=argparse.ArgumentParser) -> int:
    """Import benchmark module ``name``, parse ``argv`` with its arguments, run its ``main``.

    Args:
        name: Module defining ``add_arguments(parser)`` and ``main(args) -> int``.
        prog: Program name for its usage and error messages, e.g. ``coevolve bench eval``.
        argv: The arguments after the target.
        parser_class: The ``argparse.ArgumentParser`` class to parse them with.
    """
    module = importlib.import_module(name)
    parser = parser_class(prog=prog)
    module.add_arguments(parser)
    return int(module.main(parser.parse_args(argv)) or 0)
