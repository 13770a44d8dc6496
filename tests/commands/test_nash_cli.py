"""``coevolve nash`` through the real console entry, and the matrix files it reads."""
import json
import subprocess
import sys

import numpy as np
import pytest

from coevolve import cli
from coevolve.errors import UserInputError
from coevolve.matrix_io import load_matrix, save_matrix_csv

GAME = "policy,env_a,env_b,env_c\npol1,0.9,0.1,0.5\npol2,0.2,0.8,0.5\npol3,0.1,0.1,0.1\n"
GAME_X = [3 / 7, 4 / 7, 0.0]  # pol3 is dominated; env_c is the environments' best reply


def coevolve(*args):
    return subprocess.run([sys.executable, "-m", "coevolve", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def write(tmp_path, text, name="payoffs.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_human_output_lists_support_first(tmp_path):
    result = coevolve("nash", write(tmp_path, GAME))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "3 policies x 3 environments" in lines[0] and "PULP_CBC_CMD (full LP)" in lines[0]
    policy_rows = [line.split() for line in lines if line.split()[:1] in (["pol1"], ["pol2"],
                                                                           ["pol3"])]
    assert [row[0] for row in policy_rows] == ["pol2", "pol1", "pol3"]
    assert [float(row[1]) for row in policy_rows] == pytest.approx([4 / 7, 3 / 7, 0], abs=1e-6)
    env_rows = [line.split() for line in lines if line.startswith("env_")]
    assert env_rows[0] == ["env_c", "1.000000"]
    assert [line.split()[-1] for line in lines if line.startswith("game value")] == ["0.5"]
    assert any(line.startswith("gap") for line in lines)
    assert result.stderr == ""


@pytest.mark.parametrize("solver, name", [("cbc", "PULP_CBC_CMD"), ("highs", "HiGHS")])
def test_json_output(tmp_path, solver, name):
    result = coevolve("nash", write(tmp_path, GAME), "--json", "--solver", solver)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert set(out) == {"value", "row_strategy", "column_strategy", "row_labels",
                        "column_labels", "solver", "gap", "method", "rounds", "fallback"}
    assert (out["method"], out["rounds"], out["fallback"]) == ("full", 0, False)  # auto, small
    assert out["row_labels"] == ["pol1", "pol2", "pol3"]
    assert out["column_labels"] == ["env_a", "env_b", "env_c"]
    assert out["row_strategy"] == pytest.approx(GAME_X, abs=1e-12)
    assert out["column_strategy"] == pytest.approx([0, 0, 1], abs=1e-12)
    assert out["value"] == pytest.approx(0.5, abs=1e-12)
    assert out["solver"] == name
    assert 0 <= out["gap"] <= 1e-7


@pytest.mark.parametrize("method", ["full", "oracle"])
def test_method_flag(tmp_path, method):
    result = coevolve("nash", write(tmp_path, GAME), "--json", "--method", method)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["method"] == method and out["fallback"] is False
    assert out["rounds"] == (0 if method == "full" else 1)
    assert out["row_strategy"] == pytest.approx(GAME_X, abs=1e-12)
    assert out["value"] == pytest.approx(0.5, abs=1e-12)
    assert 0 <= out["gap"] <= 1e-7


def test_large_matrix_uses_the_oracle_and_says_so(tmp_path):
    path = tmp_path / "archive.npy"
    np.save(path, np.random.default_rng(0).random((400, 400)))
    result = coevolve("nash", path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].endswith("solved by PULP_CBC_CMD (oracle, 1 restricted "
                                                  "game)")
    out = json.loads(coevolve("nash", path, "--json").stdout)
    full = json.loads(coevolve("nash", path, "--json", "--method", "full").stdout)
    assert out["method"] == "oracle" and full["method"] == "full"
    assert out["value"] == pytest.approx(full["value"], abs=1e-9)
    assert out["gap"] <= 1e-7 and full["gap"] <= 1e-7


def test_unlabelled_npy_gets_default_labels(tmp_path):
    path = tmp_path / "pennies.npy"
    np.save(path, np.array([[1.0, -1.0], [-1.0, 1.0]]))
    out = json.loads(coevolve("nash", path, "--json").stdout)
    assert out["row_labels"] == ["p0", "p1"] and out["column_labels"] == ["e0", "e1"]
    assert out["row_strategy"] == pytest.approx([0.5, 0.5])
    assert out["value"] == pytest.approx(0.0, abs=1e-12)


BAD_INPUTS = {
    "missing file": (lambda d: d / "missing.csv", "no such file"),
    "directory": (lambda d: d, "is a directory"),
    "empty file": (lambda d: write(d, ""), "is empty"),
    "ragged rows": (lambda d: write(d, "0.1,0.2\n0.3\n"), "line 2: 1 cells"),
    "word in matrix": (lambda d: write(d, ",a,b\np,0.1,x\nq,0.3,0.4\n"),
                       "line 2, column 3: 'x' is not a number"),
    "nan": (lambda d: write(d, "0.1,nan\n0.3,0.4\n"), "missing or NaN"),
    "empty cell": (lambda d: write(d, "0.1,0.2\n0.3,\n"), "missing or NaN"),
    "inf": (lambda d: write(d, "0.1,inf\n0.3,0.4\n"), "infinite"),
    "header only": (lambda d: write(d, ",a,b\n"), "no data rows"),
    "long header": (lambda d: write(d, "a,b,c,d\nx,0.1,0.2\n"),
                    "header has 4 cells for 2 data columns"),
    "labels only": (lambda d: write(d, "p\nq\n"), "only labels"),
    "words only": (lambda d: write(d, "p,q\nr,s\n"), "line 2, column 2: 's' is not a number"),
    "binary file": (lambda d: write(d, "\x00\x01", "blob.csv"), "not a UTF-8 text CSV"),
    "latin-1 file": (lambda d: _latin1(d), "not a UTF-8 text CSV"),
    "1-D npy": (lambda d: _npy(d, np.zeros(3)), "2-D array"),
    "3-D npy": (lambda d: _npy(d, np.zeros((2, 2, 2))), "2-D array"),
    "empty npy": (lambda d: _npy(d, np.zeros((0, 2))), "empty"),
    "text npy": (lambda d: _npy(d, np.array([["a"]])), "expected numbers"),
    "nan npy": (lambda d: _npy(d, np.array([[np.nan]])), "missing or NaN"),
    "not npy": (lambda d: write(d, "not numpy at all", "bad.npy"), "cannot read as a .npy"),
    "truncated npy": (lambda d: _truncated_npy(d), "cannot read as a .npy array"),
}
THROUGH_THE_CONSOLE = ["missing file", "directory", "ragged rows", "word in matrix", "nan",
                       "3-D npy", "truncated npy"]


@pytest.mark.parametrize("case", THROUGH_THE_CONSOLE)
def test_bad_input_is_one_line_and_status_2(tmp_path, case):
    make, message = BAD_INPUTS[case]
    result = coevolve("nash", make(tmp_path))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("coevolve: ")
    assert message in result.stderr


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_every_bad_input_in_process(tmp_path, capsys, case):
    make, message = BAD_INPUTS[case]
    assert cli.main(["nash", str(make(tmp_path))]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("coevolve: ") and message in err


@pytest.mark.parametrize("flag, value", [("--solver", "glpk"), ("--method", "fast")])
def test_unknown_choice_is_a_usage_error(tmp_path, flag, value):
    result = coevolve("nash", write(tmp_path, GAME), flag, value)
    assert result.returncode == 2 and "invalid choice" in result.stderr
    assert result.stdout == ""


def _npy(directory, array):
    path = directory / "matrix.npy"
    np.save(path, array)
    return path


def _latin1(directory):
    path = directory / "latin1.csv"
    path.write_bytes(",caf\xe9\np,0.5\n".encode("latin-1"))
    return path


def _truncated_npy(directory):
    path = _npy(directory, np.ones((20, 20)))
    path.write_bytes(path.read_bytes()[:200])
    return path


# load_matrix / save_matrix_csv directly: the layouts a CSV may take and the round trip.

@pytest.mark.parametrize("text, rows, columns", [
    ("0.5,1\n0,0.25\n", ("p0", "p1"), ("e0", "e1")),
    ("a,b\n0.5,1\n0,0.25\n", ("p0", "p1"), ("a", "b")),
    ("x,0.5,1\ny,0,0.25\n", ("x", "y"), ("e0", "e1")),
    (",a,b\nx,0.5,1\ny,0,0.25\n", ("x", "y"), ("a", "b")),
    ("a,b\nx,0.5,1\ny,0,0.25\n", ("x", "y"), ("a", "b")),
    ("\ufeff , a , b \r\n x ,0.5, 1\r\n\r\ny,0,2.5e-1\r\n", ("x", "y"), ("a", "b")),
])
def test_csv_layouts(tmp_path, text, rows, columns):
    array, row_labels, column_labels = load_matrix(write(tmp_path, text))
    np.testing.assert_array_equal(array, [[0.5, 1.0], [0.0, 0.25]])
    assert (row_labels, column_labels) == (rows, columns)


def test_unknown_cells_only_with_allow_nan(tmp_path):
    path = write(tmp_path, ",a,b\nx,,1\ny,nan,0.25\n")
    array, _, _ = load_matrix(path, allow_nan=True)
    assert np.isnan(array[:, 0]).all() and array[1, 1] == 0.25
    with pytest.raises(UserInputError, match="2 cell.s. are missing or NaN"):
        load_matrix(path)


def test_save_then_load_round_trips_exactly(tmp_path):
    values = np.array([[0.1, np.nan, 1 / 3], [0.0, 1.0, 2 / 3]])
    path = tmp_path / "payoff.csv"
    save_matrix_csv(path, values, ["policy_0000", "policy, with comma"], ["e_0", "e_1", "e_2"])
    assert path.read_text().splitlines()[0] == ",e_0,e_1,e_2"
    array, rows, columns = load_matrix(path, allow_nan=True)
    np.testing.assert_array_equal(array, values)
    assert rows == ("policy_0000", "policy, with comma") and columns == ("e_0", "e_1", "e_2")
    assert [p.name for p in tmp_path.iterdir()] == ["payoff.csv"]  # no temporary left


@pytest.mark.parametrize("rows, columns, message", [
    (["a"], ["b", "c"], "does not match"),
    (["a", "3"], ["b", "c"], "not numbers"),
    (["a", ""], ["b", "c"], "non-empty"),
    (["a", "b"], [" c", "d"], "surrounding spaces"),
])
def test_save_rejects_labels_that_would_not_read_back(tmp_path, rows, columns, message):
    with pytest.raises(ValueError, match=message):
        save_matrix_csv(tmp_path / "p.csv", np.zeros((2, 2)), rows, columns)
