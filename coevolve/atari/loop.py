"""Generative code optimisation of an Atari policy: the loop of the paper, one iteration at a time.

Iteration 0 evaluates the starter. Each later iteration:

1. plays a short traced rollout of the best program and renders the trainable calls as text;
2. turns the best program's full-episode score into staged feedback;
3. asks the optimiser for candidate programs (from the program, trace text, feedback, elites;
   the llm optimiser also has each candidate checked on a short rollout and repaired);
4. rejects candidates that fail static validation, and drops any program already evaluated
   (keyed by the sha256 of its source: a known program is never evaluated twice);
5. screens the rest, with the best program, on short rollouts whose seeds rotate every
   iteration, and evaluates the best-screened ones on full episodes (only candidates that
   screen better than the best program, or as well but with a different rollout length, so
   behavioural twins of the best program cost no full evaluation);
6. keeps the best program, records the iteration, and checkpoints.

The run stops after the configured iterations, when the feedback reaches the stop score, or
when the environment-step budget is spent; the best program is then evaluated on test seeds
never used during the optimisation. ``feedback="rollout"`` is the paper's ablation: the
optimiser's feedback and the selection come from short rollouts only, with no full episodes.
Episodes follow the ALE's standard protocol by default (sticky actions 0.25, minimal action
set, up to 27,000 agent steps).
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from coevolve.atari.checkpoint import RunState, load_state, save_state
from coevolve.atari.evaluation import Evaluator
from coevolve.atari.feedback import human_normalised, stages, staged_feedback
from coevolve.atari.optimizers import DESIGNERS, make_optimizer, program_key
from coevolve.atari.standalone import standalone_source
from coevolve.atari.tracing import render_trace
from coevolve.llm import open_client
from coevolve.llm.client import settings_from
from coevolve.store import write_atomic
from coevolve.validate import validate_source
from envs.atari import ALLOWED_IMPORTS, POLICY_REQUIRED, get_game
from envs.atari.runner import MAX_STEPS, STICKY, protocol
from policies.atari import template_source
from policies.atari.mutations import trainable_functions

HORIZONS = {"Pong": 400, "Breakout": 300, "SpaceInvaders": 100}
"""Steps of the traced rollout per game (other games: 300)."""
FEEDBACK_MODES = ("staged", "rollout")


@dataclass(frozen=True)
class AtariConfig:
    """Settings of one optimisation run."""

    game: str = "Pong"
    """"Pong", "Breakout", "SpaceInvaders", or another OCAtari game with reference scores."""
    iterations: int = 20
    """Optimisation iterations after the starter's evaluation."""
    designer: str = "offline"
    """Optimiser: "offline" (genetic programming) or "llm"."""
    episodes: int = 10
    """Full episodes per evaluation."""
    seed: int = 0
    """Base seed of episode seeds and of the optimiser's random choices."""
    workers: int = 2
    """Sandbox worker processes."""
    sticky: float = STICKY
    """Repeat-action probability: the standard protocol's 0.25, or 0.0 (the paper's)."""
    max_steps: int = MAX_STEPS
    """Agent steps of a full episode (27,000 = 108,000 frames, the ALE's v5 limit)."""
    candidates: int = 24
    """Candidate programs proposed per iteration."""
    screen_episodes: int = 1
    """Short rollouts per candidate for screening (with sticky actions off a game plays the
    same way on every seed; only the policy's own random choices differ)."""
    screen_steps: int = 2000
    """Steps of a screening rollout."""
    finalists: int = 2
    """Best-screened candidates evaluated on full episodes per iteration."""
    elites: int = 4
    """Programs kept for crossover."""
    horizon: int = 0
    """Steps of the traced rollout; 0 uses the game's default (Pong 400, Breakout 300,
    Space Invaders 100)."""
    trace_chars: int = 6000
    """Size bound of the rendered trace text."""
    model: str = ""
    """Chat model of the llm optimiser (e.g. gpt-4o-mini)."""
    base_url: str = ""
    """OpenAI-compatible endpoint of the llm optimiser; "" uses OPENAI_BASE_URL or OpenAI's."""
    replay: str = ""
    """Answer the llm optimiser from this transcript (llm.jsonl) instead of the network."""
    repair_rounds: int = 2
    """Follow-up requests quoting why an llm candidate was rejected."""
    max_requests: int = 0
    """LLM budget: requests over the run; 0 means no limit."""
    request_timeout: float = 120.0
    """Seconds before one LLM request is abandoned (and retried)."""
    max_tokens: int = 0
    """LLM budget: prompt plus completion tokens over the run; 0 means no limit."""
    temperature: float | None = None
    """LLM sampling temperature; none is sent unless given."""
    max_output_tokens: int = 0
    """LLM output-token limit per answer; 0 sends none."""
    reasoning_effort: str | None = None
    """LLM reasoning effort; none is sent unless given."""
    llm_extra: str | None = None
    """JSON object merged into every LLM request body."""
    llm_concurrency: int = 4
    """LLM requests in flight at once; 0: no cap."""
    check_steps: int = 200
    """Steps of the rollout that checks an llm candidate for run-time errors."""
    test_episodes: int = 30
    """Episodes of the final evaluation of the best program, on seeds never used before."""
    budget: int = 2_000_000
    """Environment steps of the optimisation (test episodes excluded); 0 means no limit."""
    feedback: str = "staged"
    """"staged" (full-episode scores) or "rollout" (short rollouts only: the ablation)."""
    explore_after: int = 1
    """Stalled iterations after which the best-screened candidate is fully evaluated even
    when it screened no better than the best program; 0 never does."""

    def __post_init__(self):
        if isinstance(self.sticky, bool):  # run directories of earlier versions
            object.__setattr__(self, "sticky", STICKY if self.sticky else 0.0)
        if not 0.0 <= float(self.sticky) < 1.0:
            raise ValueError(f"sticky must be in [0, 1), got {self.sticky}")
        get_game(self.game)  # raises ValueError naming the games
        stages(self.game)  # raises ValueError for a game without reference scores
        if self.feedback not in FEEDBACK_MODES:
            raise ValueError(f"unknown feedback {self.feedback!r}; choose one of "
                             f"{', '.join(FEEDBACK_MODES)}")
        for name in ("episodes", "workers", "max_steps", "candidates", "screen_episodes",
                     "screen_steps", "finalists", "elites", "check_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("iterations", "horizon", "repair_rounds", "max_requests", "max_tokens",
                     "test_episodes", "budget", "explore_after"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.designer not in DESIGNERS:
            raise ValueError(f"unknown designer {self.designer!r}; choose one of "
                             f"{', '.join(DESIGNERS)}")


def llm_settings(config: AtariConfig):
    """The llm optimiser's endpoint settings; raises UserInputError if they are unusable."""
    return settings_from(config)


def eval_seeds(config: AtariConfig) -> list[int]:
    """Seeds of the full episodes: the same for every program (common random numbers)."""
    return [config.seed * 1000 + k for k in range(config.episodes)]


def screen_seeds(config: AtariConfig, iteration: int) -> list[int]:
    """Seeds of an iteration's screening rollouts: they rotate, so no program is selected for
    one lucky seed."""
    return [config.seed * 1000 + 500 + (iteration * config.screen_episodes + k) % 300
            for k in range(config.screen_episodes)]


def unseen_seeds(config: AtariConfig) -> list[int]:
    """Seeds of the final evaluation: disjoint from every seed the optimisation uses."""
    return [10**6 + config.seed * 1000 + k for k in range(config.test_episodes)]


def program_size(source: str) -> dict:
    """Lines and AST nodes of a program's trainable functions."""
    import ast

    functions = trainable_functions(ast.parse(source))
    return {"lines": sum(len(ast.unparse(f).splitlines()) for f in functions),
            "nodes": sum(sum(1 for _ in ast.walk(f)) for f in functions)}


class AtariRun:
    """One optimisation run writing into ``out``; ``run()`` continues from any checkpoint.

    Args:
        config: the settings (written to ``out/config.json`` on the first start).
        out: the run directory.
        pool: a sandbox pool (``coevolve.sandbox.SandboxPool``).
        log: receives one line per finished iteration.
        progress: if True, show a tqdm bar during full evaluations.
    """

    def __init__(self, config: AtariConfig, out: Path, pool,
                 log: Callable[[str], None] = print, progress: bool = False):
        self.config, self.out, self.log, self.progress = config, Path(out), log, progress
        self.evaluator = Evaluator(pool, config.game, float(config.sticky))
        self._check_steps = 0
        """Environment steps of the llm candidates' checks not yet charged to an iteration."""
        self.optimizer = self._optimizer()
        self.stop = stages(config.game).stop

    def _optimizer(self):
        """The configured optimiser; the llm one records into ``out/llm.jsonl``."""
        c = self.config
        if c.designer != "llm":
            return make_optimizer(c.designer, c.game, c.candidates)
        client = open_client(llm_settings(c), seed=c.seed)
        self.out.mkdir(parents=True, exist_ok=True)
        client.attach_transcript(str(self.out / "llm.jsonl"))
        return make_optimizer("llm", c.game, c.candidates, client=client, check=self._check,
                              repair_rounds=c.repair_rounds)

    def _check(self, source: str) -> str | None:
        """Why ``source`` fails in a short rollout (an exception, a bad action), or None."""
        c = self.config
        evaluation = self.evaluator.batch([source], [c.seed * 1000 + 800], c.check_steps)[0]
        self._check_steps += evaluation.steps
        if not evaluation.errors:
            return None
        return f"the program failed during a {c.check_steps}-step rollout: {evaluation.errors[0]}"

    def run(self) -> RunState:
        """Run (or resume) up to ``config.iterations``; returns the final state."""
        start = time.monotonic()
        state = load_state(self.out)
        self._base_seconds = state.seconds if state else 0.0
        if state is None:
            write_atomic(self.out / "config.json", json.dumps(asdict(self.config), indent=1))
            state = self._start(start)
        c = self.config
        while (state.iteration < c.iterations
               and not staged_feedback(c.game, state.best_mean).done
               and not (c.budget and state.env_steps >= c.budget)):
            state = self._iterate(state, start)
        if c.test_episodes and (state.test is None
                                or state.test["program"] != program_key(state.best_source)):
            state = self._test(state, start)
        plot_curve(state, self.config, self.out / "curve.png")
        return state

    def _test(self, state: RunState, start: float) -> RunState:
        """Evaluate the best program on the unseen test seeds (no stop score: whole episodes)."""
        seeds = unseen_seeds(self.config)
        evaluation = self.evaluator.batch([state.best_source], seeds, self.config.max_steps)[0]
        test = {"program": program_key(state.best_source), "mean": evaluation.mean,
                "std": evaluation.std, "scores": list(evaluation.scores), "seeds": seeds,
                "env_steps": evaluation.steps, "errors": list(evaluation.errors)}
        state = replace(state, test=test,
                        seconds=self._base_seconds + time.monotonic() - start)
        self._write(state)
        self.log(f"test  {evaluation.mean:.1f} +- {evaluation.std:.1f} over {len(seeds)} "
                 f"episodes on unseen seeds ({evaluation.steps:,} env steps)")
        return state

    def _full(self, sources: list[str]):
        bar = None
        if self.progress:
            from tqdm import tqdm
            bar = tqdm(total=len(sources) * self.config.episodes, desc="episodes", leave=False)
        evaluations = self.evaluator.batch(
            sources, eval_seeds(self.config), self.config.max_steps,
            progress=(lambda i, r: bar.update(1)) if bar else None, stop_score=self.stop)
        if bar:
            bar.close()
        return evaluations

    def _start(self, start: float) -> RunState:
        c = self.config
        source = template_source(c.game)
        if c.feedback == "rollout":
            evaluation = self.evaluator.batch([source], screen_seeds(c, 0), c.screen_steps)[0]
        else:
            evaluation = self._full([source])[0]
        state = RunState(0, source, evaluation.mean, evaluation.std,
                         elites=((evaluation.mean, source),), env_steps=evaluation.steps,
                         known={program_key(source): [evaluation.mean, evaluation.std,
                                                      evaluation.steps]})
        return self._finish(state, start, evaluation, [], 0, "starter")

    def _iterate(self, state: RunState, start: float) -> RunState:
        c, iteration = self.config, state.iteration + 1
        rng = np.random.default_rng([c.seed, iteration])
        record = self.evaluator.trace(state.best_source, c.seed * 1000 + 900 + iteration,
                                      c.horizon or HORIZONS.get(c.game, 300))
        steps = record["steps"]
        trace_text = render_trace(record, c.trace_chars)
        if c.feedback == "rollout":  # the ablation: the feedback sees the short rollout only
            feedback = staged_feedback(c.game, record["score"])
        else:
            feedback = staged_feedback(c.game, state.best_mean, state.best_std)
        observe = getattr(self.optimizer, "observe", None)
        if observe is not None:  # the llm optimiser: slots by iteration, earlier attempts shown
            observe(iteration, state.history)
        known = dict(state.known)
        proposals = self.optimizer.propose(state.best_source, trace_text, feedback, rng,
                                           [s for _, s in state.elites],
                                           stalled_iterations(state.history), frozenset(known))
        steps += self._check_steps
        self._check_steps = 0
        fresh, seen = [], set()
        for p in proposals:  # a known program (or a repeat) is never evaluated again
            key = program_key(p.source)
            if key not in known and key not in seen:
                seen.add(key)
                fresh.append(p)
        valid = [p for p in fresh
                 if not validate_source(p.source, POLICY_REQUIRED, ALLOWED_IMPORTS)]
        to_screen = [state.best_source] + [p.source for p in valid]
        screened = {}
        for source, evaluation in zip(to_screen, self.evaluator.batch(
                to_screen, screen_seeds(c, iteration), c.screen_steps)):
            screened[source] = (evaluation.mean, evaluation.steps, evaluation.std)
            steps += evaluation.steps
        incumbent = screened[state.best_source]
        promising = [p for p in valid if screened[p.source][0] > incumbent[0]
                     or (screened[p.source][0] == incumbent[0]
                         and screened[p.source][:2] != incumbent[:2])]
        finalists = sorted(promising, key=lambda p: -screened[p.source][0])[:c.finalists]
        stalled = stalled_iterations(state.history)
        if not finalists and valid and c.explore_after and stalled >= c.explore_after:
            # a stalled screen may be one lucky incumbent seed: give the best-screened
            # candidate its full evaluation anyway
            finalists = sorted(valid, key=lambda p: -screened[p.source][0])[:1]
        best, elites = state, list(state.elites)
        if c.feedback == "rollout":  # selection by the rollout scores on this iteration's seeds
            best = replace(best, best_mean=incumbent[0], best_std=incumbent[2])
            evaluations = []
            for p in finalists:
                mean, used, std = screened[p.source]
                evaluations.append(_Screened((mean,), used, std))
        else:
            evaluations = self._full([p.source for p in finalists]) if finalists else []
            steps += sum(e.steps for e in evaluations)
        for proposal, evaluation in zip(finalists, evaluations):
            known[program_key(proposal.source)] = [evaluation.mean, evaluation.std,
                                                   evaluation.steps]
            elites.append((evaluation.mean, proposal.source))
            if evaluation.mean >= best.best_mean:  # equal scores: drift (neutral moves)
                best = replace(best, best_source=proposal.source, best_mean=evaluation.mean,
                               best_std=evaluation.std)
        for p in valid:  # screened out: known too, so it is not proposed again
            known.setdefault(program_key(p.source), [None, None, screened[p.source][1]])
        elites = sorted(elites, key=lambda e: -e[0])[:c.elites]
        state = replace(best, iteration=iteration, elites=tuple(elites),
                        env_steps=state.env_steps + steps, known=known)
        shown = max(evaluations, key=lambda e: e.mean) if evaluations else None
        notes = [p.note for p in finalists]
        return self._finish(state, start, shown, notes, len(fresh) - len(valid),
                            f"{len(valid)} screened, {len(finalists)} "
                            f"{'promoted' if c.feedback == 'rollout' else 'fully evaluated'}, "
                            f"{len(proposals) - len(fresh)} known skipped")

    def _finish(self, state: RunState, start: float, evaluation, notes, invalid: int,
                what: str) -> RunState:
        feedback = staged_feedback(self.config.game, state.best_mean, state.best_std)
        seconds = self._base_seconds + time.monotonic() - start
        row = {"iteration": state.iteration,
               "candidate_mean": evaluation.mean if evaluation else None,
               "candidate_std": evaluation.std if evaluation else None,
               "best_mean": state.best_mean, "best_std": state.best_std,
               "stage": feedback.stage, "feedback": feedback.text,
               "env_steps": state.env_steps, "seconds": round(seconds, 2),
               "invalid": invalid, "notes": notes, "program": program_size(state.best_source),
               "llm": self.optimizer.usage() if hasattr(self.optimizer, "usage") else None,
               "errors": list(evaluation.errors) if evaluation else []}
        state = replace(state, history=state.history + (row,), seconds=seconds)
        self._write(state)
        shown = (f"{evaluation.mean:.1f} +- {evaluation.std:.1f}" if evaluation
                 else "no candidate beat the best in screening")
        self.log(f"iter {state.iteration:3d}  score {shown}  best {state.best_mean:.1f} +- "
                 f"{state.best_std:.1f}  stage {feedback.stage}/3  env steps {state.env_steps:,}"
                 f"  wall {seconds:.0f} s  ({what})")
        return state

    def _write(self, state: RunState) -> None:
        """Checkpoint, then the best policy and the summary (the curve is drawn at the end)."""
        save_state(self.out, state)
        write_atomic(self.out / "best_policy.py",
                     standalone_source(state.best_source, self.config.game, self.config.max_steps,
                                       self.config.sticky))
        write_atomic(self.out / "summary.json", json.dumps(summary(self.config, state), indent=1))


@dataclass(frozen=True)
class _Screened:
    """A candidate's screening result in the shape of an Evaluation (rollout feedback)."""

    scores: tuple
    steps: int
    std: float
    errors: tuple = ()

    @property
    def mean(self) -> float:
        return float(self.scores[0])


def stalled_iterations(history) -> int:
    """Finished iterations since the best mean score last rose (0 right after a rise)."""
    means = [row["best_mean"] for row in history]
    count = 0
    while count + 1 < len(means) and means[-1 - count] <= means[-2 - count]:
        count += 1
    return count


def stage_times(config: AtariConfig, history) -> list[dict]:
    """Env steps and wall time at which the best program first reached each stage threshold."""
    s = stages(config.game)
    out = []
    for name, threshold in (("scoring", s.positive), ("good", s.good), ("stop", s.stop)):
        row = next((r for r in history if (r["best_mean"] >= threshold if name != "scoring"
                                           or s.inclusive else r["best_mean"] > threshold)),
                   None)
        out.append({"stage": name, "threshold": threshold,
                    "iteration": row["iteration"] if row else None,
                    "env_steps": row["env_steps"] if row else None,
                    "seconds": row["seconds"] if row else None})
    return out


def summary(config: AtariConfig, state: RunState) -> dict:
    """The JSON summary of a run."""
    test = state.test and {k: v for k, v in state.test.items() if k != "program"}
    if test:
        test["human_normalised"] = human_normalised(config.game, test["mean"])
    return {"config": asdict(config), "protocol": protocol(config.sticky, config.max_steps),
            "feedback": config.feedback, "iterations": state.iteration,
            "best_mean": state.best_mean, "best_std": state.best_std,
            "human_normalised": human_normalised(config.game, state.best_mean),
            "stage": staged_feedback(config.game, state.best_mean).stage,
            "env_steps": state.env_steps, "seconds": round(state.seconds, 2),
            "evaluated_programs": len(state.known), "test": test,
            "stage_times": stage_times(config, state.history),
            "curve": [{**{k: row[k] for k in ("iteration", "candidate_mean", "best_mean",
                                             "best_std", "env_steps", "seconds")},
                       "program": row.get("program")}
                      for row in state.history]}


def plot_curve(state: RunState, config: AtariConfig, path: Path) -> None:
    """Best and candidate mean score per iteration, as a PNG."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = state.history
    x = [r["iteration"] for r in rows]
    best = np.array([r["best_mean"] for r in rows])
    std = np.array([r["best_std"] for r in rows])
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(x, best, marker="o", label="best program")
    ax.fill_between(x, best - std, best + std, alpha=0.2)
    cand = [(r["iteration"], r["candidate_mean"]) for r in rows if r["candidate_mean"] is not None]
    if cand:
        ax.scatter(*zip(*cand), s=12, color="gray", label="evaluated candidate")
    ax.set_xlabel("iteration")
    ax.set_ylabel(f"mean score over {config.episodes} episodes")
    ax.set_title(f"{config.game}, {config.designer} optimiser, seed {config.seed}")
    ax.legend(loc="lower right")
    fig.tight_layout()
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    tmp.replace(path)
