"""The optimisation loop: it improves Pong on short horizons, checkpoints and resumes exactly."""
import ast
import json
import re
import subprocess
import sys
from dataclasses import replace

import pytest

from coevolve.atari.checkpoint import load_state
from coevolve.atari.loop import AtariConfig, AtariRun

SMALL = AtariConfig(game="Pong", iterations=3, episodes=2, max_steps=500, candidates=4,
                    screen_episodes=1, screen_steps=500, horizon=60, seed=1)


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
    assert state.iteration == 3 and len(lines) == 4
    assert state.best_mean > starter
    assert all("score" in line and "stage" in line and "env steps" in line and "wall" in line
               for line in lines)
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
    assert len(lines) == 1 and lines[0].startswith("iter   3")
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
