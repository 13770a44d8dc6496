"""The co-evolution loop of the COvolve paper (PSRO applied to environment design).

Each iteration t:
  1. the environment designer mutates the newest environment into K candidates; invalid or
     infeasible ones are rejected with their reason; the one on which the MSNE mixture does
     worst is kept (the environment player's best response);
  2. the policy designer mutates the policy with the largest MSNE weight into K candidates,
     each evaluated on the new environment; the best is kept;
  3. the new column and row are evaluated -- only the unknown cells;
  4. the MSNE is recomputed, and the greedy / uniform / MSNE archive scores are logged.
"""
from __future__ import annotations

import time

import numpy as np
from solvers.nash import nash

from coevolve.designers.base import EnvRequest, PolicyRequest
from coevolve.program import Program
from coevolve.runstate import RunState
from coevolve.scores import archive_scores


def run_iteration(state: RunState, t: int) -> dict:
    """Play iteration ``t`` and return its record (already appended to iterations.jsonl)."""
    cfg, timings = state.config, {}
    weights = state.msne.row_strategy

    start = time.monotonic()
    env_choice, env_candidates = choose_environment(state, t, weights)
    env = env_choice["program"] if env_choice else None
    timings["env_step"] = time.monotonic() - start

    start = time.monotonic()
    policy, policy_candidates = choose_policy(state, t, env or state.envs[-1], weights)
    timings["policy_step"] = time.monotonic() - start

    start = time.monotonic()
    if env is not None:
        state.add_env(env, t, env_choice["measures"])
    if policy is not None:
        state.add_policy(policy, t)
    state.fill_unknown_cells(f"iter {t}: filling new row and column")
    timings["fill"] = time.monotonic() - start

    start = time.monotonic()
    state.msne = nash(state.payoffs.complete(), start=state.msne.strategies)  # warm start
    timings["nash"] = time.monotonic() - start

    record = state.iteration_record(t, env, policy, env_candidates + policy_candidates, timings)
    state.log_iteration(record)
    return record


def choose_environment(state: RunState, t: int, weights: np.ndarray):
    """Step 1: the accepted candidate with the lowest MSNE-mixture success (None if none).

    Ties go to the lower mixture return, then by the domain's difficulty measure: to the simpler
    level when the mixture fails every tied candidate (so the curriculum does not jump out of
    reach), to the harder one otherwise (so it does not stall when the mixture solves them all).
    """
    support = [i for i, w in enumerate(weights) if w > 1e-9]
    parent = state.envs[-1]
    returns = [c.mean_return for c in state.evaluator.evaluate([(state.policies[i], parent)
                                                                for i in support])]
    mixture = {state.payoffs.policy_labels[i]: (float(weights[i]),
                                                float(state.payoffs.values[i, -1]), float(r))
               for i, r in zip(support, returns)}
    trace = ""
    if state.config.designer_of("env") == "llm":  # what the paper's designer sees
        heaviest = state.policies[int(np.argmax(weights))]
        trace = state.failure_trace(heaviest, parent, any_episode=True)
    request = EnvRequest(parent, t, state.config.candidates, mixture, state.env_rejection,
                         state.measures[-1], trace)
    proposed = state.designer.propose_envs(request, state.rng(t, "env"))
    candidates = state.screen_envs(proposed, t)
    accepted = [c for c in candidates if c["status"] == "accepted"]
    if not accepted:
        return None, candidates
    pairs = [(state.policies[i], c["program"]) for c in accepted for i in support]
    cells = state.evaluate(pairs, f"iter {t}: env candidates")
    for n, c in enumerate(accepted):
        chunk = cells[n * len(support):(n + 1) * len(support)]
        c["mixture_success"] = sum(weights[i] * cell.success_rate for i, cell in zip(support, chunk))
        c["mixture_return"] = sum(weights[i] * cell.mean_return for i, cell in zip(support, chunk))
    difficulty = state.domain.difficulty_measure
    chosen = min(accepted, key=lambda c: env_preference(c, difficulty))
    chosen["status"] = "chosen"
    return chosen, candidates


def env_preference(candidate: dict, difficulty: str | None) -> tuple:
    """Sort key of environment candidates: the environment player's best response first."""
    level = candidate["measures"].get(difficulty, 0)
    return (candidate["mixture_success"], candidate["mixture_return"],
            level if candidate["mixture_success"] == 0 else -level)


def choose_policy(state: RunState, t: int, env: Program, weights: np.ndarray):
    """Step 2: the valid candidate with the highest success on the new environment."""
    parent = state.policies[int(np.argmax(weights))]
    parent_cell = state.evaluate([(parent, env)], f"iter {t}: parent policy")[0]
    seed, trace = (state.failed_episode(parent, env) if parent_cell.success_rate < 1.0
                   else (None, ""))
    scores, level = {}, ""
    if state.config.designer_of("policy") == "llm":  # what the paper's designer sees
        row = state.policies.index(parent)
        scores = {label: float(state.payoffs.values[row, j])
                  for j, label in enumerate(state.payoffs.env_labels)}
        level = state.draw_level(parent, env, seed) if seed is not None else ""
    request = PolicyRequest(parent, env, t, state.config.candidates, parent_cell.success_rate,
                            trace, state.policy_check(env), state.success_on(env), scores, level)
    proposed = state.designer.propose_policies(request, state.rng(t, "policy"))
    candidates = state.screen_policies(proposed, env, t)
    accepted = [c for c in candidates if c["status"] == "accepted"]
    if not accepted:
        return None, candidates
    cells = state.evaluate([(c["program"], env) for c in accepted], f"iter {t}: policy candidates")
    for c, cell in zip(accepted, cells):
        c["success"], c["mean_return"] = cell.success_rate, cell.mean_return
        c["first_error"] = cell.first_error
    chosen = max(accepted, key=lambda c: (c["success"], c["mean_return"]))
    chosen["status"] = "chosen"
    return chosen["program"], candidates


def run(state: RunState, until: int, after_iteration=None) -> None:
    """Play iterations until ``until`` (inclusive) are logged, starting after the last one.

    ``after_iteration()``, if given, is called each time an iteration has been logged.
    """
    if state.next_iteration == 0:
        state.start()
        if after_iteration is not None:
            after_iteration()
    for t in range(state.next_iteration, until + 1):
        record = run_iteration(state, t)
        state.progress.iteration_done(record)
        if after_iteration is not None:
            after_iteration()


__all__ = ["run", "run_iteration", "archive_scores"]
