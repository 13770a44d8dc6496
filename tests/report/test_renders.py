"""Level renders in the sandbox: outcomes, reuse across refreshes, failures, stale files."""
import json
import os
from types import SimpleNamespace

import numpy as np
import pytest
from matplotlib import image
from report_runs import toy_programs, write_run

from coevolve.report.renders import OUTCOMES, render_archive, trace_points
from coevolve.store import RunStore


class CountingExecutor:
    """A sandbox pool that also counts the jobs it was given."""

    def __init__(self, pool):
        self.pool, self.jobs = pool, 0

    def run(self, jobs, progress=None):
        self.jobs += len(jobs)
        return self.pool.run(jobs, progress)


@pytest.fixture()
def run(tmp_path):
    root = str(tmp_path / "run")
    records = write_run(root, toy_programs(broken_env=3))
    folder = str(tmp_path / "report")
    os.makedirs(folder)
    return records, RunStore(root), folder


def _render(run, executor, policy="policy_0001"):
    records, store, folder = run
    return render_archive(records, store, "toy_render_domain", 3, policy, folder, executor)


def test_every_archived_level_is_rendered_with_the_policys_path(run, toy_pool):
    renders = _render(run, CountingExecutor(toy_pool))
    assert [r.env_label for r in renders] == ["env_0000", "env_0001", "env_0002", "env_0003"]
    # policy_0001 steps 2 cells at a time on lines of length 2..5
    assert [(r.success, r.steps) for r in renders[:3]] == [(True, 1), (True, 2), (True, 2)]
    pixels = image.imread(os.path.join(run[2], renders[2].png))
    assert pixels.shape[:2] == (4, 4 * 5)
    visited = pixels[0, ::4, 0] > 0.5
    assert visited.tolist() == [True, False, True, False, True]  # cells 0, 2, 4
    assert renders[0].png.startswith("level_env_0000_") and renders[0].env_file.endswith(".py")


def test_a_failed_render_is_reported_and_retried(run, toy_pool):
    executor = CountingExecutor(toy_pool)
    broken = _render(run, executor)[3]
    assert broken.success is None
    assert "render failed" in broken.error and "cannot be drawn" in broken.error
    assert not os.path.exists(os.path.join(run[2], broken.png))
    _render(run, executor)
    assert executor.jobs == 4 + 1  # only the failed render runs again


def test_renders_are_reused_and_stale_ones_removed(run, toy_pool):
    executor = CountingExecutor(toy_pool)
    first = _render(run, executor, "policy_0001")
    second = _render(run, executor, "policy_0001")
    assert second == first
    assert executor.jobs == 5
    with open(os.path.join(run[2], OUTCOMES)) as handle:
        assert set(json.load(handle)) == {r.png for r in first}
    third = _render(run, executor, "policy_0002")
    assert third[1].steps == 1
    pngs = sorted(n for n in os.listdir(run[2]) if n.endswith(".png"))
    assert pngs == sorted(r.png for r in third[:3])


def test_trace_points_prefer_the_domains_converter():
    trace = SimpleNamespace(path=((1, 2), (3, 4)))
    assert trace_points(SimpleNamespace(), trace) == [(1, 2), (3, 4)]
    assert trace_points(SimpleNamespace(), None) == []
    converter = SimpleNamespace(trace_path=lambda t: [np.array(p) * 2 for p in t.path])
    assert [tuple(p) for p in trace_points(converter, trace)] == [(2, 4), (6, 8)]
