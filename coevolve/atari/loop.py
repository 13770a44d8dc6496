"""Generative code optimisation of an Atari policy: the loop of the paper, one iteration at a time.

Iteration 0 evaluates the starter. Each later iteration:

1. plays a short traced rollout of the best program and renders the trainable calls as text;
2. turns the best program's full-episode score into staged feedback;
3. asks the optimiser for candidate programs (from the program, trace text, feedback, elites;
   the llm optimiser also has each candidate checked on a short rollout and repaired);
4. rejects candidates that fail static validation, and drops any program already evaluated
   (keyed by the sha256 of its source: a known program is never evaluated twice);
5. screens the rest, with the best program, on short rollouts of the iteration's own episode
   seeds (a protocol per iteration), and evaluates the best-screened ones on full episodes (only candidates that
   screen better than the best program, or as well but with a different rollout length, so
   behavioural twins of the best program cost no full evaluation);
6. keeps the best program and records the iteration (one line of iterations.jsonl).

Every episode goes through the shared evaluator and its cell cache
(:mod:`coevolve.atari.evaluation`), and a run's state is its last record
(:mod:`coevolve.atari.state`): a resumed run continues there and plays nothing twice.

The run stops after the configured iterations, when the feedback reaches the stop score, or
when another iteration as large as the last would pass the environment-step budget; the best program is then evaluated on test
episodes (a protocol of their own, so seeds of their own). ``feedback="rollout"`` is the
paper's ablation: the optimiser's feedback and the selection come from short rollouts only,
with no full episodes.
Episodes follow the ALE's standard protocol by default (sticky actions 0.25, minimal action
set, up to 27,000 agent steps).
"""
from __future__ import annotations

import ast
import io
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

import numpy as np

from coevolve.atari.evaluation import DOMAIN, AtariEvaluator, Score, protocol_program
from coevolve.atari.feedback import human_normalised, stages, staged_feedback
from coevolve.atari.optimizers import DESIGNERS, AtariRequest, make_optimizer
from coevolve.atari.standalone import standalone_source
from coevolve.atari.state import AtariState, load_state, read_policy
from coevolve.atari.tracing import render_trace
from coevolve.designers.base import NoCandidate
from coevolve.evaluate import ResultCache, episode_seed
from coevolve.llm import open_client
from coevolve.llm.client import settings_from
from coevolve.program import Origin, Program
from coevolve.store import RunStore, candidate_file, write_atomic
from coevolve.validate import validate_source
from envs.atari import ALLOWED_IMPORTS, POLICY_REQUIRED, get_game
from envs.atari.protocol import MAX_STEPS, STICKY, describe
from policies.atari import template_source
from policies.atari.mutations import trainable_functions

FEEDBACK_MODES = ("staged", "rollout")


@dataclass(frozen=True)
class AtariConfig:
    """Settings of one optimisation run (``coevolve atari`` has one flag per field)."""

    game: str = "Pong"
    """Pong, Breakout, SpaceInvaders (hand-made templates) or another OCAtari game with random/human reference scores, e.g. Freeway (generic template, human-normalised feedback)."""
    iterations: int = 20
    """Optimisation iterations after the starter's evaluation."""
    designer: str = "offline"
    """Optimiser: offline (genetic programming) or llm."""
    episodes: int = 10
    """Full episodes per evaluation."""
    seed: int = 0
    """Base seed of the episode seeds and of the optimiser's random choices."""
    workers: int = 2
    """Sandbox worker processes; 0 means one per core (per CPU of the Ray cluster with ray)."""
    executor: str = "local"
    """Where episodes run: local (worker processes on this machine) or ray (a Ray cluster)."""
    ray_address: str | None = None
    """Ray cluster address for --executor ray; none starts Ray locally."""
    sandbox: str = "auto"
    """The wall around programs: auto (bwrap if it works here, else process), bwrap or process."""
    episode_seconds: float = 600.0
    """Wall-clock limit of one episode job (the executor's limit)."""
    memory_mb: int = 4096
    """Address-space limit of each program process, in MiB."""
    sticky: float = STICKY
    """Repeat-action probability: the ALE's standard 0.25, or 0 (the paper's deterministic setting)."""
    max_steps: int = MAX_STEPS
    """Agent steps of a full episode (27,000 = 108,000 frames, the ALE's v5 limit)."""
    candidates: int = 24
    """Candidate programs per iteration (the command's default: 24 offline, 1 llm)."""
    screen_episodes: int = 1
    """Short rollouts per candidate for screening."""
    screen_steps: int = 2000
    """Steps of a screening rollout."""
    finalists: int = 2
    """Best-screened candidates evaluated on full episodes per iteration."""
    elites: int = 4
    """Programs kept for crossover."""
    horizon: int = 0
    """Steps of the traced rollout; 0 uses the game's (Pong 400, Breakout 300, Space Invaders 100)."""
    trace_chars: int = 6000
    """Size bound of the rendered trace text."""
    model: str = ""
    """Chat model of the llm optimiser (e.g. gpt-4o-mini)."""
    base_url: str = ""
    """OpenAI-compatible endpoint of the llm optimiser; empty uses OPENAI_BASE_URL or OpenAI's."""
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
    """Episodes of the final evaluation of the best program, on episode seeds of their own."""
    budget: int = 2_000_000
    """Environment steps of the optimisation (test episodes excluded): an iteration starts only
    if as many steps as the last one took are left; 0 means no limit."""
    feedback: str = "staged"
    """staged (full-episode scores) or rollout (short rollouts only: the paper's ablation)."""
    explore_after: int = 1
    """Stalled iterations after which the best-screened candidate is fully evaluated even when it screened no better than the best program; 0 never does."""

    def __post_init__(self):
        if not 0.0 <= float(self.sticky) < 1.0:
            raise ValueError(f"sticky must be in [0, 1), got {self.sticky}")
        get_game(self.game)  # raises ValueError naming the games
        stages(self.game)  # raises ValueError for a game without reference scores
        if self.feedback not in FEEDBACK_MODES:
            raise ValueError(f"unknown feedback {self.feedback!r}; choose one of "
                             f"{', '.join(FEEDBACK_MODES)}")
        for name in ("episodes", "max_steps", "candidates", "screen_episodes", "screen_steps",
                     "finalists", "elites", "check_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("iterations", "workers", "horizon", "repair_rounds", "max_requests",
                     "max_tokens", "test_episodes", "budget", "explore_after", "memory_mb"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.designer not in DESIGNERS:
            raise ValueError(f"unknown designer {self.designer!r}; choose one of "
                             f"{', '.join(DESIGNERS)}")


def llm_settings(config: AtariConfig):
    """The llm optimiser's endpoint settings; raises UserInputError if they are unusable."""
    return settings_from(config)


def program_size(source: str) -> dict:
    """Lines and AST nodes of a program's trainable functions."""
    functions = trainable_functions(ast.parse(source))
    return {"lines": sum(len(ast.unparse(f).splitlines()) for f in functions),
            "nodes": sum(sum(1 for _ in ast.walk(f)) for f in functions)}


class AtariRun:
    """One optimisation run in the run directory ``out``; ``run()`` continues a started one.

    Args:
        config: the settings (``out/config.json`` is written on the first start).
        out: the run directory.
        executor: where episodes run (``coevolve.executors.make_executor``).
        log: receives one line per finished iteration.
        progress: if True, show a tqdm bar during full evaluations.
        optimizer: the optimiser; by default the one ``config.designer`` names.
    """

    def __init__(self, config: AtariConfig, out, executor, log: Callable[[str], None] = print,
                 progress: bool = False, optimizer=None):
        self.config, self.log, self.progress = config, log, progress
        self.store = RunStore(str(out))
        self.evaluator = AtariEvaluator(executor, config.game, float(config.sticky),
                                        config.seed, ResultCache(self.store.path("cache.jsonl")))
        self.stop = stages(config.game).stop
        self.optimizer = optimizer or self._optimizer()
        self._checks: dict[str, str | None] = {}
        self._check_lock = threading.Lock()
        self._check_steps = 0
        """Environment steps of llm candidates' checks not yet charged to an iteration."""

    def _optimizer(self):
        """The configured optimiser; the llm one records into ``out/llm.jsonl``."""
        c = self.config
        if c.designer != "llm":
            return make_optimizer(c.designer, c.game, c.candidates)
        optimizer = make_optimizer("llm", c.game, c.candidates,
                                   client=open_client(llm_settings(c), seed=c.seed),
                                   repair_rounds=c.repair_rounds)
        optimizer.attach_transcript(self.store.path("llm.jsonl"))
        return optimizer

    # -- the protocols of the run ---------------------------------------------------------
    def full(self, policies: list[Program]) -> list[Score]:
        """Full-episode scores (an episode stops at the game's stop score)."""
        c, bar = self.config, None
        if self.progress and policies:
            from tqdm import tqdm
            bar = tqdm(total=len(policies) * c.episodes, desc="episodes", leave=False)
        scores = self.evaluator.scores(
            policies, self.evaluator.protocol("evaluation", c.max_steps, self.stop), c.episodes,
            progress=(lambda done, total: bar.update(done - bar.n)) if bar else None)
        if bar:
            bar.close()
        return scores

    def screen(self, policies: list[Program], iteration: int) -> list[Score]:
        """Short-rollout scores on the iteration's own episode seeds (they rotate, so no
        program is selected for one lucky seed)."""
        c = self.config
        return self.evaluator.scores(
            policies, self.evaluator.protocol(f"screening {iteration}", c.screen_steps),
            c.screen_episodes)

    def check(self, program: Program) -> str | None:
        """Why ``program`` fails static validation or a short rollout, or None (remembered).

        The llm optimiser's concurrent conversations call it from their threads; the lock
        keeps one check at a time on the executor.
        """
        with self._check_lock:
            if program.sha256 not in self._checks:
                self._checks[program.sha256] = self._check(program)
            return self._checks[program.sha256]

    def _check(self, program: Program) -> str | None:
        problems = validate_source(program.source, POLICY_REQUIRED, ALLOWED_IMPORTS)
        if problems:
            return "; ".join(problems)
        c = self.config
        score = self.evaluator.scores([program], self.evaluator.protocol("check", c.check_steps),
                                      1)[0]
        self._check_steps += score.steps
        if score.error:
            return f"the program failed during a {c.check_steps}-step rollout: {score.error}"
        return None

    def trace(self, state: AtariState, iteration: int) -> dict:
        """The best program's traced rollout of ``iteration``, as rendered text (kept in
        ``traces/`` so a resumed run does not play it again)."""
        c = self.config
        path = self.store.path("traces", f"trace_{iteration:04d}.json")
        try:
            with open(path, encoding="utf-8") as handle:
                saved = json.load(handle)
            if saved["policy"] == state.best.sha256:
                return saved
        except FileNotFoundError:
            pass
        horizon = c.horizon or get_game(c.game).horizon
        record = self.evaluator.trace(state.best,
                                      self.evaluator.protocol(f"trace {iteration}", horizon))
        saved = {"policy": state.best.sha256, "score": record["score"], "steps": record["steps"],
                 "text": render_trace(record, c.trace_chars)}
        write_atomic(path, json.dumps(saved))
        return saved

    def test(self, state: AtariState) -> dict:
        """The best program on the test episodes (seeds of their own; no stop score)."""
        c = self.config
        protocol = self.evaluator.protocol("test", c.max_steps)
        score = self.evaluator.scores([state.best], protocol, c.test_episodes)[0]
        env = protocol_program(protocol).sha256
        return {"program": state.best_file, "mean": score.mean, "std": score.std,
                "seeds": [episode_seed(env, c.seed, i) for i in range(c.test_episodes)],
                "env_steps": score.steps, "errors": [score.error] if score.error else []}

    # -- the run --------------------------------------------------------------------------
    def run(self) -> AtariState:
        """Run (or resume) up to ``config.iterations``; returns the final state."""
        start = time.monotonic()
        state = load_state(self.store)
        self._base_seconds = state.seconds if state else 0.0
        if state is None:
            if not os.path.exists(self.store.path("config.json")):
                self.store.create(asdict(self.config))
            state = self._start(start)
        c = self.config
        while (state.iteration < c.iterations
               and not staged_feedback(c.game, state.best_mean).done
               and fits_in_budget(state, c.budget)):
            state = self._iterate(state, start)
        test = None
        if c.test_episodes:
            test = self.test(state)
            self.log(f"test  {test['mean']:.1f} +- {test['std']:.1f} over {c.test_episodes} "
                     f"episodes on test seeds ({test['env_steps']:,} env steps)")
        write_atomic(self.store.path("summary.json"),
                     json.dumps(summary(c, state, test), indent=1))
        plot_curve(state, c, self.store.path("curve.png"))
        return state

    def _start(self, start: float) -> AtariState:
        c = self.config
        starter = Program("policy", DOMAIN, template_source(c.game), origin=Origin("seed"))
        if c.feedback == "rollout":
            score = self.screen([starter], 0)[0]
        else:
            score = self.full([starter])[0]
        file = self.store.save_program("policy", 0, starter.source)
        state = AtariState(0, starter, file, score.mean, score.std, elites=((score.mean, file),),
                           env_steps=score.steps)
        entry = {"sha256": starter.sha256, "file": file, "note": "the starter",
                 "screen": None, "mean": score.mean, "std": score.std, "rejected": None}
        return self._finish(state, start, score, [entry], "starter")

    def _iterate(self, state: AtariState, start: float) -> AtariState:
        """One iteration: trace, feedback, candidates, screening, full evaluation, record."""
        c, t = self.config, state.iteration + 1
        trace = self.trace(state, t)
        if c.feedback == "rollout":  # the ablation: the feedback sees the short rollout only
            feedback = staged_feedback(c.game, trace["score"])
        else:
            feedback = staged_feedback(c.game, state.best_mean, state.best_std)
        stalled = stalled_iterations(state.history)
        request = AtariRequest(state.best, t, c.candidates, trace["text"], feedback,
                               tuple(read_policy(self.store, file) for _, file in state.elites),
                               stalled, state.known, state.history,
                               self.check if c.designer == "llm" else None)
        proposals = self.optimizer.propose(request, np.random.default_rng([c.seed, t]))
        entries, valid = self._screenable(proposals, state.known, t)
        steps = trace["steps"] + self._check_steps
        self._check_steps = 0
        screened = self.screen([state.best] + [p for p, _ in valid], t)
        steps += sum(s.steps for s in screened)
        incumbent = screened[0]
        for (_, entry), score in zip(valid, screened[1:]):
            entry["screen"] = score.mean
        ranked = sorted(zip(valid, screened[1:]), key=lambda item: -item[1].mean)
        finalists = [item for item in ranked if item[1].mean > incumbent.mean or (
            item[1].mean == incumbent.mean and item[1].steps != incumbent.steps)][:c.finalists]
        if not finalists and ranked and c.explore_after and stalled >= c.explore_after:
            # a stalled screen may be one lucky incumbent seed: give the best-screened
            # candidate its full evaluation anyway
            finalists = ranked[:1]
        best = state
        if c.feedback == "rollout":  # selection by the rollout scores on this iteration's seeds
            best = replace(best, best_mean=incumbent.mean, best_std=incumbent.std)
            scores = [score for _, score in finalists]
        else:
            scores = self.full([p for (p, _), _ in finalists])
            steps += sum(s.steps for s in scores)
        elites = list(state.elites)
        for ((program, entry), _), score in zip(finalists, scores):
            entry["mean"], entry["std"] = score.mean, score.std
            elites.append((score.mean, entry["file"]))
            if score.mean >= best.best_mean:  # equal scores: drift (neutral moves)
                best = replace(best, best=program, best_file=entry["file"],
                               best_mean=score.mean, best_std=score.std)
        if best.best is not state.best:  # the best program is archived under its iteration
            best = replace(best, best_file=self.store.save_program("policy", t, best.best.source))
        state = replace(best, iteration=t, elites=tuple(sorted(elites, key=lambda e: -e[0])[
            :c.elites]), env_steps=state.env_steps + steps)
        what = (f"{len(valid)} screened, {len(finalists)} "
                f"{'promoted' if c.feedback == 'rollout' else 'fully evaluated'}, "
                f"{len(proposals) - len(entries)} known skipped")
        return self._finish(state, start, max(scores, key=lambda s: s.mean, default=None),
                            entries, what, sum(1 for e in entries if e["rejected"]),
                            [entry["note"] for (_, entry), _ in finalists])

    def _screenable(self, proposals: list, known: frozenset, iteration: int):
        """The candidates' records (every new program kept in programs/candidates/) and the
        ``(program, record)`` pairs that passed validation (or the llm check).

        A known program, or a repeat, is skipped: it is never evaluated again.
        """
        entries, valid, fresh = [], [], {}
        for p in proposals:
            if isinstance(p, NoCandidate):  # an llm conversation that gave no program
                entries.append({"sha256": None, "file": None, "note": p.slot, "screen": None,
                                "mean": None, "std": None, "rejected": p.reason})
            elif p.sha256 not in known:
                fresh.setdefault(p.sha256, p)
        for n, p in enumerate(fresh.values()):
            reason = (self.check(p) if self.config.designer == "llm"
                      else "; ".join(validate_source(p.source, POLICY_REQUIRED,
                                                     ALLOWED_IMPORTS)) or None)
            file = self.store.write(candidate_file(f"policy_{iteration:04d}_{n:02d}.py"),
                                    p.source)
            entries.append({"sha256": p.sha256, "file": file, "note": p.origin.note,
                            "screen": None, "mean": None, "std": None, "rejected": reason})
            if reason is None:
                valid.append((p, entries[-1]))
        return entries, valid

    def _finish(self, state: AtariState, start: float, shown: Score | None, entries: list,
                what: str, invalid: int = 0, notes: tuple = ()) -> AtariState:
        """Record the iteration (it counts once its line is in iterations.jsonl)."""
        c = self.config
        feedback = staged_feedback(c.game, state.best_mean, state.best_std)
        seconds = self._base_seconds + time.monotonic() - start
        record = {"iteration": state.iteration,
                  "candidate_mean": shown.mean if shown else None,
                  "candidate_std": shown.std if shown else None,
                  "best_mean": state.best_mean, "best_std": state.best_std,
                  "best": {"sha256": state.best.sha256, "file": state.best_file},
                  "elites": [{"mean": mean, "file": file} for mean, file in state.elites],
                  "stage": feedback.stage, "feedback": feedback.text,
                  "env_steps": state.env_steps, "seconds": round(seconds, 2),
                  "invalid": invalid, "notes": list(notes), "candidates": entries,
                  "program": program_size(state.best_source),
                  "llm": self.optimizer.usage() if hasattr(self.optimizer, "usage") else None,
                  "errors": [shown.error] if shown and shown.error else []}
        self.store.append_iteration(record)
        write_atomic(self.store.path("best_policy.py"),
                     standalone_source(state.best_source, c.game, c.max_steps, c.sticky))
        state = replace(state, history=state.history + (record,), seconds=seconds,
                        known=state.known | {e["sha256"] for e in entries if e["sha256"]})
        score = (f"{shown.mean:.1f} +- {shown.std:.1f}" if shown
                 else "no candidate beat the best in screening")
        self.log(f"iter {state.iteration:3d}  score {score}  best {state.best_mean:.1f} +- "
                 f"{state.best_std:.1f}  stage {feedback.stage}/3  env steps {state.env_steps:,}"
                 f"  wall {seconds:.0f} s  ({what})")
        return state


def fits_in_budget(state: AtariState, budget: int) -> bool:
    """Whether another iteration fits in the environment-step ``budget`` (0: no limit), judged
    by the last one: an iteration starts only if as many steps as the last took are left."""
    if not budget:
        return True
    steps = [row["env_steps"] for row in state.history]
    last = steps[-1] - steps[-2] if len(steps) > 1 else 0
    return state.env_steps + last <= budget


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


def summary(config: AtariConfig, state: AtariState, test: dict | None) -> dict:
    """The JSON summary of a run."""
    if test:
        test = {**test, "human_normalised": human_normalised(config.game, test["mean"])}
    return {"config": asdict(config), "protocol": describe(config.sticky, config.max_steps),
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


def plot_curve(state: AtariState, config: AtariConfig, path: str) -> None:
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
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    write_atomic(path, buffer.getvalue())
