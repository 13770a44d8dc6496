"""``coevolve run --designer llm`` over real HTTP, then ``--replay`` of its transcript offline.

The scripted server answers environment requests with valid MiniGrid levels (the seed level at
other sizes), and policy requests, per iteration in order of arrival, with: a syntax error then
a fix (repaired), an answer that never holds a program (rejected after 2 repairs), and valid
policies from the offline mutation operators.
"""
import ast
import hashlib
import itertools
import json
import os
import subprocess
import sys
import threading

import numpy as np

from coevolve.llm.transcript import read_transcript
from coevolve.store import RunStore
from envs.minigrid import SEED_ENV
from policies.minigrid import SEED_POLICY
from policies.minigrid.mutations import mutate_policy


def level_variant(size: int, separation: float) -> str:
    """The seed level with other SIZE and SEPARATION constants, edited through ``ast``."""
    tree = ast.parse(SEED_ENV)
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name in ("SIZE", "SEPARATION"):
                node.value = ast.Constant(size if name == "SIZE" else separation)
    return ast.unparse(tree) + "\n"


def policy_variants():
    """Distinct valid policies: mutants of the seed policy."""
    seen = {SEED_POLICY}
    for seed in itertools.count():
        source, _ = mutate_policy(SEED_POLICY, np.random.default_rng(seed))
        if source not in seen:
            seen.add(source)
            yield source


class MiniGridScript:
    """The scripted designer model (see the module docstring)."""

    BROKEN_ROUNDS = ["```python\ndef policy(obs, agent_pos, agent_dir)\n    return 2\n```",
                     "Sorry, I cannot write this policy.", ""]

    def __init__(self):
        self.lock = threading.Lock()
        self.levels = (level_variant(size, sep) for size in itertools.count(7)
                       for sep in (0.3, 0.9))
        self.policies = policy_variants()
        self.roles = {}  # first user message -> role

    def __call__(self, body):
        messages = body["messages"]
        first = messages[1]["content"]
        rounds = (len(messages) - 2) // 2
        with self.lock:
            if "environment designer" in first:
                return f"Here is a harder level.\n```python\n{next(self.levels)}```"
            iteration = first.split("(iteration ")[1].split(")")[0]
            seen = [r for (i, _), r in self.roles.items() if i == iteration]
            role = self.roles.setdefault((iteration, first), ("fixed", "broken", "good", "good")
                                         [min(len(seen), 3)])
            if role == "broken":
                return self.BROKEN_ROUNDS[rounds]
            if role == "fixed" and rounds == 0:
                return self.BROKEN_ROUNDS[0]
            return f"```python\n{next(self.policies)}```\nThis policy explores more."


def coevolve(args, env):
    return subprocess.run([sys.executable, "-m", "coevolve", "run", "--domain", "minigrid",
                           "--designer", "llm", "--model", "test-model", "--iterations", "2",
                           "--episodes", "2", "--candidates", "3", "--workers", "2", *args],
                          env=env, capture_output=True, text=True, timeout=300)


def archive(root):
    """sha256 of every program file of a run, and the chosen programs per iteration."""
    folder = os.path.join(root, "programs")
    files = {}
    for path, _, names in os.walk(folder):
        for name in names:
            with open(os.path.join(path, name), "rb") as handle:
                files[os.path.relpath(os.path.join(path, name), folder)] = \
                    hashlib.sha256(handle.read()).hexdigest()
    chosen = [((r["env"] or {}).get("sha256"), (r["policy"] or {}).get("sha256"))
              for r in RunStore(root).iterations()]
    return files, chosen


def test_llm_run_repairs_rejects_and_replays_to_the_same_archive(chat_server, tmp_path):
    chat_server.script = MiniGridScript()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    recorded = str(tmp_path / "recorded")
    result = coevolve(["--out", recorded],
                      {**clean, "OPENAI_BASE_URL": chat_server.url, "OPENAI_API_KEY": "test"})
    assert result.returncode == 0, result.stderr
    assert "| llm " in result.stderr and " tok" in result.stderr

    records = RunStore(recorded).iterations()
    assert [r["iteration"] for r in records] == [0, 1, 2]
    candidates = [c for r in records for c in r["candidates"]]
    repaired = [c for c in candidates if c["note"].startswith("repaired after 1 round")]
    rejected = [c for c in candidates
                if c["note"] == "rejected after 2 failed repairs: the answer was empty"]
    assert len(repaired) == 2 and all(c["status"] != "rejected" for c in repaired)
    assert "syntax error at line 1" in repaired[0]["note"]
    assert len(rejected) == 2 and all(c["status"] == "rejected" and c["reason"] for c in rejected)
    assert all(r["env"] and r["policy"] for r in records)
    assert records[-1]["llm"]["requests"] == len(chat_server.requests) == 2 * (3 + 3 + 1 + 2)
    with open(os.path.join(recorded, "config.json")) as handle:
        assert "test" not in json.load(handle).values()  # the key is in no file
    entries = read_transcript(os.path.join(recorded, "llm.jsonl"))
    assert all("OPENAI_API_KEY" not in json.dumps(e) for e in entries)

    replayed = str(tmp_path / "replayed")
    chat_server.httpd.shutdown()  # no network from here on
    result = coevolve(["--out", replayed, "--replay", os.path.join(recorded, "llm.jsonl")], clean)
    assert result.returncode == 0, result.stderr
    assert archive(replayed) == archive(recorded)
    matches = {e["replay_match"] for e in read_transcript(os.path.join(replayed, "llm.jsonl"))
               if e["type"] == "request"}
    assert matches == {"key+slot"}
    assert RunStore(replayed).iterations()[-1]["llm"] == records[-1]["llm"]
