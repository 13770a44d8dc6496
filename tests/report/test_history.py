"""The run's history as arrays, checked against the scores the run itself logged."""
from dataclasses import replace

import numpy as np
import pytest
from report_runs import PAYOFFS, toy_programs, write_run

from coevolve.payoff import PayoffMatrix
from coevolve.report.history import (archive_at, candidate_outcomes, chosen_measures,
                                     measure_series, mixture_grids, most_likely_policy,
                                     msne_weights, rejections, split_constant, token_usage)


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    return write_run(str(tmp_path_factory.mktemp("run")), toy_programs())


def test_archive_grows_with_chosen_programs_only(records):
    archives = archive_at(records)
    assert archives[0] == (["policy_0000"], ["env_0000"])
    assert archives[3] == (["policy_0000", "policy_0001", "policy_0002"],
                           ["env_0000", "env_0001", "env_0002", "env_0003"])


def test_mixture_grids_reproduce_the_logged_archive_scores(records):
    payoffs = PayoffMatrix([f"policy_{i:04d}" for i in range(3)],
                           [f"env_{j:04d}" for j in range(4)], PAYOFFS)
    grids = mixture_grids(records, payoffs)
    for t, record in enumerate(records):
        for name in ("greedy", "msne"):
            row = grids[name].values[t]
            assert np.isnan(row[t + 1:]).all()  # environments not archived yet
            known = row[:t + 1]
            assert known.min() == pytest.approx(record.scores[name]["worst"], abs=1e-9)
            assert known.mean() == pytest.approx(record.scores[name]["mean"], abs=1e-9)
    # iteration 3 chose no policy: the newest policy is still policy_0002
    np.testing.assert_allclose(grids["greedy"].values[3], PAYOFFS[2])
    assert grids["msne"].env_labels == ("env_0000", "env_0001", "env_0002", "env_0003")


def test_msne_weights_are_distributions_over_existing_policies(records):
    labels = ["policy_0000", "policy_0001", "policy_0002"]
    weights = msne_weights(records, labels)
    assert weights.shape == (4, 3)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    assert weights[0, 1:].tolist() == [0.0, 0.0]
    assert weights[1, 2] == 0.0


def test_measure_series_keeps_numbers_and_reads_the_chosen_candidate(records):
    records = list(records)
    chosen = replace(records[2].candidates[0], measures={"length": 40.0, "walls": 4})
    records[2] = replace(records[2], env=replace(records[2].env, measures={}),
                         candidates=(chosen, *records[2].candidates[1:]))
    series = measure_series(records)
    assert set(series) == {"length", "walls", "lava"}  # the boolean "ok" is left out
    assert series["length"] == ([0, 1, 2, 3], [2.0, 3.0, 40.0, 5.0])
    varying, constant = split_constant(series)
    assert list(varying) == ["length"]
    assert constant == {"lava": 0.0, "walls": 4.0}
    assert chosen_measures(replace(records[0], env=None)) == {}


def test_candidate_outcomes_and_rejections(records):
    names, table = candidate_outcomes(records, "env")
    assert names == ["accepted", "rejected: infeasible"]
    assert table.tolist() == [[0, 0], [1, 1], [1, 1], [1, 1]]
    names, table = candidate_outcomes(records, "policy")
    assert names == ["accepted", "rejected: invalid"] and table[:, 1].sum() == 3
    rejected = rejections(records)
    assert len(rejected) == 6
    assert rejected[0] == {"iteration": 1, "kind": "env", "category": "infeasible",
                           "reason": "goal unreachable <b>behind</b> a wall",
                           "file": "programs/candidates/iter0001_env_1_y.py"}


def test_token_usage_from_records_or_from_the_transcript(tmp_path):
    records = write_run(str(tmp_path / "a"), toy_programs(), tokens=True)
    usage = token_usage(records, [])
    assert usage["prompt_tokens"].tolist() == [0, 100, 200, 300]
    assert usage["completion_tokens"].sum() == 60
    plain = write_run(str(tmp_path / "b"), toy_programs())
    assert token_usage(plain, []) == {}
    lines = [{"iteration": 1, "usage": {"prompt_tokens": 7, "total_tokens": 9}},
             {"iteration": 1, "response": {"usage": {"prompt_tokens": 3}}},
             {"iteration": 3, "usage": {"prompt_tokens": 1}},
             {"iteration": 99, "usage": {"prompt_tokens": 1000}},
             {"note": "no usage"}]
    usage = token_usage(plain, lines)
    assert usage["prompt_tokens"].tolist() == [0, 10, 0, 1]
    assert usage["total_tokens"].tolist() == [0, 9, 0, 0]


def test_most_likely_policy_breaks_ties_towards_the_earliest(records):
    tied = replace(records[0], msne={"policy_0002": 0.5, "policy_0001": 0.5})
    assert most_likely_policy(tied) == "policy_0001"
    clear = replace(records[0], msne={"policy_0000": 0.2, "policy_0003": 0.8})
    assert most_likely_policy(clear) == "policy_0003"
