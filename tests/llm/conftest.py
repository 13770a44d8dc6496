"""A local server speaking the OpenAI chat-completions protocol over real HTTP, scripted by tests.

``chat_server.script`` is called with each request's JSON body and returns the answer: a string
(the message content, status 200) or a dict with any of ``content`` (str or None), ``status``,
``headers``, ``delay`` (seconds before answering) and ``usage``. Every request body is kept in
``chat_server.requests``.
"""
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


def completion(content, usage=None, model="test-model") -> dict:
    """The standard JSON of a chat completion."""
    usage = usage or {"prompt_tokens": 100, "completion_tokens": 20}
    usage = {**usage, "total_tokens": usage["prompt_tokens"] + usage["completion_tokens"]}
    return {"id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()),
            "model": model, "usage": usage,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}]}


class ChatServer:
    """POST /v1/chat/completions on 127.0.0.1, answering with ``script(body)``."""

    def __init__(self, script=None):
        self.script = script or (lambda body: "")
        self.requests = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's hook name
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path.rstrip("/") != "/v1/chat/completions":
                    return self._send(404, {"error": {"message": f"no route {self.path}"}}, {})
                with server.lock:
                    server.requests.append(body)
                answer = server.script(body)
                answer = {"content": answer} if isinstance(answer, str) else dict(answer)
                time.sleep(answer.get("delay", 0))
                status = answer.get("status", 200)
                payload = (completion(answer.get("content"), answer.get("usage"), body.get("model"))
                           if status == 200 else
                           {"error": {"message": answer.get("content") or f"status {status}",
                                      "type": "server_error", "code": None}})
                self._send(status, payload, answer.get("headers", {}))

            def _send(self, status, payload, headers):
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
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
