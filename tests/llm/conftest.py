"""A local server speaking the OpenAI chat-completions protocol over real HTTP, scripted by tests.

``chat_server.script`` is called with each request's JSON body and returns the answer: a string
(the message content, status 200) or a dict with any of ``content`` (str or None), ``status``,
``headers``, ``delay`` (seconds before answering), ``usage`` (None: the field is left out),
``finish_reason``, ``refusal``, ``reasoning_content``, ``choices`` (a list replacing the
generated one, e.g. ``[]``) and ``raw`` (bytes sent as they are, with ``content_type``). Every
request body is kept in ``chat_server.requests``. ``chat_server.one_at_a_time = True`` makes it
serve one request at a time, as a single-slot llama.cpp or Ollama server does;
``chat_server.in_flight_peak`` is the most requests it ever held at once.

Scripts for the ways real servers behave are below: :func:`reasoning_model` (400 on
``max_tokens`` and on any temperature, as OpenAI's reasoning models answer).
"""
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


DEFAULT_USAGE = {"prompt_tokens": 100, "completion_tokens": 20}


def completion(content, usage=DEFAULT_USAGE, model="test-model", finish_reason="stop",
               **message) -> dict:
    """The standard JSON of a chat completion (``message`` adds fields such as ``refusal``)."""
    body = {"id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "finish_reason": finish_reason,
                         "message": {"role": "assistant", "content": content, **message}}]}
    if usage is not None:
        body["usage"] = {**usage, "total_tokens": usage["prompt_tokens"] + usage["completion_tokens"]}
    return body


def reasoning_model(answer):
    """A script that refuses ``max_tokens`` and any ``temperature`` with a 400, as OpenAI's
    reasoning models do, and otherwise answers ``answer(body)``."""
    def script(body):
        if "max_tokens" in body:
            return {"status": 400, "content": "Unsupported parameter: 'max_tokens' is not "
                    "supported with this model. Use 'max_completion_tokens' instead."}
        if "temperature" in body:
            return {"status": 400, "content": "Unsupported value: 'temperature' does not support "
                    f"{body['temperature']} with this model. Only the default (1) value is supported."}
        return answer(body)
    return script


class ChatServer:
    """POST /v1/chat/completions on 127.0.0.1, answering with ``script(body)``."""

    def __init__(self, script=None):
        self.script = script or (lambda body: "")
        self.requests = []
        self.lock = threading.Lock()
        self.one_at_a_time = False
        self.serving = threading.Lock()
        self.in_flight, self.in_flight_peak = 0, 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's hook name
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path.rstrip("/") != "/v1/chat/completions":
                    return self._send(404, {"error": {"message": f"no route {self.path}"}}, {})
                with server.lock:
                    server.requests.append(body)
                    server.in_flight += 1
                    server.in_flight_peak = max(server.in_flight_peak, server.in_flight)
                try:
                    if server.one_at_a_time:
                        with server.serving:
                            self._answer(body)
                    else:
                        self._answer(body)
                finally:
                    with server.lock:
                        server.in_flight -= 1

            def _answer(self, body):
                answer = server.script(body)
                answer = {"content": answer} if isinstance(answer, str) else dict(answer)
                time.sleep(answer.get("delay", 0))
                status = answer.get("status", 200)
                if "raw" in answer:
                    return self._send(status, answer["raw"], answer.get("headers", {}),
                                      answer.get("content_type", "text/html"))
                message = {k: answer[k] for k in ("refusal", "reasoning_content") if k in answer}
                payload = (completion(answer.get("content"), answer.get("usage", DEFAULT_USAGE),
                                      body.get("model"), answer.get("finish_reason", "stop"),
                                      **message)
                           if status == 200 else
                           {"error": {"message": answer.get("content") or f"status {status}",
                                      "type": "invalid_request_error", "code": None}})
                if status == 200 and "choices" in answer:
                    payload["choices"] = answer["choices"]
                self._send(status, payload, answer.get("headers", {}))

            def _send(self, status, payload, headers, content_type="application/json"):
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def chat_server():
    """A started :class:`ChatServer`; set ``.script`` to choose its answers."""
    with ChatServer() as server:
        yield server


TOYWORLD = os.path.join(os.path.dirname(__file__), "..", "coevolve", "toyworld")


@pytest.fixture
def toy_domain(monkeypatch):
    """The toy domain of tests/coevolve/toyworld, importable here and in sandbox workers."""
    from coevolve.domains import DOMAINS, Domain
    monkeypatch.syspath_prepend(TOYWORLD)
    monkeypatch.setitem(DOMAINS, "toy", Domain("toy", "toy_envs", "toy_policies"))
    return DOMAINS["toy"]
