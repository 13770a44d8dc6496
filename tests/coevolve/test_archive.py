"""The archive: labels, incremental cells, and the MSNE solved in one place, warm-started."""
import numpy as np
from solvers.nash import nash

from coevolve.archive import Archive
from coevolve.evaluate import CellResult
from coevolve.program import Origin, Program
from coevolve.records import ArchiveEntry, IterationRecord


def _cell(success: float) -> CellResult:
    return CellResult(success, success, 1.0, 4, 0, None, 0.0)


def _programs(n: int) -> dict:
    return {f"{kind}_{t:04d}": Program(kind, "toy", f"N = {t}\n", origin=Origin("seed"))
            for t in range(n) for kind in ("env", "policy")}


def _records(programs: dict, n: int, msne: dict, env_mixture: dict) -> list:
    def entry(label):
        program = programs[label]
        return ArchiveEntry(label, f"programs/{label}.py", program.sha256)
    records = [IterationRecord(t, entry(f"env_{t:04d}"), entry(f"policy_{t:04d}"), {}, 0.0, {})
               for t in range(n)]
    records[-1] = IterationRecord(n - 1, records[-1].env, records[-1].policy, msne, 0.5, {},
                                  env_mixture=env_mixture)
    return records


def test_cells_are_filled_once_and_labelled():
    archive, asked = Archive(), []
    programs = _programs(2)
    archive.add_env(programs["env_0000"], 0, {"width": 5})
    archive.add_policy(programs["policy_0000"], 0)
    evaluate = lambda pairs: asked.append(len(pairs)) or [_cell(0.25)] * len(pairs)  # noqa: E731
    assert [c["success"] for c in archive.fill_unknown(evaluate)] == [0.25]
    archive.add_env(programs["env_0001"], 1)
    archive.add_policy(programs["policy_0001"], 1)
    entries = archive.fill_unknown(evaluate)
    assert asked == [1, 3]  # only the new row and column
    assert {(e["policy"], e["env"]) for e in entries} == {
        ("policy_0000", "env_0001"), ("policy_0001", "env_0000"), ("policy_0001", "env_0001")}
    assert archive.holds(programs["env_0001"])
    assert not archive.holds(Program("policy", "toy", "N = 9\n"))
    assert archive.scores_of(programs["policy_0001"]) == {"env_0000": 0.25, "env_0001": 0.25}
    archive.solve()
    assert archive.mixture("latest").tolist() == [0.0, 1.0]
    assert archive.mixture("uniform").tolist() == [0.5, 0.5]
    assert archive.mixture("nash") is archive.msne.row_strategy


def test_reload_warm_starts_the_equilibrium_from_the_last_record():
    # a constant game: every pair of mixtures is an equilibrium, so only a warm start returns
    # the logged one; 400 x 400 cells is where the solver's oracle (which takes a start) is used
    n = 400
    programs = _programs(n)
    logged = ({"policy_0005": 1.0}, {"env_0007": 1.0})
    records = _records(programs, n, *logged)
    archive = Archive.reload(records, lambda kind, entry: programs[entry.label],
                             lambda pairs: [_cell(0.5)] * len(pairs))
    assert archive.payoffs.shape == (n, n) and not archive.payoffs.unknown()
    row, column = archive.msne.strategies
    assert row[5] == 1.0 and column[7] == 1.0
    cold = nash(archive.payoffs.complete())
    assert cold.row_strategy[5] != 1.0  # a cold solve finds another equilibrium


def test_reload_of_records_without_an_environment_mixture_solves_cold():
    programs = _programs(2)
    records = _records(programs, 2, {"policy_0001": 1.0}, None)
    archive = Archive.reload(records, lambda kind, entry: programs[entry.label],
                             lambda pairs: [_cell(float(i % 2)) for i in range(len(pairs))])
    np.testing.assert_allclose(archive.msne.row_strategy.sum(), 1.0)
