"""Nothing is evaluated twice: an iteration plays only its new row, column and candidates, and
``resume`` and ``heldout`` recompute nothing that is cached (counted job by job)."""
import hashlib
import os

import pytest

from coevolve.config import RunConfig
from coevolve.domains import DOMAINS, Domain
from coevolve.evaluate import Evaluator, ResultCache
from coevolve.heldout import evaluate_heldout
from coevolve.loop import run
from coevolve.progress import Progress
from coevolve.session import Session
from coevolve.sandbox import Limits, SandboxPool
from coevolve.store import RunStore

TOYWORLD = os.path.join(os.path.dirname(__file__), "..", "coevolve", "toyworld")


class RecordingPool(SandboxPool):
    """A real pool that remembers every job it ran."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.jobs = []

    def run(self, jobs, progress=None):
        self.jobs.extend(jobs)
        return super().run(jobs, progress)

    def take(self):
        """The jobs run since the last call."""
        jobs, self.jobs = self.jobs, []
        return jobs


def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


def episodes(jobs):
    """(policy sha, env sha, seed) of every scored episode (traces for designers left out)."""
    return [(sha(j.policy_source), sha(j.env_source), j.kwargs["seed"]) for j in jobs
            if j.function == "run_episode" and not j.kwargs.get("trace")]


@pytest.fixture
def toy(monkeypatch):
    monkeypatch.syspath_prepend(TOYWORLD)
    monkeypatch.setitem(DOMAINS, "toy", Domain("toy", "toy_envs", "toy_policies"))
    with RecordingPool(2, Limits(seconds=10, memory_mb=1024), preload=("toy_envs",)) as pool:
        yield pool


def test_run_resume_and_heldout_never_evaluate_anything_twice(toy, tmp_path):
    pool, root = toy, str(tmp_path / "run")
    config = RunConfig(domain="toy", iterations=3, episodes=4, candidates=3, workers=2)
    state = Session.create(config, root, progress=Progress(quiet=True), executor=pool)
    run(state, 2)
    played = episodes(pool.take())
    assert played

    state = Session.reopen(root, progress=Progress(quiet=True), executor=pool)
    assert pool.take() == []  # every cell of iterations 0..2 came back from the cache

    run(state, 3)
    jobs = pool.take()
    record = RunStore(root).iterations()[-1]
    candidates = {c["sha256"] for c in record["candidates"]}
    assert all(p in candidates or e in candidates for p, e, _ in episodes(jobs))
    played += episodes(jobs)
    assert len(played) == len(set(played))  # no episode was ever played twice
    new = {record[kind]["label"] for kind in ("env", "policy") if record[kind]}
    assert record["new_cells"]
    assert all(cell["policy"] in new or cell["env"] in new for cell in record["new_cells"])

    families = state.domain.envs.heldout_suite()
    for attempt in range(2):
        evaluator = Evaluator("toy_envs", pool, 6, 0,
                              ResultCache(os.path.join(root, "heldout_cache.jsonl")), reuse=False)
        rows = evaluate_heldout(state.archive.policies, state.archive.msne.row_strategy, families,
                                evaluator)
        assert len(rows) == 3 * len(families)
        heldout_jobs = pool.take()
        assert (len(heldout_jobs) > 0) == (attempt == 0)  # the second time: all cached
    state.close()
