"""``coevolve run``: start a co-evolution run."""
from __future__ import annotations

import functools

from solvers.meta import META_SOLVERS

from coevolve.config import RunConfig
from coevolve.designers import DESIGNERS
from coevolve.domains import DOMAINS, get_domain
from coevolve.errors import UserInputError
from coevolve.flags import add_config_flags, config_from_args
from coevolve.loop import ENV_SEARCHES, ENV_SELECTIONS, POLICY_OBJECTIVES, POLICY_SEARCHES, run
from coevolve.progress import Progress
from coevolve.session import Session, default_run_dir

HELP = "start a co-evolution run of environments and policies"
RECORDED = ("env_package", "policy_package")
"""RunConfig fields taken from the domain, not from flags."""


def add_arguments(parser) -> None:
    add_config_flags(parser, RunConfig, skip=RECORDED,
                     choices={"domain": sorted(DOMAINS), "designer": list(DESIGNERS),
                              "env_designer": list(DESIGNERS), "policy_designer": list(DESIGNERS),
                              "meta_solver": sorted(META_SOLVERS),
                              "policy_objective": list(POLICY_OBJECTIVES),
                              "policy_search": list(POLICY_SEARCHES),
                              "env_search": list(ENV_SEARCHES),
                              "env_selection": list(ENV_SELECTIONS)})
    parser.add_argument("--out", help="run directory (default: runs/<domain>-<designer>-s<seed>-<time>)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--report", action="store_true",
                        help="refresh DIR/report/index.html after every iteration")


def main(args) -> int:
    domain = get_domain(args.domain or RunConfig.domain)  # a broken domain stops here
    config = config_from_args(RunConfig, args, **domain_defaults(args, domain),
                              env_package=domain.env_package, policy_package=domain.policy_package)
    check_config(config)
    root = args.out or default_run_dir(config)
    session = Session.create(config, root, progress=Progress(quiet=args.quiet))
    session.progress.message(f"coevolve: run directory {root}")
    session.progress.message(f"coevolve: sandbox {sandbox_line(session.executor)}")
    try:
        run(session, config.iterations, report_refresher(args.report, root, session))
    finally:
        session.close()
    session.progress.message(f"coevolve: finished {config.iterations} iterations in {root}")
    return 0


def sandbox_line(executor) -> str:
    """The wall in force, for the progress header."""
    wall = getattr(executor, "wall", None)
    return wall.describe() if wall is not None else str(getattr(executor, "sandbox_mode", "?"))


def domain_defaults(args, domain=None) -> dict:
    """The domain's ``RUN_DEFAULTS`` for the flags the user left out (e.g. fewer episodes for driving)."""
    domain = domain or get_domain(args.domain or RunConfig.domain)
    return {name: value for name, value in domain.run_defaults.items()
            if getattr(args, name, None) is None}


def report_refresher(wanted: bool, root: str, session):
    """The after-iteration callback that rewrites the HTML report, or None."""
    if not wanted:
        return None
    from coevolve.report import write_report  # matplotlib: imported only when asked for
    return functools.partial(write_report, root, session.executor)


def check_config(config: RunConfig) -> None:
    """Reject nonsensical numbers with one clear message."""
    for name in ("iterations", "episodes", "candidates", "check_seeds", "max_mutations"):
        if getattr(config, name) < (0 if name == "iterations" else 1):
            raise UserInputError(f"--{name.replace('_', '-')} must be positive")
    if config.workers < 0 or config.episode_seconds < 0 or config.memory_mb < 0:
        raise UserInputError("--workers, --episode-seconds and --memory-mb cannot be negative")
