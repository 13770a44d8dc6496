"""``coevolve export DIR``: the run's MSNE meta-policy as one standalone Python module."""
from __future__ import annotations

import os
import sys

from coevolve.errors import UserInputError
from coevolve.export import write_meta_policy

HELP = "Write a run's MSNE meta-policy as one standalone Python module."


def add_arguments(parser) -> None:
    """Register ``DIR``, ``--iteration`` and ``--out``."""
    parser.add_argument("dir", metavar="DIR", help="run directory")
    parser.add_argument("--iteration", type=int, default=None,
                        help="the iteration whose MSNE is exported (default: the last logged)")
    parser.add_argument("--out", default=None,
                        help="module to write (default: DIR/meta_policy.py)")


def main(args) -> int:
    """Write the module and say where it is."""
    if not os.path.isdir(args.dir):
        raise UserInputError(f"{args.dir} is not a directory")
    out = args.out or os.path.join(args.dir, "meta_policy.py")
    if os.path.isdir(out):
        raise UserInputError(f"--out {out} is a directory; give a file name")
    write_meta_policy(args.dir, out, args.iteration)
    print(f"coevolve: wrote the meta-policy to {out}", file=sys.stderr)
    return 0
