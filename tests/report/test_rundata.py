"""Reading a run directory: what is a run, and one clear line for what is not."""
import json
import os

import pytest
from report_runs import toy_programs, write_run

from coevolve.cli import main
from coevolve.errors import UserInputError
from coevolve.payoff import PayoffMatrix
from coevolve.report.rundata import load_run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("run"))
    write_run(root, toy_programs())
    return root


def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)


def test_a_coevolution_run_is_read_whole(run_dir):
    data = load_run(run_dir)
    assert data.kind == "coevolve"
    assert [r.iteration for r in data.iterations] == [0, 1, 2, 3]
    assert data.payoffs.shape == (3, 4)
    assert data.heldout is None and data.llm == ()


def test_an_unfinished_last_transcript_line_is_ignored(tmp_path, run_dir):
    root = str(tmp_path / "run")
    write_run(root, toy_programs())
    _write(os.path.join(root, "llm.jsonl"), '{"iteration": 1}\n{"iteration": 2, "usa')
    assert load_run(root).llm == ({"iteration": 1},)
    _write(os.path.join(root, "llm.jsonl"), '{"iter\n{"iteration": 2}\n')
    with pytest.raises(UserInputError, match="llm.jsonl, line 1: malformed JSON"):
        load_run(root)


@pytest.mark.parametrize("files, message", [
    ({}, "not a run directory \\(no config.json\\)"),
    ({"config.json": "{oops"}, "config.json is not valid JSON"),
    ({"config.json": "[1, 2]"}, "must hold a JSON object"),
    ({"config.json": '{"seed": 1}'}, "names neither a domain nor a game"),
    ({"config.json": '{"domain": "minigrid"}'}, "no finished iteration yet"),
    ({"config.json": '{"domain": "minigrid"}', "iterations.jsonl": '{"iteration": 0}\n{bad\n'},
     "iterations.jsonl has a malformed line"),
    ({"config.json": '{"domain": "minigrid"}', "iterations.jsonl": '{"iteration": 0}\n'},
     "no payoff.csv"),
    ({"config.json": '{"domain": "minigrid"}', "iterations.jsonl": '{"iteration": 0}\n',
      "payoff.csv": ",env_0000\npolicy_0000,1.0\n"},
     "a record this version cannot read \\(KeyError: 'msne'\\)"),
    ({"config.json": '{"game": "Pong"}'}, "Atari run without a finished iteration or a summary"),
])
def test_what_is_not_a_run_is_a_user_error(tmp_path, files, message):
    for name, text in files.items():
        _write(str(tmp_path / name), text)
    with pytest.raises(UserInputError, match=message):
        load_run(str(tmp_path))


def test_an_archive_that_does_not_match_its_files_is_named(tmp_path):
    root = str(tmp_path / "run")
    write_run(root, toy_programs())
    os.remove(os.path.join(root, "programs", "env_0002.py"))
    with pytest.raises(UserInputError, match="env_0002.py is missing .archived in iteration 2"):
        load_run(root)
    write_run(str(tmp_path / "other"), toy_programs())
    PayoffMatrix(["policy_0000"], ["env_0000"], [[1.0]]).save_csv(
        str(tmp_path / "other" / "payoff.csv"))
    with pytest.raises(UserInputError, match="iteration 1 archived env_0001, which payoff.csv"):
        load_run(str(tmp_path / "other"))


def test_a_malformed_heldout_file_is_named(tmp_path):
    root = str(tmp_path / "run")
    write_run(root, toy_programs())
    _write(os.path.join(root, "heldout.json"), "{")
    with pytest.raises(UserInputError, match="heldout.json is not valid JSON"):
        load_run(root)


def test_an_atari_run_is_recognised_by_its_checkpoint(tmp_path):
    _write(str(tmp_path / "config.json"), json.dumps({"game": "Pong", "seed": 0}))
    _write(str(tmp_path / "state.json"), json.dumps({"iteration": 0, "history": []}))
    data = load_run(str(tmp_path))
    assert data.kind == "atari" and data.state["iteration"] == 0 and data.summary is None


@pytest.mark.parametrize("make", ["missing", "file"])
def test_the_command_prints_one_line_and_exits_2(tmp_path, capsys, make):
    target = tmp_path / "nothing"
    if make == "file":
        target.write_text("not a directory")
    assert main(["report", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("coevolve: ") and "no such run directory" in err
