"""``coevolve bench nash`` with tiny sizes (flags, JSON, skipped full LP), and the lazy
``bench eval`` dispatch."""
import json
import subprocess
import sys
import textwrap

import pytest

from coevolve import cli
from coevolve.commands import bench


def coevolve(*args):
    return subprocess.run([sys.executable, "-m", "coevolve", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def test_json_results_for_tiny_sizes():
    result = coevolve("bench", "nash", "--sizes", 2, 7, "--seed", 3, "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["seed"] == 3 and out["baseline"] == "cbc" and out["full_limit"] == 2000
    assert [entry["size"] for entry in out["sizes"]] == [2, 7]
    for entry in out["sizes"]:
        methods = {m["method"]: m for m in entry["methods"]}
        assert list(methods) == ["cbc", "highs", "scipy", "oracle"] and entry["skipped"] == []
        values = [m["value"] for m in methods.values()]
        assert entry["value_disagreement"] == pytest.approx(max(values) - min(values))
        assert entry["value_disagreement"] <= 1e-7
        assert methods["cbc"]["ratio_to_baseline"] == methods["cbc"]["cpu_ratio_to_baseline"] == 1
        for m in methods.values():
            assert m["ratio_to_baseline"] == pytest.approx(
                m["total_seconds"] / methods["cbc"]["total_seconds"])
            assert m["cpu_ratio_to_baseline"] == pytest.approx(
                m["cpu_seconds"] / methods["cbc"]["cpu_seconds"])
            assert m["cpu_seconds"] > 0
            assert 0 <= m["gap"] <= 1e-7
            assert 1 <= m["support"][0] <= entry["size"] and 1 <= m["support"][1] <= entry["size"]
        for name in ("cbc", "highs", "scipy"):
            m = methods[name]
            stages = m["build_seconds"] + m["solve_seconds"] + m["finish_seconds"]
            assert m["total_seconds"] == pytest.approx(stages)
            assert min(m["build_seconds"], m["solve_seconds"], m["finish_seconds"]) >= 0
            assert m["rounds"] == 0
        oracle = methods["oracle"]
        assert oracle["build_seconds"] is None and oracle["rounds"] >= 1
        assert oracle["total_seconds"] > 0


def test_full_lp_is_skipped_above_the_limit_and_the_table_says_so():
    result = coevolve("bench", "nash", "--sizes", 3, 9, "--methods", "oracle", "cbc",
                      "--full-limit", 5)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    rows = [line.split()[:2] for line in lines[2:]]
    assert rows[:2] == [["3", "cbc"], ["3", "oracle"]]
    assert rows[3:5] == [["9", "oracle"], ["9", "cbc"]]
    assert lines[5].split()[6] == lines[5].split()[8] == "-"  # no baseline to compare with
    assert lines[6].endswith("cbc     not run: the full LP is too slow above --full-limit 5")
    assert "highs" not in result.stdout and "scipy" not in result.stdout


def test_same_games_whatever_the_methods():
    both = json.loads(coevolve("bench", "nash", "--sizes", 6, 8, "--json",
                               "--methods", "cbc", "oracle").stdout)
    alone = json.loads(coevolve("bench", "nash", "--sizes", 6, 8, "--json",
                                "--methods", "oracle", "--full-limit", 0).stdout)
    assert alone["sizes"][0]["skipped"] == []  # cbc was not asked for, so not skipped
    assert [s["methods"][-1]["value"] for s in both["sizes"]] == \
        [s["methods"][0]["value"] for s in alone["sizes"]]


def test_table_for_one_tiny_size():
    result = coevolve("bench", "nash", "--sizes", 4)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["size", "method", "build", "s", "solve", "s", "finish", "s",
                                "total", "s", "/", "cbc", "cpu", "s", "/", "cbc", "value", "gap",
                                "rounds", "support", "solved", "by"]
    assert [line.split()[:2] for line in lines[2:6]] == [["4", "cbc"], ["4", "highs"],
                                                         ["4", "scipy"], ["4", "oracle"]]
    assert lines[2].split()[6] == lines[2].split()[8] == "1.00"
    assert lines[5].split()[2:5] == ["-", "-", "-"]
    assert lines[6].split()[:3] == ["largest", "value", "disagreement"]


@pytest.mark.parametrize("args, message", [
    (["--sizes", "0"], "--sizes must be positive"),
    (["--sizes", "ten"], "invalid int value"),
    (["--methods", "glpk"], "invalid choice"),
    (["--full-limit", "-1"], "--full-limit must be non-negative"),
])
def test_bad_sizes(args, message):
    result = coevolve("bench", "nash", *args)
    assert result.returncode == 2 and message in result.stderr
    assert result.stderr.count("\n") == 1


def test_bench_eval_through_the_console():
    result = coevolve("bench", "eval", "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: coevolve bench eval")


def test_module_gets_every_argument_after_the_target(tmp_path, monkeypatch, capsys):
    (tmp_path / "stand_in_bench.py").write_text(textwrap.dedent("""
        def add_arguments(parser):
            parser.add_argument("--episodes", type=int)
            parser.add_argument("-v", action="store_true")
            parser.add_argument("names", nargs="*")

        def main(args):
            print(args.episodes, args.v, args.names)
            return 7
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    argv = ["--episodes", "3", "-v", "a", "b"]
    assert bench.run_module("stand_in_bench", "coevolve bench eval", argv) == 7
    assert capsys.readouterr().out == "3 True ['a', 'b']\n"
    with pytest.raises(SystemExit):
        bench.run_module("stand_in_bench", "coevolve bench eval", ["--no-such-flag"])


def test_console_passes_options_through_to_the_module():
    args = cli.build_parser().parse_args(["bench", "eval", "--domain", "minigrid", "-h", "--json"])
    assert args.target == "eval" and args.rest == ["--domain", "minigrid", "-h", "--json"]
