"""The optimisation loop: it improves Pong on short horizons, checkpoints and resumes exactly."""
import ast
import json
import re
import subprocess
import sys
from dataclasses import replace

import pytest

from coevolve.atari.checkpoint import load_state
from coevolve.atari.loop import AtariConfig, AtariRun, eval_seeds, screen_seeds, unseen_seeds
from coevolve.atari.optimizers import Candidate, program_key
from policies.atari import template_source

SMALL = AtariConfig(game="Pong", iterations=3, episodes=2, max_steps=500, candidates=4,
                    screen_episodes=1, screen_steps=500, horizon=60, seed=1, test_episodes=2)


def run(config, out, pool):
    lines = []
    state = AtariRun(config, out, pool, log=lines.append).run()
    return state, lines


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


def test_run_directory_holds_checkpoint_policy_curve_summary(small_run):
    out, state, _ = small_run
    summary = json.loads((out / "summary.json").read_text())
    assert summary["best_mean"] == state.best_mean and len(summary["curve"]) == 4
    assert (out / "curve.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((out / "config.json").read_text())["game"] == "Pong"
    assert load_state(out) == state
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_resume_continues_and_matches_an_uninterrupted_run(small_run, tmp_path, atari_pool):
    _, uninterrupted, _ = small_run
    first, _ = run(replace(SMALL, iterations=2), tmp_path, atari_pool)
    assert first.iteration == 2
    resumed, lines = run(SMALL, tmp_path, atari_pool)
    assert lines[0].startswith("iter   3")
    # the test episodes are played again only if the best program changed since
    assert len(lines) == (1 if first.best_source == resumed.best_source else 2)
    assert resumed.test["program"] == program_key(resumed.best_source)
    assert resumed.best_source == uninterrupted.best_source
    assert ([r["best_mean"] for r in resumed.history]
            == [r["best_mean"] for r in uninterrupted.history])


def test_written_policy_runs_standalone_in_a_fresh_python(small_run, tmp_path):
    out, state, _ = small_run
    script = tmp_path / "policy.py"
    script.write_text((out / "best_policy.py").read_text())
    imports = {alias.name.split(".")[0] for node in ast.walk(ast.parse(script.read_text()))
               if isinstance(node, ast.Import) for alias in node.names}
    imports |= {node.module.split(".")[0] for node in ast.walk(ast.parse(script.read_text()))
                if isinstance(node, ast.ImportFrom)}
    assert imports == {"random", "ale_py", "gymnasium", "numpy", "ocatari"}
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
    assert len(test["scores"]) == 2 and test["seeds"] == unseen_seeds(SMALL)
    used = set(eval_seeds(SMALL)) | {s for i in range(4) for s in screen_seeds(SMALL, i)}
    assert not used & set(test["seeds"])
    assert all(row["program"]["lines"] > 0 and row["program"]["nodes"] > 0
               for row in summary["curve"])
    assert [t["stage"] for t in summary["stage_times"]] == ["scoring", "good", "stop"]


def test_default_config_is_the_standard_protocol():
    config = AtariConfig()
    assert config.sticky == 0.25 and config.max_steps == 27000 and config.budget == 2_000_000
    assert screen_seeds(config, 1) != screen_seeds(config, 2)  # screening seeds rotate
    assert AtariConfig(sticky=True).sticky == 0.25 and AtariConfig(sticky=False).sticky == 0.0


class Repeating:
    """An optimiser that proposes the same two programs every iteration."""

    name = "repeating"

    def __init__(self, sources):
        self.sources = sources

    def propose(self, program, trace_text, feedback, rng, elites=(), stalled=0,
                known=frozenset()):
        return [Candidate(s, "same again") for s in self.sources]


def test_a_known_program_is_never_evaluated_again(tmp_path, atari_pool):
    config = replace(SMALL, iterations=2, test_episodes=0)
    run_ = AtariRun(config, tmp_path, atari_pool, log=lambda line: None)
    starter = template_source("Pong")
    twin = starter.replace("return random.choice([2, 3])", "return random.choice([3, 2])")
    run_.optimizer = Repeating([starter, twin, twin])
    lines = []
    run_.log = lines.append
    state = run_.run()
    assert "1 screened" in lines[1] and "2 known skipped" in lines[1]
    assert "0 screened" in lines[2] and "3 known skipped" in lines[2]
    assert set(state.known) == {program_key(starter), program_key(twin)}


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

    def propose(self, program, trace_text, feedback, rng, elites=(), stalled=0,
                known=frozenset()):
        return [Candidate(self.sources.pop(0), "next")]


def test_a_stalled_screen_still_fully_evaluates_its_best_candidate(tmp_path, atari_pool):
    config = replace(SMALL, iterations=2, test_episodes=0)
    starter = template_source("Pong")
    broken = [starter.replace("return select_action(predict_ball_trajectory(obs), obs)",
                             f"return {a} // 0") for a in (1, 2)]  # fails: the worst score
    lines = []
    run_ = AtariRun(config, tmp_path, atari_pool, log=lines.append)
    run_.optimizer = Sequence_(broken)
    run_.run()
    assert "0 fully evaluated" in lines[1]  # worse in screening, not yet stalled
    assert "1 fully evaluated" in lines[2]  # stalled one iteration: evaluated anyway
