"""The wall in force: bwrap by default where it works, an honest fallback where it does not."""
import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from coevolve.domains import get_domain
from coevolve.sandbox import Job, Limits, SandboxPool, resolve
from coevolve.sandbox.confine import landlock_abi, seccomp_filter
from coevolve.sandbox.wall import bwrap_command, sandbox_roots

HERE = os.path.join(os.path.dirname(__file__), "..", "coevolve")  # toy_domain.py
PROJECT = os.path.dirname(os.path.dirname(HERE))


def test_on_ci_bubblewrap_is_installed_and_auto_really_is_bwrap():
    if os.environ.get("CI") or shutil.which("bwrap"):
        assert shutil.which("bwrap"), "make test must install bubblewrap (scripts/install.sh)"
        wall = resolve("auto")
        assert wall.mode == "bwrap" and wall.note is None
        with SandboxPool(1) as pool:  # the defaults, exactly as a run gets them
            assert pool.sandbox_mode == "bwrap"
    else:
        assert resolve("auto").mode == "process"


def test_the_seccomp_filter_covers_this_machine():
    assert seccomp_filter(1, "x86_64") and seccomp_filter(1, "aarch64")
    assert seccomp_filter(1, "riscv64") is None
    if os.uname().machine in ("x86_64", "aarch64"):
        assert landlock_abi() >= 0


def test_the_view_holds_no_run_directory_home_or_project_root():
    roots = sandbox_roots()
    assert os.path.realpath(PROJECT) not in roots  # only its packages, not runs/ beside them
    assert any(r.endswith(os.sep + "coevolve") for r in roots)
    assert not any(r in ("/", "/root", "/home", "/tmp", os.path.expanduser("~")) for r in roots)
    command = bwrap_command(roots, ["true"])
    assert "--unshare-all" in command and "--die-with-parent" in command
    assert command[command.index("--uid") + 1] == "65534"


@pytest.mark.skipif(not shutil.which("bwrap"), reason="needs bubblewrap")
def test_inside_bwrap_a_program_sees_its_own_small_world(tmp_path):
    run_dir = tmp_path / "runs" / "r"
    run_dir.mkdir(parents=True)
    source = f"""
import random
os = random._os
def result():
    def listing(path):
        try:
            return sorted(os.listdir(path))
        except OSError as exc:
            return type(exc).__name__
    return {{"uid": os.getuid(), "pids": len([p for p in listing("/proc") if p.isdigit()]),
            "run": listing({str(run_dir)!r}), "home": listing({os.path.expanduser('~')!r}),
            "hostname": os.uname().nodename}}
"""
    sys.path.insert(0, HERE)
    try:
        with SandboxPool(1, Limits(seconds=20, sandbox="bwrap"), preload=("toy_domain",)) as pool:
            seen = pool.run([Job("toy_domain", "call", None, source)])[0]
    finally:
        sys.path.remove(HERE)
    assert seen.error is None, seen.error
    assert seen.value["uid"] == 65534 and seen.value["hostname"] == "sandbox"
    assert seen.value["pids"] <= 4  # bwrap's init, the zygote, this process
    assert seen.value["run"] in ("FileNotFoundError", "PermissionError")
    home = os.path.expanduser("~")
    bound = {r[len(home) + 1:].split(os.sep)[0] for r in sandbox_roots() if r.startswith(home + os.sep)}
    assert seen.value["home"] in ("FileNotFoundError", "PermissionError", sorted(bound))


def seed_files(tmp_path):
    domain = get_domain("minigrid")
    env, policy = tmp_path / "env.py", tmp_path / "policy.py"
    env.write_text(domain.seed_env().source)
    policy.write_text(domain.seed_policy().source)
    return ["--domain", "minigrid", "--env", str(env), "--policy", str(policy), "--episodes", "1"]


def coevolve(args, tmp_path, path=None):
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    if path is not None:
        environment["PATH"] = path
    return subprocess.run([sys.executable, "-m", "coevolve", *args], capture_output=True,
                          text=True, timeout=300, cwd=str(tmp_path), env=environment)


def test_without_bubblewrap_auto_falls_back_with_one_warning_and_bwrap_is_refused(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    fallback = coevolve(["eval", *seed_files(tmp_path), "--json"], tmp_path, path=str(empty))
    assert fallback.returncode == 0, fallback.stderr
    warnings = [line for line in fallback.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "falls back to process mode" in warnings[0]
    assert "bubblewrap is not installed" in warnings[0] and "seccomp" in warnings[0]
    assert json.loads(fallback.stdout)["episodes"] == 1
    refused = coevolve(["eval", *seed_files(tmp_path), "--sandbox", "bwrap"], tmp_path,
                       path=str(empty))
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "coevolve: --sandbox bwrap: bubblewrap is not installed (apt-get install bubblewrap)"]


def test_a_run_records_the_wall_in_force(tmp_path):
    out = tmp_path / "run"
    done = coevolve(["run", "--domain", "minigrid", "--iterations", "0", "--episodes", "1",
                     "--quiet", "--out", str(out)], tmp_path)
    assert done.returncode == 0, done.stderr
    recorded = json.loads((out / "config.json").read_text())["sandbox"]
    assert recorded == ("bwrap" if shutil.which("bwrap") else "process")
    assert f"sandbox {recorded}" in done.stderr + done.stdout


def test_no_worker_outlives_coevolve(tmp_path):
    mark = f"coevolve-exit-{os.getpid()}-{id(tmp_path)}"
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "COEVOLVE_TEST_MARK": mark}
    slow = tmp_path / "slow.py"
    slow.write_text("import time\ndef policy(obs, agent_pos, agent_dir):\n    time.sleep(30)\n    return 2\n")
    args = seed_files(tmp_path)
    args[args.index("--policy") + 1] = str(slow)
    process = subprocess.Popen([sys.executable, "-m", "coevolve", "eval", *args, "--workers", "2"],
                               cwd=str(tmp_path), env=environment,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not _marked(mark):
        time.sleep(0.2)
    assert _marked(mark), "the workers never started"
    process.kill()  # SIGKILL: coevolve gets no chance to clean up
    process.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _marked(mark):
        time.sleep(0.2)
    assert not _marked(mark)


def _marked(mark: str) -> list[str]:
    """Processes whose environment carries ``mark``."""
    found = []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/environ", "rb") as handle:
                if mark.encode() in handle.read():
                    found.append(pid)
        except OSError:
            continue
    return found
