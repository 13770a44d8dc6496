"""--meta-solver: UED-Greedy (latest) and UED-Uniform as real runs, and resuming one."""
import json
import subprocess
import sys

import pytest

from coevolve.config import RunConfig
from coevolve.errors import UserInputError
from coevolve.loop import run
from coevolve.matrix_io import load_matrix
from coevolve.progress import Progress
from coevolve.session import Session
from coevolve.store import RunStore


def _expected(meta_solver: str, labels: list) -> dict:
    if meta_solver == "latest":
        return {label: float(label == labels[-1]) for label in labels}
    return {label: 1.0 / len(labels) for label in labels}


@pytest.mark.parametrize("meta_solver", ["latest", "uniform"])
def test_baseline_meta_solvers_drive_the_designers(toy_domain, tmp_path, meta_solver):
    root = str(tmp_path / "run")
    cfg = RunConfig(domain="toy", iterations=3, episodes=4, candidates=3, workers=2,
                    meta_solver=meta_solver)
    session = Session.create(cfg, root, progress=Progress(quiet=True))
    try:
        run(session, 3)
    finally:
        session.close()
    with open(f"{root}/config.json") as handle:
        assert json.load(handle)["meta_solver"] == meta_solver
    records = RunStore(root).iterations()
    values, policy_labels, env_labels = load_matrix(f"{root}/payoff.csv", allow_nan=True)
    row, column = ({label: i for i, label in enumerate(policy_labels)},
                   {label: j for j, label in enumerate(env_labels)})
    shas = {r["policy"]["label"]: r["policy"]["sha256"] for r in records if r["policy"]}
    for before, record in zip(records, records[1:]):
        mixture = _expected(meta_solver, list(before["msne"]))  # the policies archived then
        assert before["mixture"] == pytest.approx(mixture)
        assert set(before["scores"]) == {"greedy", "uniform", "msne"}  # the MSNE is still logged
        chosen = [c for c in record["candidates"] if c["status"] == "chosen" and c["kind"] == "env"]
        if chosen:  # the level was judged by the meta-solver's mixture
            env = column[record["env"]["label"]]
            assert chosen[0]["mixture_success"] == pytest.approx(
                sum(w * values[row[label], env] for label, w in mixture.items()))
        if record["policy"]:  # the heaviest policy (the earliest on ties) was mutated
            heaviest = max(mixture, key=lambda label: (mixture[label], -row[label]))
            assert record["policy"]["parent"] == shas[heaviest]
    resumed = Session.reopen(root, progress=Progress(quiet=True))
    try:
        assert resumed.next_iteration == 4
        assert resumed.archive.labelled(resumed.archive.mixture(meta_solver)) == \
            pytest.approx(records[-1]["mixture"])
        assert resumed.archive.labelled(resumed.archive.msne.row_strategy) == \
            pytest.approx(records[-1]["msne"])
    finally:
        resumed.close()


def test_an_unknown_meta_solver_is_refused_before_anything_is_written(toy_domain, tmp_path):
    with pytest.raises(UserInputError, match="--meta-solver 'alpharank': choose one of"):
        Session.create(RunConfig(domain="toy", meta_solver="alpharank"), str(tmp_path / "run"))
    assert not (tmp_path / "run").exists()


def test_the_flag_is_generated_with_its_choices(tmp_path):
    help_text = subprocess.run([sys.executable, "-m", "coevolve", "run", "--help"],
                               capture_output=True, text=True, check=True).stdout
    assert "--meta-solver {latest,nash,uniform}" in help_text
    bad = subprocess.run([sys.executable, "-m", "coevolve", "run", "--meta-solver", "best",
                          "--out", str(tmp_path / "run")], capture_output=True, text=True)
    assert bad.returncode == 2 and "invalid choice: 'best'" in bad.stderr
    assert not (tmp_path / "run").exists()
