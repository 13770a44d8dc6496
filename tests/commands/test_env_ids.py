"""Registered gymnasium environments wherever a level is asked for: eval and heldout --env-id."""
import json
import os

import pytest

from coevolve.cli import main
from envs.minigrid import HELDOUT_IDS
from policies.minigrid.catalogue import assemble_policy

POLICY = assemble_policy(["open_door_ahead", "get_key", "plan_to_goal", "open_nearest_door"])


@pytest.fixture(scope="module")
def policy_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("programs") / "agent.py"
    path.write_text(POLICY)
    return str(path)


def test_eval_plays_a_registered_minigrid_id(policy_file, capsys):
    assert main(["eval", "--domain", "minigrid", "--env-id", "MiniGrid-DoorKey-5x5-v0",
                 "--policy", policy_file, "--episodes", "4", "--workers", "1", "--json"]) == 0
    cell = json.loads(capsys.readouterr().out)
    assert cell["episodes"] == 4 and cell["success_rate"] == 1.0 and cell["errors"] == 0


@pytest.mark.parametrize("domain, env_id, message", [
    ("minigrid", "MiniGrid-DorKey-5x5-v0",
     "no gymnasium environment has that id (did you mean MiniGrid-DoorKey-5x5-v0"),
    ("pygame", "CoevolveNav-v0", "the pygame domain plays environment programs only"),
])
def test_an_id_the_domain_cannot_play_is_one_line(policy_file, capsys, domain, env_id, message):
    assert main(["eval", "--domain", domain, "--env-id", env_id, "--policy", policy_file]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_heldout_adds_registered_ids_to_the_suite(policy_file, tmp_path, capsys):
    run = str(tmp_path / "run")
    assert main(["run", "--domain", "minigrid", "--iterations", "0", "--episodes", "2",
                 "--workers", "1", "--seed-policy", policy_file, "--out", run, "--quiet"]) == 0
    assert main(["heldout", run, "--episodes", "3", "--env-id", "MiniGrid-Empty-5x5-v0",
                 "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["results"]
    extra = [r for r in rows if r["env"] == "MiniGrid-Empty-5x5-v0"]
    assert [r["strategy"] for r in extra] == ["greedy", "uniform", "msne"]
    assert all(r["success_rate"] == 1.0 and r["episodes"] == 3 for r in extra)
    assert len(rows) == 3 * (len(HELDOUT_IDS) + 1)  # the domain's families, and the one asked for
    assert main(["heldout", run, "--env-id", "NoSuchEnv-v0"]) == 2
    assert os.path.exists(os.path.join(run, "heldout.json"))
