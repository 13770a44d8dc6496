"""The optimisation loop: it improves Pong on short horizons, records and resumes exactly."""
import ast
import hashlib
import json
import re
import subprocess
import sys
from dataclasses import replace

import pytest

from coevolve.atari.evaluation import DOMAIN
from coevolve.atari.loop import AtariConfig, AtariRun
from coevolve.atari.state import load_state
from coevolve.program import Origin, Program
from coevolve.store import RunStore
from policies.atari import template_source

SMALL = AtariConfig(game="Pong", iterations=3, episodes=2, max_steps=500, candidates=4,
                    screen_episodes=1, screen_steps=500, horizon=60, seed=1, test_episodes=2)


class Interrupted(Exception):
    """The run was stopped from outside."""


class CountingPool:
    """The real pool, remembering every job it played; it can stop the run at its n-th call."""

    def __init__(self, pool, stop_at=None):
        self.pool, self.stop_at, self.calls, self.jobs = pool, stop_at, 0, []

    def run(self, jobs, progress=None):
        self.calls += 1
        if self.calls == self.stop_at:
            raise Interrupted
        digest = lambda text: hashlib.sha256((text or "").encode()).hexdigest()  # noqa: E731
        self.jobs += [(job.function, digest(job.env_source), digest(job.policy_source),
                       json.dumps(job.kwargs, sort_keys=True)) for job in jobs]
        return self.pool.run(jobs, progress)


def run(config, out, pool, optimizer=None):
    lines = []
    runner = AtariRun(config, out, pool, log=lines.append, optimizer=optimizer)
    return runner.run(), lines


@pytest.fixture(scope="module")
def small_run(tmp_path_factory, atari_pool):
    out = tmp_path_factory.mktemp("pong")
    return out, *run(SMALL, out, atari_pool)


def test_offline_optimiser_improves_short_horizon_pong(small_run):
    out, state, lines = small_run
    starter = state.history[0]["best_mean"]
    assert state.iteration == 3 and len(lines) == 5 and lines[-1].startswith("test ")
    assert state.best_mean > starter
    assert all("score" in line and "stage" in line and "env steps" in line and "wall" in line
               for line in lines[:-1])
    steps = [row["env_steps"] for row in state.history]
    assert steps == sorted(steps) and steps[0] > 0


def test_run_directory_holds_records_programs_policy_curve_summary(small_run):
    out, state, _ = small_run
    summary = json.loads((out / "summary.json").read_text())
    assert summary["best_mean"] == state.best_mean and len(summary["curve"]) == 4
    assert (out / "curve.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((out / "config.json").read_text())["game"] == "Pong"
    loaded = load_state(RunStore(str(out)))
    assert loaded.best.sha256 == state.best.sha256 and loaded.history == state.history
    assert (loaded.elites, loaded.known, loaded.env_steps) == (state.elites, state.known,
                                                               state.env_steps)
    assert (out / state.best_file).read_text() == state.best_source
    assert not [p for p in out.rglob(".tmp-*")]  # no temporary files left
    candidates = [c for record in state.history for c in record["candidates"]]
    assert all((out / c["file"]).is_file() for c in candidates)


def test_a_resumed_run_plays_nothing_twice_and_matches_an_uninterrupted_one(
        small_run, tmp_path, atari_pool):
    _, uninterrupted, _ = small_run
    first = CountingPool(atari_pool, stop_at=5)  # inside iteration 2, after its trace
    with pytest.raises(Interrupted):
        run(SMALL, tmp_path, first)
    assert load_state(RunStore(str(tmp_path))).iteration == 1
    second = CountingPool(atari_pool)
    resumed, lines = run(SMALL, tmp_path, second)
    assert lines[0].startswith("iter   2")
    played = first.jobs + second.jobs
    assert second.jobs and len(played) == len(set(played))  # no episode was played twice
    assert resumed.best_source == uninterrupted.best_source
    assert ([r["best_mean"] for r in resumed.history]
            == [r["best_mean"] for r in uninterrupted.history])
    again = CountingPool(atari_pool)
    run(SMALL, tmp_path, again)  # a finished run: the test episodes come from the cache
    assert again.jobs == []


def test_written_policy_runs_standalone_in_a_fresh_python(small_run, tmp_path):
    out, state, _ = small_run
    script = tmp_path / "policy.py"
    script.write_text((out / "best_policy.py").read_text())
    imports = {alias.name.split(".")[0] for node in ast.walk(ast.parse(script.read_text()))
               if isinstance(node, ast.Import) for alias in node.names}
    imports |= {node.module.split(".")[0] for node in ast.walk(ast.parse(script.read_text()))
                if isinstance(node, ast.ImportFrom)}
    assert imports == {"random", "time", "ale_py", "gymnasium", "numpy", "ocatari"}
    done = subprocess.run([sys.executable, "-I", str(script)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path,
                          env={"SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"})
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"score -?\d+ in \d+ steps\n", done.stdout)
    assert int(done.stdout.split()[-2]) <= SMALL.max_steps


def test_summary_records_the_protocol_test_seeds_and_program_size(small_run):
    out, state, _ = small_run
    summary = json.loads((out / "summary.json").read_text())
    assert summary["protocol"]["sticky_actions"] == 0.25
    assert summary["protocol"]["full_action_space"] is False
    assert summary["protocol"]["max_agent_steps"] == 500 and not summary["protocol"]["standard"]
    test = summary["test"]
    assert len(test["seeds"]) == 2 and test["program"] == state.best_file
    played = [json.loads(line)["key"] for line in (out / "cache.jsonl").read_text().splitlines()]
    assert len(played) == len({tuple(key) for key in played})  # every cell evaluated once
    assert all(row["program"]["lines"] > 0 and row["program"]["nodes"] > 0
               for row in summary["curve"])
    assert [t["stage"] for t in summary["stage_times"]] == ["scoring", "good", "stop"]


def test_default_config_is_the_standard_protocol():
    config = AtariConfig()
    assert config.sticky == 0.25 and config.max_steps == 27000 and config.budget == 2_000_000


def policy(source):
    return Program("policy", DOMAIN, source, origin=Origin("test"))


class Repeating:
    """An optimiser that proposes the same programs every iteration."""

    name = "repeating"

    def __init__(self, sources):
        self.sources = sources

    def propose(self, request, rng):
        return [policy(s) for s in self.sources]


def test_a_known_program_is_never_evaluated_again(tmp_path, atari_pool):
    config = replace(SMALL, iterations=2, test_episodes=0)
    starter = template_source("Pong")
    twin = starter.replace("return random.choice([2, 3])", "return random.choice([3, 2])")
    state, lines = run(config, tmp_path, atari_pool, Repeating([starter, twin, twin]))
    assert "1 screened" in lines[1] and "2 known skipped" in lines[1]
    assert "0 screened" in lines[2] and "3 known skipped" in lines[2]
    assert state.known == {policy(starter).sha256, policy(twin).sha256}


def test_rollout_feedback_runs_without_full_episodes(tmp_path, atari_pool):
    config = replace(SMALL, iterations=1, test_episodes=0, feedback="rollout")
    state, lines = run(config, tmp_path, atari_pool)
    assert state.iteration == 1 and "promoted" in lines[1]
    # only the trace and the screening rollouts were played: no 2-episode full evaluation
    assert state.env_steps <= config.screen_steps * (config.candidates + 2) + config.horizon


class Sequence_:
    """An optimiser that proposes one given program per iteration."""

    name = "sequence"

    def __init__(self, sources):
        self.sources = list(sources)

    def propose(self, request, rng):
        return [policy(self.sources.pop(0))]


def test_a_stalled_screen_still_fully_evaluates_its_best_candidate(tmp_path, atari_pool):
    config = replace(SMALL, iterations=2, test_episodes=0)
    starter = template_source("Pong")
    broken = [starter.replace("return select_action(predict_ball_trajectory(obs), obs)",
                              f"return {a} // 0") for a in (1, 2)]  # fails: the worst score
    _, lines = run(config, tmp_path, atari_pool, Sequence_(broken))
    assert "0 fully evaluated" in lines[1]  # worse in screening, not yet stalled
    assert "1 fully evaluated" in lines[2]  # stalled one iteration: evaluated anyway


def test_an_iteration_starts_only_if_one_as_large_as_the_last_fits_the_budget():
    from types import SimpleNamespace

    from coevolve.atari.loop import fits_in_budget

    def state(*steps):
        return SimpleNamespace(history=[{"env_steps": s} for s in steps], env_steps=steps[-1])

    assert fits_in_budget(state(35_000), 2_000_000)  # the starter alone: nothing to judge by
    assert fits_in_budget(state(35_000, 1_500_000, 1_900_000), 2_300_000)
    assert not fits_in_budget(state(35_000, 1_500_000, 1_900_000), 2_299_999)
    assert not fits_in_budget(state(35_000, 2_100_000), 2_000_000)  # spent already
    assert fits_in_budget(state(35_000, 9_000_000), 0)  # 0: no limit
