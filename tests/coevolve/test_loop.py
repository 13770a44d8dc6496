"""The co-evolution loop on the toy domain: choices, records, incremental filling, crash safety."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np

from coevolve.config import RunConfig
from coevolve.loop import run
from coevolve.progress import Progress
from coevolve.records import Candidate, Status
from coevolve.session import Session
from coevolve.store import RunStore

TOYWORLD = os.path.join(os.path.dirname(__file__), "toyworld")


def test_loop_records_and_chooses_per_the_paper(toy_domain, tmp_path):
    cfg = RunConfig(domain="toy", iterations=4, episodes=6, candidates=3, workers=2)
    state = Session.create(cfg, str(tmp_path / "run"), progress=Progress(quiet=True))
    executed = []
    original = state.executor.run
    state.executor.run = lambda jobs, progress=None: executed.append(len(jobs)) or original(jobs, progress)
    try:
        run(state, 4)
    finally:
        state.close()
    records = RunStore(str(tmp_path / "run")).iterations()
    assert [r["iteration"] for r in records] == [0, 1, 2, 3, 4]
    for record in records[1:]:
        envs = [c for c in record["candidates"] if c["kind"] == "env"]
        chosen = [c for c in envs if c["status"] == "chosen"]
        accepted = [c for c in envs if c["status"] in ("chosen", "accepted")]
        if chosen:  # the environment on which the MSNE mixture does worst
            assert chosen[0]["mixture_success"] == min(c["mixture_success"] for c in accepted)
            assert record["env"]["sha256"] == chosen[0]["sha256"]
        policies = [c for c in record["candidates"] if c["kind"] == "policy" and "success" in c]
        best = max(policies, key=lambda c: (c["success"], c["mean_return"]))
        assert record["policy"]["sha256"] == best["sha256"]
        assert set(record["scores"]) == {"greedy", "uniform", "msne"}
        assert record["value"] == record["scores"]["msne"]["worst"] or abs(
            record["value"] - record["scores"]["msne"]["worst"]) < 1e-6
        rejected = [c for c in envs if c["status"] == "rejected"]
        assert all(c["reason"] for c in rejected)
        assert sum(record["counts"]["env"]["rejected"].values()) == len(rejected)
    payoff = np.genfromtxt(tmp_path / "run" / "payoff.csv", delimiter=",")[1:, 1:]
    assert payoff.shape == (5, 5) and not np.isnan(payoff).any()
    # incremental: the last iteration's fill evaluated only the new row and column
    n = records[-1]["payoff_shape"][0]
    assert len(records[-1]["new_cells"]) == 2 * n - 1


def _run_cli(args, env, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "coevolve", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kwargs)


def _archive(root):
    records = RunStore(root).iterations()
    shas = [(r["env"] or {}).get("sha256") for r in records] + \
           [(r["policy"] or {}).get("sha256") for r in records]
    with open(os.path.join(root, "payoff.csv")) as handle:
        return shas, handle.read()


def toy_records(root: str, iterations: int, **config) -> list[dict]:
    """The records of a toy run of ``iterations`` with ``config`` (workers 1, 3 episodes)."""
    cfg = RunConfig(**{"domain": "toy", "iterations": iterations, "episodes": 3, "workers": 1,
                       **config})
    session = Session.create(cfg, root, progress=Progress(quiet=True))
    try:
        run(session, iterations)
    finally:
        session.close()
    return RunStore(root).iterations()


def test_sigkill_then_resume_gives_the_uninterrupted_archive(tmp_path):
    env = {**os.environ, "COEVOLVE_EXTRA_DOMAINS": "toy=toy_envs:toy_policies",
           "PYTHONPATH": os.pathsep.join([TOYWORLD, *sys.path]),
           "TOY_EPISODE_SECONDS": "0.01"}
    args = ["--domain", "toy", "--iterations", "6", "--episodes", "4", "--candidates", "3",
            "--workers", "2", "--quiet"]
    reference = str(tmp_path / "reference")
    assert _run_cli(["run", *args, "--out", reference], env).wait(timeout=120) == 0
    expected = _archive(reference)
    for n, delay in enumerate([0.4, 1.0, 1.7, 2.6]):
        root = str(tmp_path / f"killed{n}")
        process = _run_cli(["run", *args, "--out", root], env)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        if not os.path.exists(os.path.join(root, "config.json")):
            continue  # killed before the run existed: nothing to resume
        resumed = _run_cli(["resume", root, "--quiet"], env)
        assert resumed.wait(timeout=120) == 0, resumed.stderr.read().decode()
        assert _archive(root) == expected, f"kill after {delay} s"


def test_environment_ties_go_simpler_when_unsolved_and_harder_when_solved():
    from coevolve.loop import env_preference

    def candidate(success, level, ret=0.0):
        return Candidate("env", None, None, None, Status.ACCEPTED, measures={"path": level},
                         mixture_success=success, mixture_return=ret)

    unsolved = [candidate(0.0, 30), candidate(0.0, 10), candidate(0.0, 20)]
    solved = [candidate(1.0, 30, 1.0), candidate(1.0, 50, 1.0), candidate(1.0, 10, 1.0)]
    assert min(unsolved, key=lambda c: env_preference(c, "path")).measures["path"] == 10
    assert min(solved, key=lambda c: env_preference(c, "path")).measures["path"] == 50
    mixed = [candidate(0.5, 10), candidate(0.2, 90), candidate(0.2, 40, ret=0.1)]
    assert min(mixed, key=lambda c: env_preference(c, "path")).measures["path"] == 90


def test_an_iteration_whose_candidates_are_all_rejected_asks_for_more(toy_domain, tmp_path,
                                                                      monkeypatch):
    """The toy level may be at most 20: from 19, most mutants (+0 to +3) are a duplicate or
    infeasible, so with one candidate a round, some first rounds find no level. (The reference
    solver is made strong enough for these levels, so that its guard rejects none.)"""
    import toy_policies

    from coevolve.loop import ENV_ROUNDS

    monkeypatch.setattr(toy_policies, "REFERENCE_POLICY", "def policy():\n    return 25\n")
    start = tmp_path / "level19.py"
    start.write_text("LEVEL = 19\n")
    retried = 0
    for seed in range(12):
        record = toy_records(str(tmp_path / f"run{seed}"), 1, candidates=1, seed=seed,
                             seed_env=str(start))[1]
        envs = [c for c in record["candidates"] if c["kind"] == "env"]
        assert 1 <= len(envs) <= ENV_ROUNDS
        assert all(c["status"] == "rejected" for c in envs[:-1])  # only a failed round repeats
        if record["env"] is None:
            assert len(envs) == ENV_ROUNDS and envs[-1]["status"] == "rejected"
        else:
            assert envs[-1]["status"] == "chosen" and record["env"]["sha256"] == envs[-1]["sha256"]
            retried += len(envs) > 1
    assert retried > 0  # a level found only in a later round


def test_mixture_objective_weighs_the_new_level_and_the_environment_mixture(toy_domain, tmp_path):
    from coevolve.loop import policy_objective
    from coevolve.program import Program

    cfg = RunConfig(domain="toy", iterations=3, episodes=6, candidates=2, workers=1,
                    policy_objective="mixture")
    session = Session.create(cfg, str(tmp_path / "run"), progress=Progress(quiet=True))
    try:
        run(session, 3)
        archive = session.archive
        hard = Program("env", "toy", "LEVEL = 7\n")
        weak = Program("policy", "toy", "def policy():\n    return 1\n")
        strong = Program("policy", "toy", "def policy():\n    return 22\n")
        weights = archive.msne.column_strategy
        support = [j for j, w in enumerate(weights) if w > 1e-9]

        def success(policy, env):
            return session.evaluator.evaluate([(policy, env)])[0].success_rate

        for policy in (weak, strong):
            against = sum(weights[j] * success(policy, archive.envs[j]) for j in support)
            expected = 0.5 * success(policy, hard) + 0.5 * against / weights[support].sum()
            assert policy_objective(session, hard)(policy) == expected
        assert policy_objective(session, hard)(strong) == 1.0
        broken = Program("policy", "toy", "x = 1\n")  # no policy(): fails its checks
        assert policy_objective(session, hard)(broken) == -1.0
    finally:
        session.close()
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["policy_objective"] == "mixture"


def test_wide_search_climbs_from_archive_policies_when_the_parent_fails(toy_domain, tmp_path):
    notes = {}
    for search in ("narrow", "wide"):
        records = toy_records(str(tmp_path / search), 4, episodes=6, candidates=3,
                              policy_search=search, search_steps=2)
        notes[search] = [[c["note"] for c in record["candidates"] if c["kind"] == "policy"]
                         for record in records[1:]]
    assert not any("from archived" in note for its in notes["narrow"] for note in its)
    restarted = [its for its in notes["wide"] if any("from archived" in note for note in its)]
    assert restarted  # the toy parent fails a new level at some iteration
    for its in restarted:  # climbs alternate: the parent's first, then the archive's
        assert len(its) == 3 and "from archived" not in its[0]


def test_climbing_environment_search_mutates_the_hardest_solved_level_again(toy_domain, tmp_path):
    """A skill-12 seed policy solves every level up to 11: a round whose candidates it all
    solves is followed, with ``climb``, by one mutating the hardest of them."""
    from coevolve.loop import ENV_ROUNDS

    strong = tmp_path / "strong.py"
    strong.write_text("def policy():\n    return 12\n")
    chosen = {}
    for search in ("narrow", "climb"):
        record = toy_records(str(tmp_path / search), 1, candidates=2, seed_policy=str(strong),
                             env_search=search)[1]
        envs = [c for c in record["candidates"] if c["kind"] == "env"]
        rounds = [envs[k:k + 2] for k in range(0, len(envs), 2)]
        assert len(rounds) == (1 if search == "narrow" else ENV_ROUNDS)
        hardest = []
        for n, candidates in enumerate(rounds):
            accepted = [c for c in candidates if c["status"] != "rejected"]
            if n < len(rounds) - 1:  # a round is followed by another only if all were solved
                assert all(c["mixture_success"] == 1.0 for c in accepted)
            if accepted and hardest:  # a round mutates the previous round's hardest level
                assert min(c["measures"]["level"] for c in accepted) >= hardest[-1]
            if accepted:
                hardest.append(max(c["measures"]["level"] for c in accepted))
        chosen[search] = next(c for c in envs if c["status"] == "chosen")
    assert chosen["narrow"]["mixture_success"] == 1.0  # one round: every level solved
    assert chosen["climb"]["mixture_success"] < 1.0  # the climb reached a level it fails
    assert chosen["climb"]["measures"]["level"] > chosen["narrow"]["measures"]["level"]


def test_the_ratchet_keeps_solved_levels_climbing(toy_domain, tmp_path):
    """A level that moves by -6..3 and a skill-12 policy that solves every level up to 11:
    while the mixture solves every candidate, a round of candidates none harder than their
    parent (lower or the same) is followed by another, and a level no harder is chosen only
    when no other is left."""
    from coevolve.loop import ENV_ROUNDS

    strong, start = tmp_path / "strong.py", tmp_path / "falling.py"
    strong.write_text("def policy():\n    return 12\n")
    start.write_text("LEVEL = 4\nFALL = 6\n")
    records = toy_records(str(tmp_path / "run"), 5, candidates=1, seed_policy=str(strong),
                          seed_env=str(start))  # iteration 4 proposes its parent's level again
    parent, repeated = 4, 0
    for record in records[1:]:
        envs = [c for c in record["candidates"] if c["kind"] == "env"]
        rounds = [[c for c in envs[k:k + 1] if c["status"] != "rejected"]
                  for k in range(0, len(envs), 1)]
        assert 1 <= len(rounds) <= ENV_ROUNDS
        for accepted in rounds[:-1]:  # a round followed by another: all solved, none harder
            assert all(c["mixture_success"] == 1.0 and c["measures"]["level"] <= parent
                       for c in accepted)
        last = rounds[-1]  # a round that ends the asking early, all solved, raised a level
        if len(rounds) < ENV_ROUNDS and last and all(c["mixture_success"] == 1.0 for c in last):
            assert any(c["measures"]["level"] > parent for c in last)
        repeated += len(rounds) > 1
        chosen = next(c for c in envs if c["status"] == "chosen")
        if any(c["measures"]["level"] > parent for accepted in rounds for c in accepted):
            assert chosen["measures"]["level"] > parent
        parent = record["env"]["measures"]["level"]
    assert repeated  # no level rose in a whole round at least once


def test_regret_selection_keeps_the_level_the_reference_outdoes_the_mixture_on_most(toy_domain,
                                                                                   tmp_path):
    """The toy reference (skill 15) plays every accepted level under regret selection; a level
    it completes in under half its episodes is rejected."""
    from coevolve.evaluate import episode_seed
    from coevolve.loop import REFERENCE_FLOORS, env_preference

    def reference_wins(c):  # the toy rule, on the run's episode seeds
        return np.mean([15 + episode_seed(c.sha256, 0, i) % 3 - 1 >= c.measures["level"]
                        for i in range(6)])

    start = tmp_path / "level13.py"
    start.write_text("LEVEL = 13\n")
    records = toy_records(str(tmp_path / "regret"), 3, candidates=3, episodes=6,
                          seed_env=str(start), env_selection="regret")
    guarded = 0
    for record in records[1:]:
        envs = [Candidate.from_json(c) for c in record["candidates"] if c["kind"] == "env"]
        refereed = [c for c in envs if c.reference_success is not None]
        assert all(c.mixture_success is not None for c in refereed)
        for c in refereed:
            assert c.reference_success == reference_wins(c)
            assert c.rejected == (c.reference_success < REFERENCE_FLOORS["regret"])
            guarded += c.rejected
            if c.rejected:
                assert c.category.value == "unsolved_by_reference" and "reference" in c.reason
        kept = [c for c in refereed if not c.rejected]
        if record["env"] is not None:
            best = min(kept, key=lambda c: env_preference(c, "level", "regret"))
            assert record["env"]["sha256"] == best.sha256
            assert best.reference_success - best.mixture_success == max(
                c.reference_success - c.mixture_success for c in kept)
    assert guarded > 0  # levels 16+ were proposed and refused
    assert json.loads((tmp_path / "regret" / "config.json").read_text())["env_selection"] == "regret"


def test_minimax_selection_rejects_a_level_the_reference_does_not_always_complete(toy_domain,
                                                                                tmp_path):
    """Under minimax the toy reference (skill 15, +-1 per episode) plays every accepted level the
    mixture does not complete in every episode, and a level it fails in any episode is rejected:
    levels 15 and 16 only pass on lucky seeds. A level the mixture always completes is not
    refereed."""
    start = tmp_path / "level13.py"
    start.write_text("LEVEL = 13\n")
    records = toy_records(str(tmp_path / "minimax"), 3, candidates=3, episodes=6,
                          seed_env=str(start))
    guarded, unrefereed = 0, 0
    for record in records[1:]:
        envs = [c for c in record["candidates"] if c["kind"] == "env"]
        accepted = [c for c in envs if c["status"] != "rejected"]
        refused = [c for c in envs if c.get("category") == "unsolved_by_reference"]
        assert all(c.get("reference_success") == (1.0 if c["mixture_success"] < 1.0 else None)
                   for c in accepted)
        unrefereed += sum(c["mixture_success"] == 1.0 for c in accepted)
        assert all(c["reference_success"] < 1.0 and "minimax selection needs 100%" in c["reason"]
                   for c in refused)
        guarded += len(refused)
    assert guarded > 0 and unrefereed > 0


def test_regret_selection_without_a_reference_solver_is_refused(tmp_path):
    out = tmp_path / "run"
    result = subprocess.run([sys.executable, "-m", "coevolve", "run", "--domain", "driving",
                             "--env-selection", "regret", "--out", str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "reference solver" in result.stderr
    assert not out.exists()
