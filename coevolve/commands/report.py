"""``coevolve report``: plots, level renders and an HTML page for a run directory."""
from __future__ import annotations

HELP = "write DIR/report/index.html: figures, level renders and tables of a run"


def add_arguments(parser) -> None:
    parser.add_argument("dir", help="the run directory (co-evolution or Atari)")


def main(args) -> int:
    from coevolve.report import write_report  # matplotlib: the CLI imports it only when needed

    path = write_report(args.dir)
    print(f"coevolve: wrote {path}")
    return 0
