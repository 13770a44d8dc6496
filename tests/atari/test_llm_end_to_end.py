"""``coevolve atari --designer llm`` over real HTTP, then ``--replay`` of its transcript offline.

Deterministic episodes (``--sticky 0``): one short episode then measures the change itself.

The scripted model answers the first request of the run with a syntax error and the repair
request with a better Pong ``select_action`` (it aims the paddle's centre, not its top edge,
at the predicted ball, with a dead band).
"""
import json
import os
import subprocess
import sys

from coevolve.llm.transcript import read_transcript

BROKEN = "```python\ndef select_action(predicted_y, obs)\n    return 0\n```"
BETTER = '''I aim the paddle's centre at the ball.
```python
def select_action(predicted_y, obs):
    if predicted_y is None or "Player" not in obs:
        return 0
    centre = obs["Player"]["y"] + 7
    if predicted_y + 2 < centre - 3:
        return 2
    if predicted_y + 2 > centre + 3:
        return 3
    return 0
```'''


def script(body):
    rounds = (len(body["messages"]) - 2) // 2
    return BETTER if rounds else BROKEN


def atari(out, env, *extra):
    return subprocess.run(
        [sys.executable, "-m", "coevolve", "atari", "--game", "Pong", "--designer", "llm",
         "--iterations", "1", "--episodes", "1", "--candidates", "1", "--max-steps", "1000",
         "--screen-steps", "1000", "--horizon", "40", "--sticky", "0", "--test-episodes", "1",
         "--out", str(out), *extra],
        env=env, capture_output=True, text=True, timeout=240)


def test_llm_run_repairs_improves_pong_and_replays_offline(chat_server, tmp_path):
    chat_server.script = script
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    recorded = tmp_path / "recorded"
    done = atari(recorded, {**clean, "OPENAI_BASE_URL": chat_server.url,
                            "OPENAI_API_KEY": "secret-key"}, "--model", "test-model")
    assert done.returncode == 0, done.stderr
    summary = json.loads((recorded / "summary.json").read_text())
    starter, improved = (row["best_mean"] for row in summary["curve"])
    assert improved > starter
    records = [json.loads(line)
               for line in (recorded / "iterations.jsonl").read_text().splitlines()]
    [note] = records[1]["notes"]
    assert note.startswith("repaired after 1 round (first problem: syntax error at line 1")
    assert note.endswith("; llm rewrote select_action")
    assert records[1]["llm"]["requests"] == 2 == len(chat_server.requests)
    prompt = chat_server.requests[0]["messages"][1]["content"]
    assert "Pong rollout (trace 1)" in prompt and "select_action(" in prompt
    assert "secret-key" not in (recorded / "llm.jsonl").read_text()
    assert "secret-key" not in (recorded / "config.json").read_text()

    replayed = tmp_path / "replayed"
    done = atari(replayed, clean, "--replay", str(recorded / "llm.jsonl"))
    assert done.returncode == 0, done.stderr
    assert (replayed / "best_policy.py").read_text() == (recorded / "best_policy.py").read_text()
    requests = [e for e in read_transcript(str(replayed / "llm.jsonl")) if e["type"] == "request"]
    assert [e["replay_match"] for e in requests] == ["key+slot", "key+slot"]
