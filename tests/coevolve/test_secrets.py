"""The second line for secrets: their values never reach a run file or an LLM message."""
import json

from coevolve.evaluate import CellResult, ResultCache
from coevolve.llm.transcript import Transcript
from coevolve.secrets import REDACTED, redact, redact_messages, secret_values
from coevolve.store import write_atomic

SECRET = "sk-proj-0123456789abcdef"


def test_secret_named_variables_are_redacted_and_others_kept(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("MY_SERVICE_TOKEN", "tok-9876543210")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1")  # an address, not a secret
    monkeypatch.setenv("HOME_DIR", "/home/someone")
    text = f"key {SECRET} and tok-9876543210 at http://127.0.0.1:8000/v1 in /home/someone"
    assert redact(text) == f"key {REDACTED} and {REDACTED} at http://127.0.0.1:8000/v1 in /home/someone"
    assert SECRET in secret_values() and "/home/someone" not in secret_values()


def test_run_files_and_llm_messages_never_hold_a_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    leak = f"ValueError: {SECRET}"
    write_atomic(str(tmp_path / "iterations.jsonl"), json.dumps({"first_error": leak}))
    ResultCache(str(tmp_path / "cache.jsonl")).put(
        ("p", "e", 1, 0), CellResult(0.0, 0.0, 1.0, 1, 1, leak, 0.0))
    Transcript(str(tmp_path / "llm.jsonl")).append({"messages": [{"content": leak}]})
    for path in tmp_path.iterdir():
        assert SECRET not in path.read_text(), path.name
    assert ResultCache(str(tmp_path / "cache.jsonl")).get(("p", "e", 1, 0)).first_error == \
        f"ValueError: {REDACTED}"
    sent = redact_messages([{"role": "user", "content": f"repair this: {leak}"}, {"role": "x"}])
    assert sent == [{"role": "user", "content": f"repair this: ValueError: {REDACTED}"}, {"role": "x"}]
