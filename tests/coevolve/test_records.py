"""Records: typed, frozen, and the JSON lines of earlier versions read back key for key."""
import json
import os

import pytest

from coevolve.program import Origin, Program
from coevolve.records import (ArchiveEntry, Candidate, Category, IterationRecord, Status,
                              cell_entry)

MAIN_LINES = os.path.join(os.path.dirname(__file__), "data", "iterations_written_by_main.jsonl")
"""Iterations 0 and 1 of `coevolve run --domain minigrid --iterations 3` before the records
were typed (seed iteration, then four accepted candidates of each kind, one chosen)."""

OLD_CANDIDATES = [  # each kind of entry the untyped code wrote, as it wrote them
    {"kind": "env", "sha256": None, "file": None, "note": "not written: budget spent",
     "slot": "iter0002/env/0", "status": "rejected", "category": "not_written",
     "reason": "not written: budget spent"},
    {"kind": "env", "sha256": "a" * 64, "file": "programs/candidates/iter0002_env_1_a.py",
     "note": "swap", "status": "rejected", "category": "duplicate",
     "reason": "identical to an archived environment"},
    {"kind": "env", "sha256": "b" * 64, "file": "programs/candidates/iter0002_env_2_b.py",
     "note": "", "status": "rejected", "category": "invalid", "reason": "no class CustomEnv",
     "measures": {}},
    {"kind": "env", "sha256": "c" * 64, "file": "programs/candidates/iter0002_env_3_c.py",
     "note": "", "status": "rejected", "category": "check_failed", "reason": "timed out",
     "measures": {}},
    {"kind": "env", "sha256": "d" * 64, "file": "programs/candidates/iter0002_env_4_d.py",
     "note": "", "status": "rejected", "category": "infeasible", "reason": "goal unreachable",
     "measures": {"width": 8}},
    {"kind": "env", "sha256": "e" * 64, "file": "programs/candidates/iter0002_env_5_e.py",
     "note": "lava", "status": "chosen", "category": None, "reason": None,
     "measures": {"width": 9, "solution_length": 12.5},
     "mixture_success": 0.25, "mixture_return": 0.125},
    {"kind": "policy", "sha256": "f" * 64, "file": "programs/candidates/iter0002_policy_0_f.py",
     "note": "", "status": "rejected", "category": "runtime",
     "reason": "the policy failed at run time in a short episode on the new level (seed 3): "
               "ZeroDivisionError"},
    {"kind": "policy", "sha256": "0" * 64, "file": "programs/candidates/iter0002_policy_1_0.py",
     "note": "hill-climb", "status": "accepted", "category": None, "reason": None,
     "success": 0.5, "mean_return": 0.25, "first_error": None},
]


def _lines():
    with open(MAIN_LINES, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def test_lines_written_by_the_untyped_code_round_trip():
    for line in _lines():
        record = IterationRecord.from_json(line)
        assert record.to_json() == line
        assert json.dumps(record.to_json(), sort_keys=True) == json.dumps(line, sort_keys=True)


def test_every_kind_of_old_candidate_and_the_llm_usage_round_trip():
    line = {**_lines()[1], "candidates": OLD_CANDIDATES,
            "llm": {"requests": 3, "total_tokens": 900}}
    line["counts"] = {"env": {"proposed": 6, "accepted": 1,
                              "rejected": {"not_written": 1, "duplicate": 1, "invalid": 1,
                                           "check_failed": 1, "infeasible": 1}},
                      "policy": {"proposed": 2, "accepted": 1, "rejected": {"runtime": 1}}}
    record = IterationRecord.from_json(line)
    assert record.to_json() == line
    assert [c.status for c in record.candidates][-3:] == [Status.CHOSEN, Status.REJECTED,
                                                         Status.ACCEPTED]
    assert record.candidates[6].category is Category.RUNTIME
    assert record.chosen("env").measures["solution_length"] == 12.5
    assert record.chosen("policy") is None


def test_typed_fields_of_a_read_record():
    record = IterationRecord.from_json(_lines()[1])
    assert record.iteration == 1 and record.env.label == "env_0001"
    assert record.policy.origin.designer == "offline" and record.policy.measures is None
    assert record.env.measures == record.chosen("env").measures
    assert record.counts["env"] == {"proposed": 4, "accepted": 4, "rejected": {}}
    assert record.mixture is None and "mixture" not in record.to_json()
    with pytest.raises(AttributeError):
        record.value = 0.0  # frozen


def test_a_record_missing_keys_of_later_versions_reads_with_defaults():
    line = {"iteration": 0, "env": None, "policy": None, "msne": {"policy_0000": 1.0},
            "value": 1.0, "scores": {}}
    record = IterationRecord.from_json(line)
    assert record.candidates == () and record.episodes is None and record.env_mixture is None
    with pytest.raises(ValueError):
        Candidate.from_json({"kind": "env", "status": "maybe"})


def test_entries_built_from_programs():
    program = Program("env", "minigrid", "X = 1\n", "p" * 64, Origin("offline", None, 3, "swap"))
    entry = ArchiveEntry.of(program, 3, "programs/env_0003.py", {"width": 5})
    assert entry.to_json() == {"label": "env_0003", "file": "programs/env_0003.py",
                               "sha256": program.sha256, "parent": "p" * 64,
                               "origin": {"designer": "offline", "model": None, "iteration": 3,
                                          "note": "swap"},
                               "measures": {"width": 5}}
    assert ArchiveEntry.from_json(entry.to_json()) == entry
    assert ArchiveEntry.from_json(entry.to_json()).program is None  # not logged
    candidate = Candidate("env", program.sha256, "f.py", "swap", Status.ACCEPTED, measures={},
                          program=program).challenged(0.5, 0.25).chosen()
    assert candidate.to_json()["status"] == "chosen" and candidate.mixture_success == 0.5
    assert Candidate.from_json(candidate.to_json()) == candidate


def test_cell_entries_round_as_before():
    class Cell:
        success_rate, mean_return, mean_steps = 0.5, 0.123456, 12.345
        errors, first_error, policy_seconds_per_step, reused = 1, "boom", 0.00012345678, 2
    assert cell_entry("policy_0001", "env_0002", Cell()) == {
        "policy": "policy_0001", "env": "env_0002", "success": 0.5, "mean_return": 0.1235,
        "mean_steps": 12.3, "errors": 1, "first_error": "boom",
        "policy_seconds_per_step": 0.000123, "reused": 2}
