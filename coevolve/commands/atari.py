"""``coevolve atari``: improve an Atari policy program by generative code optimisation."""
from __future__ import annotations

import argparse
import os
from dataclasses import asdict, fields, replace

from coevolve.errors import UserInputError
from coevolve.flags import add_config_flags, config_from_args

HELP = ("optimise an Atari policy program (Pong, Breakout, SpaceInvaders, or any OCAtari game) "
        "from traces and scores")
DEFAULT_CANDIDATES = {"offline": 24, "llm": 1}
"""Candidates per iteration when --candidates is not given, by designer."""
RESUMABLE = ("iterations", "budget", "replay", "workers", "executor", "ray_address",
             "max_requests", "max_tokens", "request_timeout", "temperature",
             "max_output_tokens", "reasoning_effort", "llm_extra", "llm_concurrency")
"""Settings a resumed run may change (recorded in resumes.jsonl); the others are the run's."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the command's flags: one per AtariConfig field, and --out, --resume."""
    from coevolve.atari.loop import FEEDBACK_MODES, AtariConfig
    from coevolve.atari.optimizers import DESIGNERS
    from coevolve.executors import EXECUTORS
    from coevolve.sandbox import MODES

    add_config_flags(parser, AtariConfig,
                     choices={"designer": list(DESIGNERS), "feedback": list(FEEDBACK_MODES),
                              "executor": list(EXECUTORS), "sandbox": list(MODES)})
    parser.add_argument("--out", default=None,
                        help="run directory (default runs/atari-<game>-<seed>)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out from its last finished iteration")


def main(args: argparse.Namespace) -> int:
    """Run (or resume) the optimisation and report where the results are."""
    from coevolve.atari.loop import AtariRun, llm_settings
    from coevolve.executors import make_executor
    from coevolve.sandbox import Limits

    config = _config(args)
    out = args.out or f"runs/atari-{config.game}-{config.seed}"
    if args.resume:
        config = _resumed(out, args)
    elif os.path.exists(os.path.join(out, "config.json")):
        raise UserInputError(f"{out} already holds a run; pass --resume to continue it or "
                             "choose another --out")
    if config.designer == "llm":  # a missing model, key or transcript: exit 2 before any work
        llm_settings(config)
    designer = config.designer + (f" ({config.model})" if config.designer == "llm" else "")
    print(f"coevolve atari: {config.game}, {designer} optimiser, {config.feedback} feedback, "
          f"{config.iterations} iterations, {config.episodes} episodes per evaluation, sticky "
          f"actions {config.sticky:g}, up to {config.max_steps:,} steps per episode, writing to "
          f"{out}")
    limits = Limits(seconds=config.episode_seconds, memory_mb=config.memory_mb,
                    sandbox=config.sandbox)
    executor = make_executor(config.executor, config.workers, limits, ("envs.atari",),
                             config.ray_address)
    try:
        wall = getattr(executor, "wall", None)
        print(f"coevolve atari: sandbox {wall.describe() if wall else config.sandbox}")
        run = AtariRun(config, out, executor, log=lambda line: print(line, flush=True),
                       progress=True)
        state = run.run()
    finally:
        executor.close()
    print(f"best {state.best_mean:.1f} +- {state.best_std:.1f} after {state.iteration} "
          f"iterations, {state.env_steps:,} environment steps, {state.seconds:.0f} s; "
          f"wrote {os.path.join(out, 'best_policy.py')}, {os.path.join(out, 'curve.png')}, "
          f"{os.path.join(out, 'summary.json')}")
    return 0


def _config(args: argparse.Namespace):
    """The config the flags describe (the designer's default candidates where not given)."""
    from coevolve.atari.loop import AtariConfig

    designer = args.designer or AtariConfig.designer
    try:
        return config_from_args(AtariConfig, args, **(
            {"candidates": DEFAULT_CANDIDATES.get(designer, 1)} if args.candidates is None
            else {}))
    except ValueError as exc:
        raise UserInputError(str(exc)) from None


def _resumed(out: str, args: argparse.Namespace):
    """The config of the run in ``out`` with the resumable settings given on the command line
    (recorded in resumes.jsonl)."""
    from coevolve.atari.loop import AtariConfig
    from coevolve.store import RunStore

    store = RunStore(out)
    if not os.path.exists(store.path("config.json")):
        if os.path.exists(store.path("state.json")):
            raise UserInputError(f"{out} was written by an earlier version (state.json); it "
                                 "cannot be resumed: start a new run")
        raise UserInputError(f"nothing to resume: {store.path('config.json')} does not exist")
    saved = store.load_config()
    try:
        config = AtariConfig(**{f.name: saved[f.name] for f in fields(AtariConfig)
                                if f.name in saved})
    except (TypeError, ValueError) as exc:
        raise UserInputError(f"{store.path('config.json')}: {exc}") from None
    if args.game is not None and config.game != args.game:
        raise UserInputError(f"{out} holds a {config.game} run, not {args.game}")
    given = {name: getattr(args, name) for name in RESUMABLE
             if getattr(args, name, None) is not None}
    try:
        resumed = replace(config, **given)
    except ValueError as exc:
        raise UserInputError(str(exc)) from None
    changes = {k: v for k, v in asdict(resumed).items() if asdict(config)[k] != v}
    if changes:
        store.record_config_change(len(store.iterations()), changes)
    return resumed
