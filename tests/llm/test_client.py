"""The chat client against a local OpenAI-protocol server: retries, timeouts, budget, transcript."""
import json
import threading
import time

import pytest

from coevolve.errors import UserInputError
from coevolve.llm import (BudgetExhausted, LLMRefused, LLMUnavailable, RetryPolicy, open_client,
                          resolve_settings)
from coevolve.llm.transcript import read_transcript, transcript_usage

FAST = RetryPolicy(attempts=4, base_delay=0.05, max_delay=0.2)
SECRET = "sk-test-secret-never-written"


def client_for(server, tmp_path, retry=FAST, **settings):
    settings = resolve_settings("test-model", base_url=server.url,
                                environ={"OPENAI_API_KEY": SECRET}, **settings)
    client = open_client(settings, retry)
    client.attach_transcript(str(tmp_path / "llm.jsonl"))
    return client


def sequence(*answers):
    """A script giving ``answers`` in turn, then repeating the last."""
    answers, lock = list(answers), threading.Lock()

    def script(body):
        with lock:
            return answers.pop(0) if len(answers) > 1 else answers[0]
    return script


def test_a_request_is_answered_and_recorded_without_the_key(chat_server, tmp_path):
    chat_server.script = lambda body: "echo: " + body["messages"][-1]["content"]
    client = client_for(chat_server, tmp_path)
    assert client.ask("hello", system="be brief", slot="s1") == "echo: hello"
    body = chat_server.requests[0]
    assert body["model"] == "test-model"
    assert body["messages"] == [{"role": "system", "content": "be brief"},
                                {"role": "user", "content": "hello"}]
    [entry] = read_transcript(str(tmp_path / "llm.jsonl"))
    assert entry["slot"] == "s1" and entry["text"] == "echo: hello" and entry["error"] is None
    assert entry["usage"] == {"requests": 1, "prompt_tokens": 100, "completion_tokens": 20,
                              "total_tokens": 120}
    assert entry["latency"] >= 0 and entry["endpoint"] == chat_server.url
    assert SECRET not in (tmp_path / "llm.jsonl").read_text()
    assert client.usage.total_tokens == 120


def test_a_429_waits_as_long_as_retry_after_says(chat_server, tmp_path):
    chat_server.script = sequence({"status": 429, "headers": {"Retry-After": "1"},
                                   "content": "slow down"}, "ok")
    client = client_for(chat_server, tmp_path)
    start = time.monotonic()
    assert client.ask("x") == "ok"
    assert time.monotonic() - start >= 0.95
    [entry] = read_transcript(str(tmp_path / "llm.jsonl"))
    [attempt] = entry["attempts"]
    assert attempt["wait"] == 1.0 and "429" in attempt["error"]
    assert client.usage.requests == 2 == len(chat_server.requests)  # every attempt counts
    assert entry["usage"]["requests"] == 2


def test_server_errors_and_timeouts_are_retried_with_backoff(chat_server, tmp_path):
    chat_server.script = sequence({"status": 500}, {"status": 503}, {"delay": 1.5, "content": "late"},
                                  "ok")
    client = client_for(chat_server, tmp_path, timeout=0.4)
    assert client.ask("x") == "ok"
    [entry] = read_transcript(str(tmp_path / "llm.jsonl"))
    errors = [a["error"] for a in entry["attempts"]]
    assert "500" in errors[0] and "503" in errors[1] and "Timeout" in errors[2]
    waits = [a["wait"] for a in entry["attempts"]]
    assert 0.025 <= waits[0] <= 0.05 and 0.05 <= waits[1] <= 0.1 and 0.1 <= waits[2] <= 0.2


def test_retries_run_out_with_a_clear_error(chat_server, tmp_path):
    chat_server.script = lambda body: {"status": 502}
    client = client_for(chat_server, tmp_path)
    with pytest.raises(LLMUnavailable, match=r"failed after 4 attempts: .*502"):
        client.ask("x")
    assert len(chat_server.requests) == 4
    [entry] = read_transcript(str(tmp_path / "llm.jsonl"))
    assert "502" in entry["error"] and len(entry["attempts"]) == 3


def test_a_wrong_key_is_not_retried(chat_server, tmp_path):
    chat_server.script = lambda body: {"status": 401, "content": "invalid api key"}
    with pytest.raises(LLMUnavailable, match="invalid api key"):
        client_for(chat_server, tmp_path).ask("x")
    assert len(chat_server.requests) == 1


def test_a_refused_request_raises_llm_refused(chat_server, tmp_path):
    chat_server.script = lambda body: ("ok" if body["messages"][-1]["content"] == "short"
                                       else {"status": 400, "content": "context length exceeded"})
    client = client_for(chat_server, tmp_path)
    assert client.ask("short") == "ok"
    with pytest.raises(LLMRefused, match="context length exceeded"):
        client.ask("x" * 1000)
    assert len(chat_server.requests) == 2


def test_refusals_in_a_row_stop_the_run(chat_server, tmp_path):
    chat_server.script = lambda body: ("ok" if body["messages"][-1]["content"] == "short"
                                       else {"status": 400, "content": "context length exceeded"})
    client = client_for(chat_server, tmp_path)
    client.ask("short")
    for _ in range(2):
        with pytest.raises(LLMRefused):
            client.ask("long")
    with pytest.raises(LLMUnavailable, match="refused 3 requests in a row.*context length"):
        client.ask("long")
    with pytest.raises(LLMUnavailable):  # nothing more is sent
        client.ask("short")
    assert len(chat_server.requests) == 4


def test_a_refusal_of_the_first_request_stops_the_run(chat_server, tmp_path):
    chat_server.script = lambda body: {"status": 400, "content": "Unsupported parameter: 'foo'"}
    with pytest.raises(LLMUnavailable, match="refused the first request.*Unsupported parameter"):
        client_for(chat_server, tmp_path).ask("x")
    assert len(chat_server.requests) == 1


def test_empty_content_is_an_empty_answer(chat_server, tmp_path):
    chat_server.script = lambda body: {"content": None}
    assert client_for(chat_server, tmp_path).ask("x") == ""


@pytest.mark.parametrize("limits, allowed", [({"max_requests": 2}, 2), ({"max_tokens": 200}, 2),
                                             ({"max_tokens": 100}, 1)])
def test_the_budget_stops_requests(chat_server, tmp_path, limits, allowed):
    chat_server.script = lambda body: "ok"
    client = client_for(chat_server, tmp_path, **limits)
    for _ in range(allowed):
        client.ask("x")
    with pytest.raises(BudgetExhausted, match="LLM budget exhausted"):
        client.ask("x")
    assert len(chat_server.requests) == allowed


def test_a_resumed_transcript_counts_against_the_budget(chat_server, tmp_path):
    chat_server.script = lambda body: "ok"
    client_for(chat_server, tmp_path).ask("x")
    again = client_for(chat_server, tmp_path, max_requests=2)
    assert again.usage.requests == 1
    again.ask("y")
    assert [e["n"] for e in read_transcript(str(tmp_path / "llm.jsonl"))] == [0, 1]
    with pytest.raises(BudgetExhausted):
        again.ask("z")


def test_concurrent_requests_write_whole_lines(chat_server, tmp_path):
    chat_server.script = lambda body: {"content": "z" * 20000, "delay": 0.05}
    client = client_for(chat_server, tmp_path)
    threads = [threading.Thread(target=client.ask, args=(f"q{i}" * 3000,), kwargs={"slot": str(i)})
               for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = (tmp_path / "llm.jsonl").read_text().splitlines()
    assert len(lines) == 8
    assert sorted(json.loads(line)["slot"] for line in lines) == [str(i) for i in range(8)]
    assert transcript_usage(read_transcript(str(tmp_path / "llm.jsonl"))).requests == 8


def test_replay_answers_from_the_transcript_without_network(chat_server, tmp_path):
    chat_server.script = lambda body: "answer to " + body["messages"][-1]["content"]
    client = client_for(chat_server, tmp_path)
    for question in ("a", "b", "a"):
        client.ask(question, slot=f"slot-{question}")
    settings = resolve_settings(None, replay=str(tmp_path / "llm.jsonl"), environ={})
    assert settings.model == "test-model"  # the recorded run's
    replay = open_client(settings)
    replay.attach_transcript(str(tmp_path / "replayed.jsonl"))
    assert replay.ask("b", slot="slot-b") == "answer to b"  # by key and slot, out of order
    assert replay.ask("a", slot="other") == "answer to a"  # by key
    assert replay.ask("new question", slot="slot-a") == "answer to a"  # by slot
    with pytest.raises(UserInputError, match="no recorded answer left"):
        replay.ask("b", slot="slot-b")
    matches = [e["replay_match"] for e in read_transcript(str(tmp_path / "replayed.jsonl"))]
    assert matches == ["key+slot", "key", "slot"]
    assert replay.usage.total_tokens == 3 * 120


def test_replay_reproduces_recorded_failures(chat_server, tmp_path):
    chat_server.script = lambda body: ("ok" if body["messages"][-1]["content"] == "y"
                                       else {"status": 400, "content": "too long"})
    client = client_for(chat_server, tmp_path)
    client.ask("y")
    with pytest.raises(LLMRefused):
        client.ask("x")
    replay = open_client(resolve_settings("test-model", replay=str(tmp_path / "llm.jsonl"),
                                          environ={}))
    with pytest.raises(LLMRefused, match="too long"):
        replay.ask("x")


def test_settings_come_from_flags_and_environment(tmp_path):
    env = {"OPENAI_BASE_URL": "http://localhost:11434/v1", "OPENAI_ORG_ID": "org-1"}
    settings = resolve_settings("m", environ=env)
    assert settings.base_url == "http://localhost:11434/v1" and settings.organization == "org-1"
    assert resolve_settings("m", base_url="http://127.0.0.1:8000/v1", environ=env).base_url == \
        "http://127.0.0.1:8000/v1"
    keyed = resolve_settings("m", environ={"OPENAI_API_KEY": SECRET})
    assert keyed.base_url == "https://api.openai.com/v1" and SECRET not in repr(keyed)


@pytest.mark.parametrize("model, kwargs, env, message", [
    (None, {}, {"OPENAI_API_KEY": "k"}, "needs --model"),
    ("m", {}, {}, "OPENAI_API_KEY is not set"),
    ("m", {"base_url": "https://example.invalid/v1"}, {}, "OPENAI_API_KEY is not set"),
    ("m", {"base_url": "localhost:8000"}, {}, "not an http"),
    ("m", {"timeout": 0}, {"OPENAI_API_KEY": "k"}, "--request-timeout"),
    ("m", {"max_requests": -1}, {"OPENAI_API_KEY": "k"}, "cannot be negative"),
    ("m", {"replay": "/nonexistent/llm.jsonl"}, {}, "no such transcript"),
])
def test_unusable_settings_are_one_clear_user_error(model, kwargs, env, message):
    with pytest.raises(UserInputError, match=message):
        resolve_settings(model, environ=env, **kwargs)
