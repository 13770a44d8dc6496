"""CBC really is what solves the Nash LP by default, and no solver is ever replaced silently.

These fail if a PuLP upgrade drops the bundled CBC binary (PuLP 4 plans to), changes the
default solver, or if the binary stops running on this machine.
"""
import os
import subprocess

import numpy as np
import pulp
import pytest

from solvers.nash import SolverUnavailableError, build_row_lp, make_solver, nash

GAME = np.array([[0.9, 0.2, 0.4], [0.1, 0.8, 0.5], [0.3, 0.6, 0.7]])


def test_default_nash_is_solved_by_pulps_cbc():
    assert nash(GAME).solver == "PULP_CBC_CMD"
    assert isinstance(make_solver("cbc"), pulp.PULP_CBC_CMD)


def test_oracle_solves_its_restricted_games_with_cbc(monkeypatch):
    calls = []
    real_solve = pulp.PULP_CBC_CMD.actualSolve
    monkeypatch.setattr(pulp.PULP_CBC_CMD, "actualSolve",
                        lambda self, lp, **kw: calls.append(lp.name) or real_solve(self, lp, **kw))
    result = nash(np.random.default_rng(0).random((80, 90)), method="oracle")
    assert result.method == "oracle" and result.solver == "PULP_CBC_CMD"
    assert len(calls) == result.rounds >= 1


def test_pulps_own_default_is_cbc():
    assert isinstance(pulp.LpSolverDefault, pulp.PULP_CBC_CMD)


def test_bundled_cbc_binary_exists_and_answers():
    path = make_solver("cbc").path
    assert os.path.isfile(path) and os.access(path, os.X_OK), path
    package = os.path.dirname(os.path.realpath(pulp.__file__))
    assert os.path.realpath(path).startswith(os.path.join(package, "solverdir", "cbc")), path
    answer = subprocess.run([path, "-quit"], capture_output=True, text=True, timeout=30,
                            stdin=subprocess.DEVNULL)
    assert answer.returncode == 0
    assert "CBC MILP Solver" in answer.stdout and "Version:" in answer.stdout


def test_cbc_writes_the_log_of_the_nash_lp(tmp_path):
    log = tmp_path / "cbc.log"
    solver = make_solver("cbc")
    solver.optionsDict["logPath"] = str(log)
    lp = build_row_lp(GAME)
    assert lp.problem.solve(solver) == pulp.LpStatusOptimal
    text = log.read_text()
    assert "Coin" in text and "Optimal objective" in text
    assert "primalTolerance" in text  # the options nash() passes reached the binary


def test_highs_is_reported_as_highs():
    assert nash(GAME, "highs").solver == "HiGHS"


@pytest.mark.parametrize("method", ["full", "oracle", "auto"])
def test_missing_cbc_binary_raises_instead_of_falling_back(monkeypatch, method):
    monkeypatch.setattr(pulp.PULP_CBC_CMD, "pulp_cbc_path", "/nonexistent/cbc")
    with pytest.raises(SolverUnavailableError, match="CBC is not available.*reinstall"):
        nash(GAME, method=method)


def test_pulp_without_bundled_cbc_raises_instead_of_falling_back(monkeypatch):
    monkeypatch.delattr(pulp, "PULP_CBC_CMD")
    with pytest.raises(SolverUnavailableError, match="no longer bundles CBC"):
        nash(GAME)


def test_missing_highs_raises_instead_of_falling_back(monkeypatch):
    monkeypatch.setattr(pulp.HiGHS, "available", lambda self: False)
    with pytest.raises(SolverUnavailableError, match="pip install highspy"):
        nash(GAME, "highs")
