"""The recorder: an iteration's files in one go, the line last; archived programs read back."""
import json

import pytest

from coevolve.errors import UserInputError
from coevolve.payoff import PayoffMatrix
from coevolve.program import Origin, Program
from coevolve.recorder import Recorder
from coevolve.records import ArchiveEntry, Candidate, Category, IterationRecord, Status
from coevolve.store import RunStore


def test_an_iteration_is_written_whole_and_read_back(tmp_path):
    recorder = Recorder(RunStore(str(tmp_path / "run")))
    recorder.begin({"domain": "toy"})
    env = Program("env", "toy", "N = 1\n", origin=Origin("offline", None, 1, "grow"))
    candidate = Candidate("env", env.sha256, "programs/candidates/iter0001_env_0_x.py", "grow",
                          Status.CHOSEN, measures={}, program=env)
    missing = Candidate("policy", None, None, "not written", Status.REJECTED,
                        Category.NOT_WRITTEN, "not written", slot="iter0001/policy/0")
    record = IterationRecord(1, ArchiveEntry.of(env, 1, "programs/env_0001.py", {}), None,
                             {"policy_0000": 1.0}, 1.0, {}, (candidate, missing))
    recorder.log(record, PayoffMatrix(["policy_0000"], ["env_0000", "env_0001"], [[1.0, 1.0]]))
    store = recorder.store
    assert store.read("programs/env_0001.py") == store.read(candidate.file) == "N = 1\n"
    assert store.read("payoff.csv").splitlines()[0] == ",env_0000,env_0001"
    with open(store.path("iterations.jsonl")) as handle:
        assert json.loads(handle.read()) == record.to_json()
    [read] = recorder.iterations()
    assert read == record and read.env.program is None
    assert recorder.archived("env", read.env, "toy") == env
    with open(store.path("programs/env_0001.py"), "a") as handle:
        handle.write("# edited\n")
    with pytest.raises(UserInputError, match="env_0001.py was modified after it was archived"):
        recorder.archived("env", read.env, "toy")
