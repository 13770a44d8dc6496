"""``coevolve atari``: improve an Atari policy program by generative code optimisation."""
from __future__ import annotations

import argparse
import json
from dataclasses import fields, replace
from pathlib import Path

from coevolve.errors import UserInputError

HELP = ("optimise an Atari policy program (Pong, Breakout, SpaceInvaders, or any OCAtari game) "
        "from traces and scores")
REQUEST_FIELDS = ("max_tokens", "temperature", "max_output_tokens", "reasoning_effort",
                  "llm_extra", "llm_concurrency")
"""LLM settings whose flags come from RunConfig, the same as for ``coevolve run``."""
DEFAULT_CANDIDATES = {"offline": 24, "llm": 1}
"""Candidates per iteration when --candidates is not given, by designer."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the command's flags."""
    parser.add_argument("--game", required=True,
                        help="Pong, Breakout, SpaceInvaders (hand-made templates) or another "
                        "OCAtari game with random/human reference scores, e.g. Freeway, Boxing, "
                        "Asterix (generic template, human-normalised feedback)")
    parser.add_argument("--iterations", type=int, default=20,
                        help="optimisation iterations (default 20)")
    parser.add_argument("--designer", default="offline",
                        help="offline (genetic programming, default) or llm")
    parser.add_argument("--episodes", type=int, default=10,
                        help="full episodes per evaluation (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--sticky", type=float, default=0.25,
                        help="repeat-action probability (default 0.25, the ALE's standard "
                        "protocol; 0 for the paper's deterministic setting)")
    parser.add_argument("--candidates", type=int, default=None,
                        help="candidate programs per iteration (default 24 offline; 1 llm, "
                        "one conversation per candidate as in the paper)")
    parser.add_argument("--max-steps", type=int, default=27000,
                        help="agent steps of a full episode (default 27000 = 108,000 frames, "
                        "the ALE v5 limit)")
    parser.add_argument("--budget", type=int, default=None,
                        help="environment steps of the optimisation; 0 for no limit "
                        "(default 2000000; with --resume, replaces the run's budget)")
    parser.add_argument("--test-episodes", type=int, default=30,
                        help="episodes of the final evaluation on unseen seeds (default 30)")
    parser.add_argument("--feedback", default="staged",
                        help="staged (full-episode scores, default) or rollout (short rollouts "
                        "only: the paper's ablation)")
    parser.add_argument("--screen-steps", type=int, default=2000,
                        help="steps of a candidate's screening rollout (default 2000)")
    parser.add_argument("--horizon", type=int, default=0,
                        help="steps of the traced rollout (default 0: the game's default)")
    llm = parser.add_argument_group("llm optimiser (--designer llm; endpoint and key from "
                                    "OPENAI_BASE_URL, OPENAI_API_KEY)")
    llm.add_argument("--model", default="", help="chat model name, e.g. gpt-4o-mini")
    llm.add_argument("--base-url", default="", help="OpenAI-compatible endpoint "
                     "(default OPENAI_BASE_URL, else OpenAI's)")
    llm.add_argument("--replay", default="",
                     help="answer from this transcript (a run's llm.jsonl) instead of the network")
    llm.add_argument("--repair-rounds", type=int, default=2,
                     help="follow-ups quoting why a candidate was rejected (default 2)")
    llm.add_argument("--max-requests", type=int, default=0,
                     help="request budget of the run (default 0: no limit)")
    llm.add_argument("--request-timeout", type=float, default=120.0,
                     help="seconds before one request is abandoned and retried (default 120)")
    from coevolve.config import RunConfig
    from coevolve.flags import add_config_flags
    add_config_flags(llm, RunConfig, skip=[f for f in RunConfig.__dataclass_fields__
                                           if f not in REQUEST_FIELDS])
    parser.add_argument("--out", default=None,
                        help="run directory (default runs/atari-<game>-<seed>)")
    parser.add_argument("--sandbox", default="auto", choices=("auto", "bwrap", "process"),
                        help="the wall around the programs (default: auto, bwrap where it works)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out from its last finished iteration")


def main(args: argparse.Namespace) -> int:
    """Run (or resume) the optimisation and report where the results are."""
    from coevolve.atari.loop import AtariConfig, AtariRun, llm_settings
    from coevolve.sandbox import Limits, SandboxPool

    out = Path(args.out or f"runs/atari-{args.game}-{args.seed}")
    if args.resume:
        config = _saved_config(out, args)
    else:
        if (out / "state.json").exists():
            raise UserInputError(f"{out} already holds a run; pass --resume to continue it or "
                                 "choose another --out")
        candidates = (DEFAULT_CANDIDATES.get(args.designer, 1) if args.candidates is None
                      else args.candidates)
        try:
            config = AtariConfig(game=args.game, iterations=args.iterations,
                                 designer=args.designer, episodes=args.episodes, seed=args.seed,
                                 workers=args.workers, sticky=args.sticky,
                                 candidates=candidates, max_steps=args.max_steps,
                                 screen_steps=args.screen_steps, horizon=args.horizon,
                                 model=args.model, base_url=args.base_url, replay=args.replay,
                                 repair_rounds=args.repair_rounds,
                                 max_requests=args.max_requests,
                                 request_timeout=args.request_timeout,
                                 budget=2_000_000 if args.budget is None else args.budget,
                                 test_episodes=args.test_episodes, feedback=args.feedback,
                                 **{name: getattr(args, name) for name in REQUEST_FIELDS
                                    if getattr(args, name) is not None})
        except ValueError as exc:
            raise UserInputError(str(exc)) from None
    if config.designer == "llm":  # a missing model, key or transcript: exit 2 before any work
        llm_settings(config)
    designer = config.designer + (f" ({config.model})" if config.designer == "llm" else "")
    print(f"coevolve atari: {config.game}, {designer} optimiser, {config.feedback} feedback, "
          f"{config.iterations} iterations, {config.episodes} episodes per evaluation, sticky "
          f"actions {config.sticky:g}, up to {config.max_steps:,} steps per episode, writing to "
          f"{out}")
    with SandboxPool(workers=config.workers, limits=Limits(seconds=600.0, memory_mb=4096, sandbox=args.sandbox),
                     preload=("envs.atari",)) as pool:
        print(f"coevolve atari: sandbox {pool.wall.describe()}")
        state = AtariRun(config, out, pool, log=lambda line: print(line, flush=True),
                         progress=True).run()
    print(f"best {state.best_mean:.1f} +- {state.best_std:.1f} after {state.iteration} "
          f"iterations, {state.env_steps:,} environment steps, {state.seconds:.0f} s; "
          f"wrote {out / 'best_policy.py'}, {out / 'curve.png'}, {out / 'summary.json'}")
    if state.test:
        print(f"test: {state.test['mean']:.1f} +- {state.test['std']:.1f} over "
              f"{len(state.test['scores'])} episodes on unseen seeds")
    return 0


def _saved_config(out: Path, args: argparse.Namespace):
    """The config of the run in ``out``, with ``--iterations`` raised if given larger."""
    from coevolve.atari.loop import AtariConfig

    path = out / "config.json"
    if not path.exists():
        raise UserInputError(f"nothing to resume: {path} does not exist")
    saved = json.loads(path.read_text())
    try:
        config = AtariConfig(**{f.name: saved[f.name] for f in fields(AtariConfig)
                                if f.name in saved})
    except ValueError as exc:
        raise UserInputError(f"{path}: {exc}") from None
    if config.game != args.game:
        raise UserInputError(f"{out} holds a {config.game} run, not {args.game}")
    if args.budget is not None and args.budget < 0:
        raise UserInputError(f"budget must be >= 0, got {args.budget}")
    return replace(config, iterations=max(config.iterations, args.iterations),
                   replay=args.replay or config.replay,
                   budget=config.budget if args.budget is None else args.budget,
                   **{name: getattr(args, name) for name in REQUEST_FIELDS
                      if getattr(args, name, None) is not None})
