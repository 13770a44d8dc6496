"""The ``coevolve`` command line: one sub-command per module in :mod:`coevolve.commands`.

Each command module defines ``HELP`` (one line), ``add_arguments(parser)`` and
``main(args) -> int``. A :class:`~coevolve.errors.UserInputError` raised anywhere becomes one
line on stderr and exit status 2.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from coevolve.errors import UserInputError

COMMANDS = ("run", "resume", "eval", "heldout", "export", "nash", "atari", "report", "bench")


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit status 2."""

    def error(self, message: str):  # noqa: D401 - argparse hook
        print(f"{self.prog}: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with every available command registered."""
    parser = _Parser(prog="coevolve", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in COMMANDS:
        module = importlib.import_module(f"coevolve.commands.{name}")
        cmd = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(cmd)
        cmd.set_defaults(_main=module.main)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    args = build_parser().parse_args(argv)
    try:
        return int(args._main(args) or 0)
    except UserInputError as exc:
        print(f"coevolve: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("coevolve: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
