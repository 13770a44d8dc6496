"""``coevolve eval``: one policy program on one environment program (or a registered gymnasium
environment, ``--env-id``), through the sandbox."""
from __future__ import annotations

import dataclasses
import json

from coevolve.domains import DOMAINS, get_domain
from coevolve.errors import UserInputError
from coevolve.evaluate import Evaluator
from coevolve.heldout import evaluate_mixture, registered_family
from coevolve.progress import Progress
from coevolve.sandbox import MODES, Limits, SandboxPool
from coevolve.user_programs import read_program_file

HELP = "evaluate a policy program on an environment program or a registered environment"


def add_arguments(parser) -> None:
    parser.add_argument("--domain", required=True, choices=sorted(DOMAINS))
    level = parser.add_mutually_exclusive_group(required=True)
    level.add_argument("--env", help="environment program (.py)")
    level.add_argument("--env-id", metavar="ID",
                       help="a registered gymnasium environment of the domain's simulator instead "
                            "of a program, e.g. MiniGrid-DoorKey-8x8-v0")
    parser.add_argument("--policy", required=True, help="policy program (.py)")
    parser.add_argument("--episodes", type=int, default=10, help="episodes (default: 10)")
    parser.add_argument("--seed", type=int, default=0, help="base seed (default: 0)")
    parser.add_argument("--workers", type=int, default=0, help="worker processes (default: one per core)")
    parser.add_argument("--episode-seconds", type=float, default=0.0,
                        help="wall-clock limit per episode (default: the domain's)")
    parser.add_argument("--sandbox", default="auto", choices=MODES,
                        help="the wall around the programs (default: auto, bwrap where it works)")
    parser.add_argument("--no-reuse", dest="reuse", action="store_false",
                        help="play every episode, even those whose outcome is already known")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def main(args) -> int:
    domain = get_domain(args.domain)
    if args.episodes < 1:
        raise UserInputError("--episodes must be positive")
    family = registered_family(domain, args.env_id) if args.env_id else None
    env = read_program_file(args.env, "env", domain) if family is None else None
    policy = read_program_file(args.policy, "policy", domain)
    seconds = args.episode_seconds or domain.default_max_seconds
    with SandboxPool(args.workers or None, Limits(seconds=seconds, sandbox=args.sandbox),
                     preload=(domain.env_package,)) as pool:
        evaluator = Evaluator(domain.env_package, pool, args.episodes, args.seed, reuse=args.reuse)
        progress = Progress(quiet=args.json).counter("episodes")
        cell = (evaluator.evaluate([(policy, env)], progress)[0] if family is None else
                evaluate_mixture([policy], [1.0], family, evaluator, progress))
    if args.json:
        print(json.dumps(dataclasses.asdict(cell)))
    else:
        for name, value in dataclasses.asdict(cell).items():
            print(f"{name:>24}: {value}")
    return 0
