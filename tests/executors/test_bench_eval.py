"""``coevolve bench eval``: every mode measured, same cells, ratios computed from the runs."""
import json

from coevolve.bench_eval import Measurement, format_table, ratios
from coevolve.cli import main


def test_bench_eval_command_measures_each_mode(capsys):
    assert main(["bench", "eval", "--domain", "pygame", "--episodes", "3", "--workers", "2",
                 "--repeat", "1", "--no-ray", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    modes = [(run["mode"], run["workers"]) for run in report["runs"]]
    assert modes == [("in-process", 1), ("per-episode", 1), ("sandbox", 1), ("sandbox", 2)]
    steps = {run["steps"] for run in report["runs"]}
    assert len(steps) == 1 and steps.pop() > 0  # the same episodes every way
    assert "payoff cells of every executor identical: yes" in report["notes"]
    assert len(report["ratios"]) == 3
    assert any(note.startswith("sandbox: ") for note in report["notes"])


def test_ratios_and_table():
    runs = [Measurement("in-process", 1, 10, 1000, 1.0), Measurement("sandbox", 1, 10, 1000, 1.25),
            Measurement("sandbox", 2, 10, 1000, 0.625), Measurement("ray", 2, 10, 1000, 1.0)]
    values = list(ratios(runs).values())
    assert values == [0.8, 2.0, 0.625]
    table = format_table(runs).splitlines()
    assert len(table) == 5 and table[2].split()[-1] == "800"
