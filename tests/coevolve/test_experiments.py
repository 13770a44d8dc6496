"""The run-directory experiments on toy runs: what they read back agrees with what the run did."""
import importlib.util
import os

from tests.coevolve.test_loop import toy_records

EXPERIMENTS = os.path.join(os.path.dirname(__file__), "..", "..", "experiments")


def experiment(name: str):
    """The module experiments/<name>.py."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXPERIMENTS, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reference_success_replays_a_regret_runs_choices(toy_domain, tmp_path):
    root = str(tmp_path / "regret")
    records = toy_records(root, 3, candidates=3, episodes=6, env_selection="regret")
    rows = experiment("reference_success").iteration_rows(root)
    assert [r["iteration"] for r in rows] == [1, 2, 3]
    assert all(r["same"] for r in rows)  # the same candidates, episodes and seeds: the same pick
    for record, row in zip(records[1:], rows):
        chosen = next((c for c in record["candidates"] if c["status"] == "chosen"
                       and c["kind"] == "env"), None)
        assert row["chosen"] == (chosen["reference_success"] if chosen else None)


def test_curriculum_curves_read_every_iteration(toy_domain, tmp_path):
    root = str(tmp_path / "run")
    records = toy_records(root, 3, candidates=2)
    module = experiment("curriculum_curves")
    run = module.curves(root)
    assert run["label"] == "run (toy s0 minimax)"  # runs of one seed and rule differ by directory
    assert run["value"] == ([0, 1, 2, 3], [r["value"] for r in records])
    assert run["difficulty"][1] == [float(r["env"]["measures"]["level"]) for r in records
                                    if r["env"]]
    module.figure([run], str(tmp_path / "curves.png"))
    assert (tmp_path / "curves.png").read_bytes()[:4] == b"\x89PNG"


def test_policy_vs_reference_replays_each_iterations_policy_on_its_level(toy_domain, tmp_path):
    root = str(tmp_path / "run")
    records = toy_records(root, 3, candidates=2, episodes=6)
    rows = experiment("policy_vs_reference").iteration_rows(root)
    with_both = [r for r in records[1:] if r["env"] and r["policy"]]
    assert [r["iteration"] for r in rows] == [r["iteration"] for r in with_both]
    for record, row in zip(with_both, rows):
        chosen = next(c for c in record["candidates"] if c["kind"] == "policy"
                      and c["status"] == "chosen")
        assert row["policy"].success_rate == chosen["success"]  # the run's seeds: the run's cell
        assert row["ratio"] == row["policy"].mean_steps / row["reference"].mean_steps
