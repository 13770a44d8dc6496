"""``coevolve heldout``: how the run's strategies generalise to held-out levels."""
from __future__ import annotations

import json
import os

from coevolve.errors import UserInputError
from coevolve.evaluate import Evaluator, ResultCache
from coevolve.heldout import evaluate_heldout, format_table, registered_family
from coevolve.progress import Progress
from coevolve.session import Session
from coevolve.store import write_atomic

HELP = "evaluate UED-Greedy, UED-Uniform and the MSNE mixture of a run on held-out levels"


def add_arguments(parser) -> None:
    parser.add_argument("dir", help="the run directory")
    parser.add_argument("--episodes", type=int, default=100, help="episodes per environment (default: 100)")
    parser.add_argument("--env-id", action="append", default=[], metavar="ID",
                        help="also a registered gymnasium environment of the domain's simulator "
                             "(repeatable), e.g. MiniGrid-KeyCorridorS3R3-v0")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def main(args) -> int:
    if not os.path.isdir(args.dir):
        raise UserInputError(f"{args.dir}: no such run directory")
    if args.episodes < 1:
        raise UserInputError("--episodes must be positive")
    progress = Progress(quiet=args.quiet or args.json)
    session = Session.reopen(args.dir, progress=progress)
    try:
        families = session.domain.spec.heldout_suite() + [
            registered_family(session.domain, env_id) for env_id in args.env_id]
    except UserInputError:
        session.close()
        raise
    archive, store = session.archive, session.recorder.store
    if archive.msne is None:
        session.close()
        raise UserInputError(f"{args.dir} has no finished iteration yet")
    try:
        evaluator = Evaluator(session.domain.env_package, session.executor, args.episodes,
                              session.config.seed, ResultCache(store.path("heldout_cache.jsonl")),
                              reuse=False)
        rows = evaluate_heldout(archive.policies, archive.msne.row_strategy,
                                families, evaluator,
                                progress.counter("held-out episodes"))
    finally:
        session.close()
    result = {"run": args.dir, "iteration": session.next_iteration - 1,
              "episodes": args.episodes, "results": rows}
    write_atomic(store.path("heldout.json"), json.dumps(result, indent=2) + "\n")
    print(json.dumps(result) if args.json else format_table(rows))
    return 0
