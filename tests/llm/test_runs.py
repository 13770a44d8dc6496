"""Runs of the toy domain against the local server: run-time acceptance of policies, excerpt
answers, an interrupted iteration resumed without re-asking, its replay, mixed designers."""
import itertools
import threading

import numpy as np
import pytest

from coevolve.config import RunConfig
from coevolve.designers.base import PolicyRequest
from coevolve.llm import LLMUnavailable
from coevolve.llm.transcript import read_transcript
from coevolve.loop import run
from coevolve.program import Program
from coevolve.progress import Progress
from coevolve.session import Session
from coevolve.store import RunStore
from tests.llm.test_servers import designer_for

PARENT = "BONUS = 2\n\ndef helper():\n    return 3\n\ndef policy():\n    return helper() + BONUS\n"


def config(server, **fields):
    return RunConfig(**{"domain": "toy", "iterations": 2, "episodes": 2, "candidates": 2,
                        "workers": 1, "designer": "llm", "model": "test-model",
                        "base_url": server.url, "search_steps": 1, **fields})


def toy_script(policy_answer=lambda n, body: f"def policy():\n    return {n % 3 + 2}\n"):
    """Environment answers LEVEL = 2, 3, ...; policy answers ``policy_answer(n, body)``."""
    counters, lock = {"env": itertools.count(), "policy": itertools.count()}, threading.Lock()

    def script(body):
        kind = "env" if "environment designer" in body["messages"][1]["content"] else "policy"
        with lock:
            n = next(counters[kind])
        if kind == "env":
            return f"```python\nLEVEL = {n % 6 + 2}\nN = {n}\n```"
        return f"```python\n{policy_answer(n, body)}```"
    return script


def play(cfg, root, iterations=None, changes=None):
    state = (Session.create(cfg, root, progress=Progress(quiet=True)) if changes is None
             else Session.reopen(root, iterations, changes, progress=Progress(quiet=True)))
    try:
        run(state, state.config.iterations)
    finally:
        state.close()
    return RunStore(root).iterations()


def test_a_policy_that_raises_goes_back_quoting_the_exception(chat_server, toy_domain, tmp_path):
    def policy(n, body):
        if len(body["messages"]) == 2:
            return "def policy():\n    raise ValueError('no plan for this level')\n"
        return f"def policy():\n    return {n + 4}\n"
    chat_server.script = toy_script(policy)
    records = play(config(chat_server, iterations=1, policy_designer="llm"), str(tmp_path / "r"))
    policies = [c for c in records[1]["candidates"] if c["kind"] == "policy"]
    assert all(c["status"] != "rejected" for c in policies)
    assert all("failed at run time" in c["note"] and "ValueError: no plan" in c["note"]
               for c in policies)


@pytest.mark.parametrize("answer, kept", [
    ("```python\ndef policy():\n    return helper() + BONUS + 1\n```", True),  # only the function
    ("```python\ndef helper():\n    ...  # unchanged\n\ndef policy():\n    return helper() * 2\n```",
     True),  # elided helper
    ("```python\nimport math\n```\nthen\n```python\ndef helper():\n    return 4\n```\nand\n"
     "```python\ndef policy():\n    return helper() + math.floor(BONUS)\n```", True),  # split
    (f"```python\n{PARENT.replace('return 3', 'return 5')}```\nThe key change:\n"
     "```python\ndef helper():\n    return 5\n```", False),  # full program, then an excerpt
])
def test_excerpts_are_reassembled_with_the_parent(chat_server, toy_domain, tmp_path, answer, kept):
    chat_server.script = lambda body: answer
    designer = designer_for(chat_server, toy_domain, tmp_path)
    parent = Program("policy", "toy", PARENT)
    [program] = designer.propose_policies(PolicyRequest(parent, toy_domain.seed_env(), 1, 1),
                                          np.random.default_rng(0))
    namespace = {}
    exec(program.source, namespace)  # test programs only
    assert namespace["policy"]() != 5 or not kept
    assert ("reassembled" in program.origin.note) == kept or "reassembled" in program.origin.note
    assert len(chat_server.requests) == 1


@pytest.mark.parametrize("answer, reason", [
    ("```python\ndef policy():\n    x = 1\n    ...\n    return x\n```", "leaves part of its body"),
    ("```python\ndef extra():\n    ...\n\ndef policy():\n    return extra()\n```",
     "no `extra` to keep"),
    ("```python\ndef policy():\n    return 1\n```\n```python\ndef helper():\n    return 4\n\n"
     "print(helper())\n```", "statement outside any definition"),
])
def test_excerpts_that_cannot_be_placed_go_back_with_the_reason(chat_server, toy_domain,
                                                                tmp_path, answer, reason):
    chat_server.script = lambda body: answer
    designer = designer_for(chat_server, toy_domain, tmp_path, repair_rounds=0)
    parent = Program("policy", "toy", PARENT)
    [program] = designer.propose_policies(PolicyRequest(parent, toy_domain.seed_env(), 1, 1),
                                          np.random.default_rng(0))
    assert program.origin.note.startswith("rejected: ") and reason in program.origin.note


def test_an_interrupted_iteration_resumes_from_llm_jsonl_and_replays_to_its_archive(
        chat_server, toy_domain, tmp_path):
    script = toy_script()
    broken = threading.Event()

    def interrupting(body):
        first = body["messages"][1]["content"]
        if broken.is_set() and "(iteration 2)" in first and "policy designer" in first:
            return {"status": 503, "content": "server going down"}
        return script(body)
    chat_server.script = interrupting
    root = str(tmp_path / "run")
    cfg = config(chat_server)
    state = Session.create(cfg, root, progress=Progress(quiet=True))
    state.designer.client.retry = type(state.designer.client.retry)(attempts=1)
    broken.set()
    with pytest.raises(LLMUnavailable, match="server going down"):
        try:
            run(state, cfg.iterations)
        finally:
            state.close()
    assert [r["iteration"] for r in RunStore(root).iterations()] == [0, 1]
    recorded = {(e["slot"], e["key"]) for e in read_transcript(root + "/llm.jsonl")
                if e["type"] == "request" and not e["error"]}
    assert any(slot.startswith("iter0002/env") for slot, _ in recorded)
    before = len(read_transcript(root + "/llm.jsonl"))

    broken.clear()
    chat_server.requests.clear()
    records = play(cfg, root, changes={})
    assert [r["iteration"] for r in records] == [0, 1, 2]
    resent = [e for e in read_transcript(root + "/llm.jsonl")[before:]
              if e["type"] == "request" and (e["slot"], e["key"]) in recorded]
    assert resent == [] and chat_server.requests  # only what was missing: iteration 2's policies
    assert all("policy designer" in b["messages"][1]["content"] and
               "(iteration 2)" in b["messages"][1]["content"] for b in chat_server.requests)

    replayed = str(tmp_path / "replayed")
    chat_server.httpd.shutdown()
    again = play(config(chat_server, replay=root + "/llm.jsonl"), replayed)
    assert [(r["env"]["sha256"], r["policy"]["sha256"]) for r in again] == \
        [(r["env"]["sha256"], r["policy"]["sha256"]) for r in records]


def test_a_mixed_run_then_a_designer_switch_on_resume(chat_server, toy_domain, tmp_path):
    chat_server.script = toy_script()
    root = str(tmp_path / "run")
    records = play(config(chat_server, iterations=1, designer="offline", env_designer="llm"), root)
    designers = {(c["kind"], c["note"].split(":")[0].startswith("hill-climb"))
                 for c in records[1]["candidates"]}
    assert designers == {("env", False), ("policy", True)}
    assert records[1]["env"]["origin"]["designer"] == "llm"
    assert records[1]["policy"]["origin"]["designer"] == "offline"
    assert all("environment designer" in b["messages"][1]["content"] for b in chat_server.requests)

    records = play(None, root, 2, changes={"policy_designer": "llm", "env_designer": "offline"})
    assert records[2]["env"]["origin"]["designer"] == "offline"
    assert records[2]["policy"]["origin"]["designer"] == "llm"
    assert RunStore(root).config_changes() == [
        {"from_iteration": 2, "changes": {"env_designer": "offline", "policy_designer": "llm"}}]


TOY_CLI = """import sys
sys.path.insert(0, {toyworld!r})
from coevolve.domains import DOMAINS, Domain
DOMAINS["toy"] = Domain("toy", "toy_envs", "toy_policies")
from coevolve.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_run_killed_mid_iteration_resumes_without_re_asking(chat_server, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    from tests.llm.conftest import TOYWORLD
    script, reached = toy_script(), threading.Event()

    def hanging(body):
        first = body["messages"][1]["content"]
        if "(iteration 2)" in first and "policy designer" in first and not reached.is_set():
            reached.set()
            return {"content": "never sent", "delay": 10}
        return script(body)
    chat_server.script = hanging
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.update(OPENAI_BASE_URL=chat_server.url, OPENAI_API_KEY="test")
    root = str(tmp_path / "run")
    code = TOY_CLI.format(toyworld=os.path.abspath(TOYWORLD))
    flags = ["--domain", "toy", "--designer", "llm", "--model", "test-model", "--iterations", "2",
             "--episodes", "2", "--candidates", "2", "--workers", "1", "--quiet"]
    child = subprocess.Popen([sys.executable, "-c", code, "run", *flags, "--out", root], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert reached.wait(120)
    os.kill(child.pid, signal.SIGKILL)  # mid-iteration 2: its levels are answered, in llm.jsonl
    child.wait()
    before = read_transcript(root + "/llm.jsonl")
    answered = {(e["slot"], e["key"]) for e in before if e["type"] == "request"}
    assert any(slot.startswith("iter0002/env") for slot, _ in answered)
    chat_server.requests.clear()
    result = subprocess.run([sys.executable, "-c", code, "resume", root, "--quiet"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    after = read_transcript(root + "/llm.jsonl")[len(before):]
    assert not [e for e in after if e["type"] == "request" and (e["slot"], e["key"]) in answered]
    assert all("policy designer" in b["messages"][1]["content"] for b in chat_server.requests)
    records = RunStore(root).iterations()
    replayed = str(tmp_path / "replayed")
    result = subprocess.run([sys.executable, "-c", code, "run", *flags, "--out", replayed,
                             "--replay", root + "/llm.jsonl"], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert [(r["env"]["sha256"], r["policy"]["sha256"]) for r in RunStore(replayed).iterations()] \
        == [(r["env"]["sha256"], r["policy"]["sha256"]) for r in records]
