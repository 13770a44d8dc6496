"""The ways real servers and models behave, each scripted on the local OpenAI-protocol server.

Reasoning models (400 on max_tokens and temperature), truncation, refusals, code only in
reasoning_content, no usage, HTML with status 200, empty choices, a server serving one request
at a time, a 400 on every request. Real HTTP and the real ``openai`` client throughout.
"""
import itertools
import threading

import numpy as np
import pytest

from coevolve.config import RunConfig
from coevolve.designers import make_designer
from coevolve.designers.base import EnvRequest, NoCandidate
from coevolve.llm import LLMUnavailable, RetryPolicy, open_client, resolve_settings
from coevolve.llm.transcript import read_transcript
from tests.llm.conftest import reasoning_model

RNG = np.random.default_rng(0)
FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02)


def client_for(server, tmp_path, **settings):
    client = open_client(resolve_settings("test-model", base_url=server.url, environ={},
                                          **settings), FAST)
    client.attach_transcript(str(tmp_path / "llm.jsonl"))
    return client


def designer_for(server, domain, tmp_path, **config):
    cfg = RunConfig(domain=domain.name, designer="llm", model="test-model", base_url=server.url,
                    **config)
    designer = make_designer("llm", domain, cfg)
    designer.client.retry = FAST
    designer.attach_transcript(str(tmp_path / "llm.jsonl"))
    return designer


def toy_check(program):
    namespace = {}
    exec(program.source, namespace)  # test programs only
    level = namespace.get("LEVEL")
    return None if isinstance(level, int) and level <= 20 else f"LEVEL {level} is above 20"


def entries(tmp_path, kind="request"):
    return [e for e in read_transcript(str(tmp_path / "llm.jsonl")) if e["type"] == kind]


def test_only_the_options_given_are_sent(chat_server, tmp_path):
    chat_server.script = lambda body: "ok"
    client_for(chat_server, tmp_path).ask("x")
    client_for(chat_server, tmp_path, temperature=0.3, max_output_tokens=900,
               reasoning_effort="low", extra='{"options": {"num_ctx": 16384}}').ask("y")
    plain, given = chat_server.requests
    assert set(plain) == {"model", "messages"}
    assert given["temperature"] == 0.3 and given["max_tokens"] == 900
    assert given["reasoning_effort"] == "low" and given["options"] == {"num_ctx": 16384}


def test_a_reasoning_model_gets_max_completion_tokens_after_rejecting_max_tokens(chat_server,
                                                                                tmp_path):
    chat_server.script = reasoning_model(lambda body: "ok")
    client = client_for(chat_server, tmp_path, max_output_tokens=500)
    assert client.ask("x") == "ok" and client.ask("y") == "ok"
    sent = [{k for k in b if k.startswith("max_")} for b in chat_server.requests]
    assert sent == [{"max_tokens"}, {"max_completion_tokens"}, {"max_completion_tokens"}]
    assert client.usage.requests == 3  # the rejected attempt counts to the budget
    assert "sending max_completion_tokens" in entries(tmp_path)[0]["attempts"][0]["error"]


def test_a_temperature_a_reasoning_model_rejects_stops_the_run_quoting_it(chat_server, tmp_path):
    chat_server.script = reasoning_model(lambda body: "ok")
    with pytest.raises(LLMUnavailable, match="refused the first request.*'temperature' does not "
                                             "support 0.2"):
        client_for(chat_server, tmp_path, temperature=0.2).ask("x")
    assert len(chat_server.requests) == 1


def test_a_400_on_every_request_stops_the_designer_at_once(chat_server, toy_domain, tmp_path):
    chat_server.script = lambda body: {"status": 400, "content": "This model's maximum context "
                                       "length is 2048 tokens. However, you requested 5000"}
    designer = designer_for(chat_server, toy_domain, tmp_path, llm_concurrency=1)
    with pytest.raises(LLMUnavailable, match="maximum context length is 2048"):
        designer.propose_envs(EnvRequest(toy_domain.seed_env(), 1, 4, {}, toy_check), RNG)
    assert len(chat_server.requests) == 1


def test_an_answer_cut_off_at_the_token_limit_is_repaired_as_cut_off(chat_server, toy_domain,
                                                                     tmp_path):
    chat_server.script = lambda body: (
        {"content": "```python\nLEVEL = 3\nHELPER = 1\n", "finish_reason": "length"}
        if len(body["messages"]) == 2 else "```python\nLEVEL = 4\n```")
    designer = designer_for(chat_server, toy_domain, tmp_path)
    [program] = designer.propose_envs(EnvRequest(toy_domain.seed_env(), 1, 1, {}, toy_check), RNG)
    assert program.source == "LEVEL = 4\n"  # the cut-off answer parsed, but was not accepted
    assert "your answer was cut off after 3 lines" in program.origin.note
    assert "answer with a shorter complete program" in chat_server.requests[1]["messages"][3]["content"]


def test_a_refusal_is_sent_back_and_its_text_recorded(chat_server, toy_domain, tmp_path):
    chat_server.script = lambda body: ({"content": None, "refusal": "I can't help with that."}
                                       if len(body["messages"]) == 2 else "LEVEL = 5")
    designer = designer_for(chat_server, toy_domain, tmp_path)
    [program] = designer.propose_envs(EnvRequest(toy_domain.seed_env(), 1, 1, {}, toy_check), RNG)
    assert program.source == "LEVEL = 5\n"
    assert "the model refused: I can't help with that." in program.origin.note
    assert entries(tmp_path)[0]["refusal"] == "I can't help with that."


def test_code_only_in_reasoning_content_is_read_and_kept(chat_server, toy_domain, tmp_path):
    chat_server.script = lambda body: {"content": "", "reasoning_content":
                                       "The level should be 6.\n```python\nLEVEL = 6\n```"}
    designer = designer_for(chat_server, toy_domain, tmp_path)
    [program] = designer.propose_envs(EnvRequest(toy_domain.seed_env(), 1, 1, {}, toy_check), RNG)
    assert program.source == "LEVEL = 6\n" and program.origin.note == "first answer accepted"
    assert "LEVEL = 6" in entries(tmp_path)[0]["reasoning"]


def test_without_usage_tokens_are_estimated_and_the_token_budget_holds(chat_server, tmp_path):
    chat_server.script = lambda body: {"content": "y" * 400, "usage": None}
    client = client_for(chat_server, tmp_path, max_tokens=250)
    client.ask("x" * 400)
    [entry] = entries(tmp_path)
    assert entry["usage_estimated"] and entry["usage"]["total_tokens"] == 200
    client.ask("x")
    with pytest.raises(Exception, match="LLM budget exhausted: 3.. tokens"):
        client.ask("x")
    assert len(chat_server.requests) == 2


@pytest.mark.parametrize("answer", [
    {"raw": b"<html><body>502 Bad Gateway</body></html>"},
    {"raw": b"", "content_type": "application/json"},
    {"choices": []},
])
def test_a_200_that_is_no_completion_is_retried_then_recorded_on_its_candidate(
        chat_server, toy_domain, tmp_path, answer):
    chat_server.script = lambda body: answer
    designer = designer_for(chat_server, toy_domain, tmp_path)
    [missing] = designer.propose_envs(EnvRequest(toy_domain.seed_env(), 1, 1, {}, toy_check), RNG)
    assert isinstance(missing, NoCandidate) and len(chat_server.requests) == FAST.attempts
    assert "not written: no usable answer after 3 attempts" in missing.reason
    [entry] = entries(tmp_path)
    assert entry["error"] and entry["usage"]["requests"] == 3


def test_a_one_at_a_time_server_gets_one_request_at_a_time(chat_server, toy_domain, tmp_path):
    chat_server.one_at_a_time = True
    counter, lock = itertools.count(), threading.Lock()

    def script(body):
        with lock:
            n = next(counter)
        return {"content": f"LEVEL = {n + 2}", "delay": 0.25}
    chat_server.script = script
    designer = designer_for(chat_server, toy_domain, tmp_path, llm_concurrency=1,
                            request_timeout=0.6)
    programs = designer.propose_envs(EnvRequest(toy_domain.seed_env(), 1, 4, {}, toy_check), RNG)
    assert len(chat_server.requests) == 4 and chat_server.in_flight_peak == 1
    assert sorted(p.source for p in programs) == [f"LEVEL = {n}\n" for n in range(2, 6)]
    assert all(not e["attempts"] for e in entries(tmp_path))  # no timed-out resends


def test_the_token_budget_overshoots_by_no_more_than_the_requests_in_flight(chat_server,
                                                                           toy_domain, tmp_path):
    chat_server.script = lambda body: {"content": "LEVEL = 25", "delay": 0.05,
                                       "usage": {"prompt_tokens": 1500, "completion_tokens": 500}}
    designer = designer_for(chat_server, toy_domain, tmp_path, max_tokens=4096, llm_concurrency=2)
    designer.propose_envs(EnvRequest(toy_domain.seed_env(), 1, 4, {}, toy_check), RNG)
    spent = designer.client.usage.total_tokens
    assert spent <= 4096 + 2 * 2000 and len(chat_server.requests) <= 4


def coevolve_run(server, tmp_path, *flags):
    import os
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.update(OPENAI_BASE_URL=server.url, OPENAI_API_KEY="test")
    out = tmp_path / "run"
    result = subprocess.run([sys.executable, "-m", "coevolve", "run", "--domain", "minigrid",
                             "--designer", "llm", "--model", "test-model", "--iterations", "1",
                             "--episodes", "1", "--candidates", "2", "--workers", "1",
                             "--quiet", "--out", str(out), *flags],
                            env=env, capture_output=True, text=True, timeout=300)
    return result, out


def test_the_command_line_stops_at_once_on_a_400_quoting_the_server(chat_server, tmp_path):
    chat_server.script = lambda body: {"status": 400, "content": "Unrecognized request argument "
                                       "supplied: reasoning_effort"}
    result, out = coevolve_run(chat_server, tmp_path, "--reasoning-effort", "low")
    assert result.returncode == 2
    [line] = [l for l in result.stderr.splitlines() if l.startswith("coevolve:") and "400" in l]
    assert "Unrecognized request argument supplied: reasoning_effort" in line
    assert "Traceback" not in result.stderr
    assert len(chat_server.requests) <= 2  # the candidates' first requests, sent at once
    assert len((out / "iterations.jsonl").read_text().splitlines()) == 1  # iteration 0 only


def test_html_answers_are_recorded_on_their_candidates_in_iterations_jsonl(chat_server,
                                                                          toy_domain, tmp_path):
    from coevolve.loop import run
    from coevolve.progress import Progress
    from coevolve.session import Session
    from coevolve.store import RunStore
    chat_server.script = lambda body: {"raw": b"<html>Gateway</html>"}
    cfg = RunConfig(domain="toy", iterations=1, episodes=2, candidates=2, workers=1,
                    designer="llm", model="test-model", base_url=chat_server.url)
    state = Session.create(cfg, str(tmp_path / "run"), progress=Progress(quiet=True))
    state.designer.client.retry = FAST
    try:
        run(state, cfg.iterations)
    finally:
        state.close()
    record = RunStore(str(tmp_path / "run")).iterations()[-1]
    for kind in ("env", "policy"):
        assert record["counts"][kind] == {"proposed": 2, "accepted": 0,
                                          "rejected": {"not_written": 2}}
    assert all("not a chat completion: '<html>Gateway</html>'" in c["reason"]
               for c in record["candidates"])


def test_timeouts_against_a_one_at_a_time_server_lower_the_requests_in_flight(chat_server,
                                                                             toy_domain, tmp_path):
    chat_server.one_at_a_time = True
    counter, lock = itertools.count(), threading.Lock()

    def script(body):
        with lock:
            n = next(counter)
        return {"content": f"LEVEL = {n + 2}", "delay": 0.3}
    chat_server.script = script
    designer = designer_for(chat_server, toy_domain, tmp_path, request_timeout=0.7)
    designer.client.retry = RetryPolicy(attempts=5, base_delay=0.3, max_delay=1.0)
    programs = designer.propose_envs(EnvRequest(toy_domain.seed_env(), 1, 4, {}, toy_check), RNG)
    assert all(not isinstance(p, NoCandidate) for p in programs)
    assert designer.client._gate.limit < 4 and len(chat_server.requests) <= 8
