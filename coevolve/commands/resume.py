"""``coevolve resume``: continue a run from its last finished iteration.

The designers and the LLM settings may be changed on resume (``--designer``,
``--env-designer``, ``--policy-designer``, ``--model``, ...): the change is recorded in the run's
resumes.jsonl and holds from the resumed iteration on.
"""
from __future__ import annotations

import os

from coevolve.commands.run import report_refresher, sandbox_line
from coevolve.config import RunConfig
from coevolve.designers import DESIGNERS
from coevolve.errors import UserInputError
from coevolve.flags import add_config_flags
from coevolve.loop import run
from coevolve.progress import Progress
from coevolve.session import Session

HELP = "continue a run from its last finished iteration"
SWITCHABLE = ("designer", "env_designer", "policy_designer", "model", "base_url", "repair_rounds",
              "max_requests", "max_tokens", "request_timeout", "temperature",
              "max_output_tokens", "reasoning_effort", "llm_extra", "llm_concurrency")
"""RunConfig fields a resume may change."""


def add_arguments(parser) -> None:
    parser.add_argument("dir", help="the run directory")
    parser.add_argument("--iterations", type=int, help="run until this iteration (default: the run's own)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--report", action="store_true",
                        help="refresh DIR/report/index.html after every iteration")
    switch = parser.add_argument_group("changed from the resumed iteration on (default: as before)")
    add_config_flags(switch, RunConfig, skip=[f for f in RunConfig.__dataclass_fields__
                                              if f not in SWITCHABLE],
                     choices={name: list(DESIGNERS)
                              for name in ("designer", "env_designer", "policy_designer")})


def main(args) -> int:
    if not os.path.isdir(args.dir):
        raise UserInputError(f"{args.dir}: no such run directory")
    changes = {name: getattr(args, name) for name in SWITCHABLE
               if getattr(args, name, None) is not None}
    if "designer" in changes:  # --designer sets both roles unless one is named too
        changes.setdefault("env_designer", changes["designer"])
        changes.setdefault("policy_designer", changes["designer"])
    session = Session.reopen(args.dir, args.iterations, changes,
                             progress=Progress(quiet=args.quiet))
    try:
        done = session.next_iteration
        session.progress.message(f"coevolve: resuming {args.dir} at iteration {done}")
        session.progress.message(f"coevolve: sandbox {sandbox_line(session.executor)}")
        run(session, session.config.iterations,
            report_refresher(args.report, args.dir, session))
    finally:
        session.close()
    return 0
