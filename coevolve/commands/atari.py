"""``coevolve atari``: improve an Atari policy program by generative code optimisation."""
from __future__ import annotations

import argparse
import json
from dataclasses import fields, replace
from pathlib import Path

from coevolve.errors import UserInputError

HELP = "optimise an Atari policy program (Pong, Breakout, SpaceInvaders) from traces and scores"
GAMES = ("Pong", "Breakout", "SpaceInvaders")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the command's flags."""
    parser.add_argument("--game", required=True, help="Pong, Breakout or SpaceInvaders")
    parser.add_argument("--iterations", type=int, default=20,
                        help="optimisation iterations (default 20)")
    parser.add_argument("--designer", default="offline",
                        help="offline (genetic programming, default) or llm")
    parser.add_argument("--episodes", type=int, default=10,
                        help="full episodes per evaluation (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--sticky", action="store_true",
                        help="sticky actions (repeat probability 0.25) instead of 0.0")
    parser.add_argument("--candidates", type=int, default=8,
                        help="candidate programs per iteration (default 8)")
    parser.add_argument("--out", default=None,
                        help="run directory (default runs/atari-<game>-<seed>)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out from its last finished iteration")


def main(args: argparse.Namespace) -> int:
    """Run (or resume) the optimisation and report where the results are."""
    from coevolve.atari.loop import AtariConfig, AtariRun
    from coevolve.atari.optimizers import make_optimizer
    from coevolve.sandbox import Limits, SandboxPool

    if args.game not in GAMES:
        raise UserInputError(f"unknown game {args.game!r}; choose one of {', '.join(GAMES)}")
    out = Path(args.out or f"runs/atari-{args.game}-{args.seed}")
    make_optimizer(args.designer, args.game, 1)  # unknown or unavailable designer: exit 2 now
    if args.resume:
        config = _saved_config(out, args)
    else:
        if (out / "state.json").exists():
            raise UserInputError(f"{out} already holds a run; pass --resume to continue it or "
                                 "choose another --out")
        try:
            config = AtariConfig(game=args.game, iterations=args.iterations,
                                 designer=args.designer, episodes=args.episodes, seed=args.seed,
                                 workers=args.workers, sticky=args.sticky,
                                 candidates=args.candidates)
        except ValueError as exc:
            raise UserInputError(str(exc)) from None
    print(f"coevolve atari: {config.game}, {config.designer} optimiser, {config.iterations} "
          f"iterations, {config.episodes} episodes per evaluation, writing to {out}")
    with SandboxPool(workers=config.workers, limits=Limits(seconds=600.0, memory_mb=4096),
                     preload=("envs.atari",)) as pool:
        state = AtariRun(config, out, pool, log=lambda line: print(line, flush=True),
                         progress=True).run()
    print(f"best {state.best_mean:.1f} +- {state.best_std:.1f} after {state.iteration} "
          f"iterations, {state.env_steps:,} environment steps, {state.seconds:.0f} s; "
          f"wrote {out / 'best_policy.py'}, {out / 'curve.png'}, {out / 'summary.json'}")
    return 0


def _saved_config(out: Path, args: argparse.Namespace):
    """The config of the run in ``out``, with ``--iterations`` raised if given larger."""
    from coevolve.atari.loop import AtariConfig

    path = out / "config.json"
    if not path.exists():
        raise UserInputError(f"nothing to resume: {path} does not exist")
    saved = json.loads(path.read_text())
    config = AtariConfig(**{f.name: saved[f.name] for f in fields(AtariConfig) if f.name in saved})
    if config.game != args.game:
        raise UserInputError(f"{out} holds a {config.game} run, not {args.game}")
    return replace(config, iterations=max(config.iterations, args.iterations))
