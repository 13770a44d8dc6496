"""``coevolve resume``: continue a run from its last finished iteration."""
from __future__ import annotations

import os

from coevolve.commands.run import report_refresher, sandbox_line
from coevolve.errors import UserInputError
from coevolve.loop import run
from coevolve.progress import Progress
from coevolve.runstate import RunState

HELP = "continue a run from its last finished iteration"


def add_arguments(parser) -> None:
    parser.add_argument("dir", help="the run directory")
    parser.add_argument("--iterations", type=int, help="run until this iteration (default: the run's own)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--report", action="store_true",
                        help="refresh DIR/report/index.html after every iteration")


def main(args) -> int:
    if not os.path.isdir(args.dir):
        raise UserInputError(f"{args.dir}: no such run directory")
    state = RunState.reopen(args.dir, args.iterations, progress=Progress(quiet=args.quiet))
    try:
        done = state.next_iteration
        state.progress.message(f"coevolve: resuming {args.dir} at iteration {done}")
        state.progress.message(f"coevolve: sandbox {sandbox_line(state.pool)}")
        run(state, state.config.iterations, report_refresher(args.report, args.dir, state))
    finally:
        state.close()
    return 0
