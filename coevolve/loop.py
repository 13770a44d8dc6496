"""The co-evolution loop of the COvolve paper (PSRO applied to environment design).

Iteration 0 archives the seed environment and policy (the domain's, or the user's --seed-env
and --seed-policy). Each iteration t then:
  1. the environment designer mutates the newest environment into K candidates; invalid or
     infeasible ones are rejected with their reason (if all are, K more are asked for, up to
     ``ENV_ROUNDS`` rounds); the one on which the policy mixture does worst is kept (the
     environment player's best response; with ``--env-selection regret``, the one where the
     domain's reference solver most outdoes the mixture), among those the reference solver
     completes often enough (``REFERENCE_FLOORS``);
  2. the policy designer mutates the policy with the largest mixture weight into K candidates,
     each evaluated on the new environment; the best is kept;
  3. the new column and row are evaluated -- only the unknown cells;
  4. the MSNE is recomputed, and the greedy / uniform / MSNE archive scores are logged.

The mixture of steps 1 and 2 is the meta-solver's (``--meta-solver``): the MSNE (COvolve), the
newest policy alone (UED-Greedy) or all policies alike (UED-Uniform).
"""
from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from coevolve.archive import Archive
from coevolve.designers.base import EnvRequest, PolicyRequest
from coevolve.program import Program
from coevolve.records import ArchiveEntry, Candidate, Category, IterationRecord
from coevolve.scores import archive_scores
from coevolve.session import Session
from coevolve.store import program_file
from coevolve.traces import draw_level, failed_episode, success_on

POLICY_OBJECTIVES = ("new-level", "mixture")
"""Values of ``--policy-objective`` (see :func:`policy_objective`)."""

ENV_SELECTIONS = ("minimax", "regret")
"""Values of ``--env-selection`` (see :func:`env_preference`)."""

REFERENCE_FLOORS = {"minimax": 1.0, "regret": 0.5}
"""The least share of its episodes the domain's reference solver must complete on a level for the
selection to keep it. Minimax seeks the mixture's failures, so every episode must be one the
reference completes (else it keeps levels for the episodes nobody can finish in time); regret
credits the reference's successes and refuses only the levels it rarely completes."""

ENV_SEARCHES = ("narrow", "climb")
"""Values of ``--env-search`` (see :func:`choose_environment`)."""

POLICY_SEARCHES = ("narrow", "wide")
"""Values of ``--policy-search`` (see :func:`restart_policies`)."""

WIDE_STEPS = 2
"""``--policy-search wide`` multiplies the search steps by this when the parent fails."""

ENV_ROUNDS = 3
"""Rounds of K environment candidates an iteration may ask for before it goes without a new level."""


def run(session: Session, until: int, after_iteration=None) -> None:
    """Play iterations until ``until`` (inclusive) are logged, starting after the last one.

    ``after_iteration()``, if given, is called each time an iteration has been logged.
    """
    archive, recorder = session.archive, session.recorder
    if session.next_iteration == 0:
        recorder.log(seed_iteration(session), archive.payoffs)
        if after_iteration is not None:
            after_iteration()
    for t in range(max(session.next_iteration, 1), until + 1):
        record = run_iteration(t, session)
        recorder.log(record, archive.payoffs)
        session.progress.iteration_done(record)
        if after_iteration is not None:
            after_iteration()


def seed_iteration(session: Session) -> IterationRecord:
    """Iteration 0: the seed environment and seed policy (the domain's, or the user's), and
    their cell."""
    domain, archive = session.domain, session.archive
    before = _episodes(session.evaluator)
    env, policy = session.seed_programs()
    check = session.screener.check_env(env)
    if not check.feasible:
        raise RuntimeError(f"the seed environment of {domain.name} fails its check: "
                           f"{check.reason}")
    archive.add_env(env, 0, check.measures)
    archive.add_policy(policy, 0)
    new_cells = archive.fill_unknown(session.counted("iter 0: seed"))
    archive.solve()
    return iteration_record(session, 0, env, policy, [], new_cells,
                            _episodes(session.evaluator, before), {})


def run_iteration(t: int, session: Session) -> IterationRecord:
    """Play iteration ``t`` (steps 1-4 above) on ``session.archive``; returns its record."""
    archive, evaluator, timings = session.archive, session.evaluator, {}
    before = _episodes(evaluator)
    weights = archive.mixture(session.config.meta_solver)

    start = time.monotonic()
    env_choice, env_candidates = choose_environment(t, weights, session)
    env = env_choice.program if env_choice else None
    timings["env_step"] = time.monotonic() - start

    start = time.monotonic()
    policy, policy_candidates = choose_policy(t, env or archive.envs[-1], weights, session)
    timings["policy_step"] = time.monotonic() - start

    start = time.monotonic()
    if env is not None:
        archive.add_env(env, t, env_choice.measures)
    if policy is not None:
        archive.add_policy(policy, t)
    new_cells = archive.fill_unknown(session.counted(f"iter {t}: filling new row and column"))
    timings["fill"] = time.monotonic() - start

    start = time.monotonic()
    archive.solve()  # warm-started from the previous equilibrium
    timings["nash"] = time.monotonic() - start

    return iteration_record(session, t, env, policy, env_candidates + policy_candidates,
                            new_cells, _episodes(evaluator, before), timings)


def choose_environment(t: int, weights: np.ndarray, session: Session):
    """Step 1: the accepted candidate with the lowest mixture success (None if none), and
    every candidate's record.

    When screening rejects all K candidates, the designer is asked for K more, from the same
    generator (so other operators and draws), up to ``ENV_ROUNDS`` rounds in all; not when it
    wrote no program at all (an LLM whose requests failed: its client has retried already).
    With ``--env-search climb``, a round whose accepted candidates the mixture all solves is
    followed by another too, mutating the hardest of them (by the difficulty measure): the
    environment side climbs until it finds a level the mixture fails, within the same rounds.

    The ratchet: when the mixture solves every accepted candidate, a level no harder than its
    parent (by the difficulty measure) adds nothing to the game, so a round whose accepted
    candidates are all no harder is followed by another, and the choice among solved levels
    skips those while any other is left (after ``ENV_ROUNDS`` rounds the usual choice stands:
    an iteration is not given up for it).

    Ties go to the lower mixture return, then by the domain's difficulty measure: to the simpler
    level when the mixture fails every tied candidate (so the curriculum does not jump out of
    reach), to the harder one otherwise (so it does not stall when the mixture solves them all).
    The domain's reference solver, if it has one, plays the accepted candidates (under minimax,
    those the mixture does not complete in every episode): its success is recorded, and a level
    it completes in fewer than ``REFERENCE_FLOORS[selection]`` of its episodes is rejected.
    """
    archive, config = session.archive, session.config
    support = [i for i, w in enumerate(weights) if w > 1e-9]
    parent = archive.envs[-1]
    returns = [c.mean_return for c in session.evaluator.evaluate(
        [(archive.policies[i], parent) for i in support])]
    mixture = {archive.payoffs.policy_labels[i]: (float(weights[i]), archive.success(i, -1),
                                                  float(r))
               for i, r in zip(support, returns)}
    trace = ""
    if config.designer_of("env") == "llm":  # what the paper's designer sees
        heaviest = archive.policies[int(np.argmax(weights))]
        trace = failed_episode(session.evaluator, session.domain, heaviest, parent,
                               any_episode=True)[1]
    request = EnvRequest(parent, t, config.candidates, mixture, session.screener.env_rejection,
                         archive.measures[-1], trace)
    difficulty = session.domain.difficulty_measure
    rng, candidates = designer_rng(config.seed, t, "env"), []

    def no_harder(candidate: Candidate) -> bool:
        return no_harder_than(candidate, archive.measures[-1], difficulty)

    for _ in range(ENV_ROUNDS):
        proposed = session.designer.propose_envs(request, rng)
        screened = session.screener.screen_envs(proposed, archive, t)
        challenged, cells = challenge(t, session, screened, weights, support)
        candidates += challenged
        accepted = [c for c in challenged if not c.rejected]
        if not any(isinstance(p, Program) for p in proposed):
            break  # a designer that wrote nothing (its requests failed) is not asked again
        if not accepted:
            continue  # every level rejected: another round
        if min(c.mixture_success for c in accepted) < 1.0:
            break
        if config.env_search != "climb":
            if any(not no_harder(c) for c in accepted):
                break
            continue  # the mixture solves them all and none is harder than its parent
        hardest = max(range(len(accepted)),
                      key=lambda n: (accepted[n].measures.get(difficulty, 0), -n))
        request = replace(request, parent=accepted[hardest].program,
                          measures=accepted[hardest].measures,
                          mixture_success={archive.payoffs.policy_labels[i]: (
                              float(weights[i]), cell.success_rate, cell.mean_return)
                              for i, cell in zip(support, cells[hardest])})
    accepted = [n for n, c in enumerate(candidates) if not c.rejected]
    if not accepted:
        return None, candidates
    if min(candidates[n].mixture_success for n in accepted) >= 1.0:
        accepted = [n for n in accepted if not no_harder(candidates[n])] or accepted
    best = min(accepted, key=lambda n: env_preference(candidates[n], difficulty,
                                                      config.env_selection))
    candidates[best] = candidates[best].chosen()
    return candidates[best], candidates


def no_harder_than(candidate: Candidate, parent_measures: dict, difficulty: str | None) -> bool:
    """Whether ``candidate`` is a level no harder than its parent by the difficulty measure
    (never, for a domain without one)."""
    if difficulty is None or difficulty not in parent_measures:
        return False
    return candidate.measures.get(difficulty, 0) <= parent_measures[difficulty]


def challenge(t: int, session: Session, candidates: list[Candidate], weights: np.ndarray,
              support: list[int]) -> tuple[list[Candidate], list[list]]:
    """The candidates, the accepted ones with the mixture's success and return on them; and,
    per candidate still accepted (in order), the support policies' cells on it.

    The domain's reference solver, if it has one, plays the accepted candidates too (under
    minimax, not those the mixture completes in every episode: they are completable already),
    and one it completes in fewer than the selection's ``REFERENCE_FLOORS`` of its episodes is
    rejected.
    """
    archive, selection = session.archive, session.config.env_selection
    accepted = [n for n, c in enumerate(candidates) if not c.rejected]
    if not accepted:
        return candidates, []
    cells = session.counted(f"iter {t}: env candidates")(
        [(archive.policies[i], candidates[n].program) for n in accepted for i in support])
    chunks, challenged = {}, list(candidates)
    for k, n in enumerate(accepted):
        chunks[n] = cells[k * len(support):(k + 1) * len(support)]
        challenged[n] = candidates[n].challenged(
            sum(weights[i] * cell.success_rate for i, cell in zip(support, chunks[n])),
            sum(weights[i] * cell.mean_return for i, cell in zip(support, chunks[n])))
    reference = session.domain.reference_policy()
    judged = [n for n in accepted if reference is not None
              and (selection != "minimax" or challenged[n].mixture_success < 1.0)]
    if judged:
        solved = session.counted(f"iter {t}: reference solver on candidates")(
            [(reference, candidates[n].program) for n in judged])
        for n, cell in zip(judged, solved):
            challenged[n] = refereed(challenged[n], cell.success_rate, selection)
    return challenged, [chunks[n] for n in accepted if not challenged[n].rejected]


def refereed(candidate: Candidate, solved: float, selection: str) -> Candidate:
    """``candidate`` with the reference solver's success ``solved``, rejected when that is below
    the ``selection``'s ``REFERENCE_FLOORS``."""
    candidate = candidate.refereed(solved)
    floor = REFERENCE_FLOORS[selection]
    if solved >= floor:
        return candidate
    return candidate.refused(Category.UNSOLVED_BY_REFERENCE,
                             f"the reference solver completes {solved:.0%} of its episodes "
                             f"({selection} selection needs {floor:.0%})")


def env_preference(candidate: Candidate, difficulty: str | None,
                   selection: str = "minimax") -> tuple:
    """Sort key of environment candidates: the environment player's best response first.

    ``minimax``: the lowest mixture success. ``regret``: the largest reference-solver success
    minus the mixture's (PAIRED's regret, with the reference solver as antagonist).
    """
    level = candidate.measures.get(difficulty, 0)
    tie = (candidate.mixture_return, level if candidate.mixture_success == 0 else -level)
    if selection == "regret":
        return (candidate.mixture_success - candidate.reference_success, *tie)
    return (candidate.mixture_success, *tie)


def choose_policy(t: int, env: Program, weights: np.ndarray, session: Session):
    """Step 2: the valid candidate with the highest success on the new environment (None if
    none), and every candidate's record."""
    archive, config, evaluator = session.archive, session.config, session.evaluator
    parent = archive.policies[int(np.argmax(weights))]
    parent_cell = session.counted(f"iter {t}: parent policy")([(parent, env)])[0]
    seed, trace = (failed_episode(evaluator, session.domain, parent, env)
                   if parent_cell.success_rate < 1.0 else (None, ""))
    scores, level = {}, ""
    if config.designer_of("policy") == "llm":  # what the paper's designer sees
        scores = archive.scores_of(parent)
        level = (draw_level(session.executor, session.domain, parent, env, seed)
                 if seed is not None else "")
    objective = policy_objective(session, env)
    wide = config.policy_search == "wide" and parent_cell.success_rate < 1.0
    request = PolicyRequest(parent, env, t, config.candidates, parent_cell.success_rate, trace,
                            lambda program: session.screener.policy_rejection(program, env),
                            objective, scores, level,
                            restarts=restart_policies(t, session, parent, env) if wide else (),
                            steps=WIDE_STEPS * config.search_steps if wide else None)
    proposed = session.designer.propose_policies(request, designer_rng(config.seed, t, "policy"))
    candidates = session.screener.screen_policies(proposed, env, archive, t)
    accepted = [n for n, c in enumerate(candidates) if not c.rejected]
    if not accepted:
        return None, candidates
    cells = session.counted(f"iter {t}: policy candidates")(
        [(candidates[n].program, env) for n in accepted])
    for n, cell in zip(accepted, cells):
        candidates[n] = candidates[n].scored(cell.success_rate, cell.mean_return,
                                             cell.first_error)
    if config.policy_objective == "mixture":
        best = max(accepted, key=lambda n: (objective(candidates[n].program),
                                            candidates[n].success, candidates[n].mean_return))
    else:
        best = max(accepted, key=lambda n: (candidates[n].success, candidates[n].mean_return))
    candidates[best] = candidates[best].chosen()
    return candidates[best].program, candidates


def restart_policies(t: int, session: Session, parent: Program, env: Program) -> tuple:
    """The other archive policies best on ``env`` (success, then return, then the newer), at
    most K - 1, for ``--policy-search wide``. Their cells on ``env`` are the new column's, so
    the fill that follows finds them in the cache."""
    archive = session.archive
    others = [p for p in archive.policies if p != parent]
    cells = session.counted(f"iter {t}: archive policies on the new level")(
        [(p, env) for p in others])
    ranked = sorted(range(len(others)), reverse=True,
                    key=lambda n: (cells[n].success_rate, cells[n].mean_return, n))
    return tuple(others[n] for n in ranked[:session.config.candidates - 1])


def policy_objective(session: Session, env: Program):
    """``score(policy)`` the policy search maximises (``--policy-objective``).

    ``new-level``: its success on ``env`` (COvolve). ``mixture``: half that, half its success
    against the environment player's MSNE mixture over the archive before ``env`` -- the best
    response of PSRO, which cannot forget the levels the mixture leans on. A policy that fails
    its checks scores -1 either way.
    """
    archive, evaluator, domain = session.archive, session.evaluator, session.domain
    on_new = success_on(evaluator, domain, env)
    if session.config.policy_objective != "mixture":
        return on_new
    support = [(float(w), success_on(evaluator, domain, archive.envs[j]))
               for j, w in enumerate(archive.msne.column_strategy) if w > 1e-9]
    total = sum(w for w, _ in support)

    def score(policy: Program) -> float:
        new = on_new(policy)
        if new < 0 or not support:
            return new
        return 0.5 * new + 0.5 * sum(w * on(policy) for w, on in support) / total
    return score


def designer_rng(seed: int, t: int, role: str) -> np.random.Generator:
    """The designer's generator for iteration ``t``: a function of (seed, t, role) only, which
    is what makes a resumed run identical to an uninterrupted one."""
    return np.random.default_rng([seed, t, 0 if role == "env" else 1])


def iteration_record(session: Session, t: int, env: Program | None, policy: Program | None,
                     candidates: list[Candidate], new_cells: list[dict], episodes: dict,
                     timings: dict) -> IterationRecord:
    """The record of iteration ``t``, read off the archive after it."""
    archive, meta_solver = session.archive, session.config.meta_solver
    values, msne = archive.payoffs.complete(), archive.msne
    usage = session.designer.usage() if hasattr(session.designer, "usage") else None
    return IterationRecord(
        iteration=t, env=_entry(archive, env, t), policy=_entry(archive, policy, t),
        msne=archive.labelled(msne.row_strategy), value=float(msne.value),
        scores=archive_scores(values, msne.row_strategy), candidates=tuple(candidates),
        env_mixture=archive.labelled(msne.column_strategy, "env"), new_cells=tuple(new_cells),
        episodes=episodes, timings={k: round(v, 3) for k, v in timings.items()},
        payoff_shape=values.shape, seconds=round(sum(timings.values()), 3),
        wall_time=time.time(), llm=usage,
        mixture=None if meta_solver == "nash" else archive.labelled(archive.mixture(meta_solver)))


def _episodes(evaluator, since: dict | None = None) -> dict:
    """Episodes "played" and "reused" by ``evaluator`` so far, or since the count ``since``."""
    since = since or {"played": 0, "reused": 0}
    return {"played": evaluator.played - since["played"],
            "reused": evaluator.reused - since["reused"]}


def _entry(archive: Archive, program: Program | None, t: int) -> ArchiveEntry | None:
    if program is None:
        return None
    measures = archive.measures[archive.envs.index(program)] if program.kind == "env" else None
    return ArchiveEntry.of(program, t, program_file(program.kind, t), measures)
