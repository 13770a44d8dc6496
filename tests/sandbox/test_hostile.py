"""Programs written to break out of the sandbox, run behind each wall.

The static validator would refuse most of these programs; the jobs go to the pool directly, so
what is tested here is the wall itself. Every program is contained, its failure is recorded
with a reason, and the pool serves the next pair with the result that pair gets alone.
"""
import os
import socket
import sys
import time
import uuid

import pytest

from coevolve.sandbox import Job, Limits, SandboxPool

HERE = os.path.join(os.path.dirname(__file__), "..", "coevolve")  # toy_domain.py
INNOCENT = "def policy(seed):\n    return seed % 2\n"
OS = "import random\nos = random._os  # reached through a module attribute the lint would refuse\n"
EVERY_FD = OS + """
import struct
def to_every_fd(data, first=3):
    for fd in range(first, 64):
        try:
            os.write(fd, data)
        except OSError:
            pass
"""


@pytest.fixture(scope="module", params=["bwrap", "process"])
def pool(request):
    sys.path.insert(0, HERE)
    with SandboxPool(workers=2, limits=Limits(seconds=5.0, memory_mb=1024, sandbox=request.param),
                     preload=("toy_domain",)) as pool:
        yield pool
    sys.path.remove(HERE)


@pytest.fixture
def marker(tmp_path):
    """A path on the host that a contained program cannot create."""
    return str(tmp_path / f"pwned-{uuid.uuid4().hex[:8]}")


def call(source, seconds=None):
    return Job("toy_domain", "call", None, source, {}, seconds)


def innocent(seed):
    return Job("toy_domain", "run_episode", None, INNOCENT, {"seed": seed})


def run_then_innocent(pool, job):
    """The hostile job's result; asserts the next pairs get exactly what they get alone."""
    results = pool.run([job, innocent(3), innocent(4)])
    assert [r.value for r in results[1:]] == [r.value for r in pool.run([innocent(3), innocent(4)])]
    assert all(r.error is None and r.value.success for r in results[1:])
    return results[0]


# -- code execution in the parent through the reply -----------------------------------------
def test_a_value_with_reduce_is_refused_not_unpickled(pool, marker):
    source = OS + f"""
class Evil:
    def __reduce__(self):
        return (os.system, ("touch {marker}",))
def result():
    return Evil()
"""
    result = run_then_innocent(pool, call(source))
    assert result.value is None and "not plain data" in result.error
    assert not os.path.exists(marker)


def test_reduce_inside_a_registered_result_is_refused(pool, marker):
    source = OS + f"""
import sys
EpisodeResult = sys.modules["envs.api"].EpisodeResult
class Evil:
    def __reduce__(self):
        return (os.system, ("touch {marker}",))
def result():
    return EpisodeResult(True, 1.0, 1, trace=Evil())
"""
    result = run_then_innocent(pool, call(source))
    assert "not plain data" in result.error and not os.path.exists(marker)


def test_a_pickle_written_as_a_frame_is_never_unpickled(pool, marker):
    source = EVERY_FD + f"""
import pickle
class Evil:
    def __reduce__(self):
        return (os.system, ("touch {marker}",))
def result():
    data = pickle.dumps(("ok", Evil()))
    to_every_fd(struct.pack("!Q", len(data)) + data)
    return "sent"
"""
    result = run_then_innocent(pool, call(source))
    assert result.value is None and "malformed reply" in result.error
    assert not os.path.exists(marker)


def test_forged_frames_change_only_the_forger_own_result(pool):
    source = EVERY_FD + """
import json
def result():
    forged = json.dumps(["ok", {"__type__": "EpisodeResult",
                               "fields": {"success": True, "ret": 1.0, "steps": 1}}]).encode()
    for _ in range(5):
        to_every_fd(struct.pack("!Q", len(forged)) + forged, first=0)
    return "sent"
"""
    result = run_then_innocent(pool, call(source))
    assert result.error is None  # it may lie about its own job; no other job hears it


def test_a_registered_type_with_wrong_fields_is_malformed(pool):
    source = EVERY_FD + """
import json
def result():
    forged = json.dumps(["ok", {"__type__": "EpisodeResult", "fields": {"success": "yes"}}]).encode()
    to_every_fd(struct.pack("!Q", len(forged)) + forged)
    return "sent"
"""
    result = run_then_innocent(pool, call(source))
    assert "malformed reply" in result.error and "wrong type" in result.error


# -- secrets of the parent ------------------------------------------------------------------
def test_the_parent_environment_and_memory_are_out_of_reach(pool, monkeypatch):
    secret = f"sk-test-{uuid.uuid4().hex}"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    source = f"""
import numpy as np
def result():
    seen = []
    for pid in ({os.getpid()}, {os.getppid()}, 1, 2, 3, "self"):
        for name in ("environ", "mem", "cmdline", "maps"):
            path = f"/proc/{{pid}}/{{name}}"
            try:
                seen.append(np.fromfile(path, dtype=np.uint8, count=1 << 20).tobytes().decode("latin1"))
            except Exception as exc:
                seen.append(f"{{path}}: {{type(exc).__name__}}")
    return "\\n".join(seen)
"""
    result = run_then_innocent(pool, call(source))
    text = str(result.value) + str(result.error)
    assert secret not in text
    assert f"/proc/{os.getpid()}/environ: " in text  # refused, not read


# -- validator escapes that reach os, sys and socket ----------------------------------------
ESCAPES = {
    "random._os": "import random\nos = random._os\n",
    "__builtins__.__import__": "os = __builtins__.__import__('os')\n",
    "getattr with built strings": "import warnings\nos = getattr(warnings, 'sy' + 's').modules['os']\n",
    "typing.sys": "import typing\nos = typing.sys.modules['os']\n",
    "globals()": "os = globals()['__builtins__'].__import__('os')\n",
}


@pytest.mark.parametrize("escape", sorted(ESCAPES))
def test_escapes_reach_os_but_cannot_use_it(pool, escape, marker):
    source = ESCAPES[escape] + f"""
def result():
    outcome = {{}}
    outcome["system"] = os.system("touch {marker}")
    for name, attempt in [
        ("subprocess", lambda: os.sys.modules.get("subprocess") or __builtins__.__import__("subprocess")),
    ]:
        try:
            attempt().run(["touch", "{marker}"])
            outcome[name] = "ran"
        except Exception as exc:
            outcome[name] = type(exc).__name__
    try:
        __builtins__.__import__("socket").socket()
        outcome["socket"] = "opened"
    except Exception as exc:
        outcome["socket"] = type(exc).__name__
    return outcome
"""
    result = run_then_innocent(pool, call(source))
    assert result.error is None, result.error
    assert result.value["system"] != 0
    assert result.value["subprocess"] == "PermissionError"
    assert result.value["socket"] == "PermissionError"
    assert not os.path.exists(marker)


# -- files: the run directory, $HOME, the host's /tmp ---------------------------------------
def test_the_run_directory_home_and_host_tmp_cannot_be_written(pool, tmp_path):
    run_dir = tmp_path / "runs" / "r"
    run_dir.mkdir(parents=True)
    (run_dir / "payoff.csv").write_text("1.0\n")
    home_target = os.path.join(os.path.expanduser("~"), f".coevolve-pwned-{uuid.uuid4().hex[:8]}")
    targets = [str(run_dir / "payoff.csv"), str(run_dir / "cache.jsonl"), home_target,
               f"/tmp/coevolve-pwned-{uuid.uuid4().hex[:8]}"]
    source = OS + f"""
def result():
    outcome = {{}}
    for path in {targets!r} + [os.path.expanduser("~/planted")]:
        try:
            with __builtins__.open(path, "w") as handle:
                handle.write("0.0\\n")
            outcome[path] = "written"
        except OSError as exc:
            outcome[path] = type(exc).__name__
    return outcome
"""
    try:
        result = run_then_innocent(pool, call(source))
        assert result.error is None, result.error
        for path in targets:
            assert result.value[path] != "written", path
        assert (run_dir / "payoff.csv").read_text() == "1.0\n"
        assert not os.path.exists(targets[1]) and not os.path.exists(targets[2])
        assert not os.path.exists(targets[3])
    finally:
        for path in targets[1:]:
            if os.path.exists(path):
                os.unlink(path)


def test_one_program_scratch_files_are_gone_for_the_next(pool):
    write = OS + ("def result():\n    __builtins__.open('left-behind', 'w').write('x')\n"
                  "    return os.path.join(os.getcwd(), 'left-behind')\n")
    first = pool.run([call(write)])[0]
    assert first.error is None
    look = f"def result():\n    try:\n        return __builtins__.open({first.value!r}).read()\n" \
           f"    except OSError as exc:\n        return type(exc).__name__\n"
    assert pool.run([call(look)])[0].value in ("FileNotFoundError", "PermissionError")


# -- the network -----------------------------------------------------------------------------
def test_loopback_sockets_are_refused(pool):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(1.0)
        port = server.getsockname()[1]
        source = f"""
import sys
def result():
    socket = sys.modules.get("socket") or __builtins__.__import__("socket")
    try:
        with socket.create_connection(("127.0.0.1", {port}), timeout=2) as c:
            c.sendall(b"OPENAI_API_KEY")
        return "connected"
    except OSError as exc:
        return type(exc).__name__
"""
        result = run_then_innocent(pool, call(source))
        assert result.value == "PermissionError"
        with pytest.raises(socket.timeout):
            server.accept()


# -- processes and memory --------------------------------------------------------------------
def test_fork_setsid_and_spawn_are_refused_and_nothing_outlives_the_job(pool):
    tag = f"coevolve-orphan-{uuid.uuid4().hex[:8]}"
    source = OS + f"""
def result():
    outcome = {{}}
    try:
        pid = os.fork()
        if pid == 0:
            os.setsid()
            os.execv("/bin/sleep", ["sleep", "60", "{tag}"])
        outcome["fork"] = "forked"
    except OSError as exc:
        outcome["fork"] = type(exc).__name__
    try:
        os.posix_spawn("/bin/sleep", ["sleep", "60", "{tag}"], {{}})
        outcome["spawn"] = "spawned"
    except OSError as exc:
        outcome["spawn"] = type(exc).__name__
    import _thread, time
    _thread.start_new_thread(time.sleep, (60,))
    return outcome
"""
    result = run_then_innocent(pool, call(source))
    assert result.value == {"fork": "PermissionError", "spawn": "PermissionError"}
    time.sleep(0.2)
    assert not [pid for pid in os.listdir("/proc") if pid.isdigit() and _cmdline_has(pid, tag)]


def _cmdline_has(pid: str, tag: str) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return tag.encode() in handle.read()
    except OSError:
        return False


def test_fork_multiplied_memory_is_refused_and_one_process_is_capped(pool):
    source = OS + """
def result():
    forks = 0
    for _ in range(4):
        try:
            if os.fork() == 0:
                bytes(700 * 1024 * 1024)
                os._exit(0)
            forks += 1
        except OSError:
            pass
    try:
        hoard = [bytes(400 * 1024 * 1024) for _ in range(4)]  # calloc: address space only
        return {"forks": forks, "hoard": len(hoard)}
    except MemoryError:
        return {"forks": forks, "hoard": "MemoryError"}
"""
    result = run_then_innocent(pool, call(source, seconds=30))
    assert result.value == {"forks": 0, "hoard": "MemoryError"}


def test_signals_to_other_processes_are_refused(pool):
    source = OS + f"""
import signal
def result():
    outcome = []
    for pid in (os.getppid(), {os.getpid()}, 1, 0, -1):
        try:
            os.kill(pid, signal.SIGKILL)
            outcome.append("sent")
        except OSError as exc:
            outcome.append(type(exc).__name__)
    return outcome
"""
    result = run_then_innocent(pool, call(source))
    assert set(result.value) <= {"PermissionError", "ProcessLookupError"}


# -- the reply channel -----------------------------------------------------------------------
def test_closing_every_descriptor_is_a_recorded_failure(pool):
    source = OS + "def result():\n    os.closerange(0, 4096)\n    return 'closed'\n"
    result = run_then_innocent(pool, call(source))
    assert "before replying" in result.error


def test_a_partial_frame_then_silence_times_out(pool):
    source = EVERY_FD + """
import time
def result():
    to_every_fd(struct.pack("!Q", 100) + b"x" * 10)
    time.sleep(60)
"""
    result = run_then_innocent(pool, call(source, seconds=1.0))
    assert "timeout after 1.0 s" in result.error


def test_a_junk_frame_is_malformed(pool):
    source = EVERY_FD + """
def result():
    to_every_fd(struct.pack("!Q", 9) + b"\\x80\\x04junk!")
    return "sent"
"""
    result = run_then_innocent(pool, call(source))
    assert "malformed reply" in result.error


def test_an_instance_of_a_program_class_is_refused(pool):
    source = "class Point:\n    x = 1\ndef result():\n    return {'p': Point()}\n"
    result = run_then_innocent(pool, call(source))
    assert "Point is not plain data" in result.error


@pytest.mark.parametrize("how", ["returned", "announced"])
def test_oversized_replies_are_refused_quickly(pool, how):
    if how == "returned":
        source = "def result():\n    return 'x' * (20 * 1024 * 1024)\n"
    else:
        source = EVERY_FD + """
import time
def result():
    to_every_fd(struct.pack("!Q", 1 << 40))
    time.sleep(30)
"""
    result = run_then_innocent(pool, call(source))
    assert "byte" in result.error and "limit" in result.error
    assert result.seconds < 10


# -- one program cannot change another pair's payoff ----------------------------------------
PATCHER = """
import numpy as np
import minigrid.minigrid_env as me
import sys
np.argwhere = lambda *a, **k: np.zeros((0, 2), dtype=int)
np.array = lambda *a, **k: None
me.MiniGridEnv.step = lambda self, action: (None, 0.0, False, False, {})
runner = sys.modules.get("envs.minigrid.runner")
if runner is not None:
    runner.run_episode = lambda *a, **k: None
def policy(obs, agent_pos, agent_dir):
    return 2
"""


def test_a_monkeypatching_policy_changes_no_later_pair(monkeypatch):
    from coevolve.domains import get_domain
    from coevolve.evaluate import Evaluator
    from coevolve.program import Origin, Program

    domain = get_domain("minigrid")
    env, seed_policy = domain.seed_env(), domain.seed_policy()
    patcher = Program("policy", "minigrid", PATCHER, origin=Origin("test"))

    def cells(pairs, workers):
        with SandboxPool(workers, Limits(seconds=30), preload=(domain.env_package,)) as pool:
            found = Evaluator(domain.env_package, pool, episodes=8, seed=0).evaluate(pairs)
        return [{k: v for k, v in vars(c).items() if k != "policy_seconds_per_step"} for c in found]

    alone = cells([(seed_policy, env)], 1)[0]
    after = cells([(patcher, env), (seed_policy, env), (patcher, env)], 1)[1]
    assert alone == after
    assert alone["success_rate"] == 1.0
