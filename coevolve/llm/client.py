"""The one narrow class between coevolve and a chat-completions endpoint.

:class:`ChatClient` sends a conversation and returns the answer's text, adding what every
caller needs: retries with backoff on transient failures, the run's budget, and a transcript
line per request. It talks to a *backend*: :class:`OpenAIBackend` (the official ``openai``
client; OpenAI, vLLM, Ollama, llama.cpp's server -- plain chat completions only) or
:class:`coevolve.llm.replay.ReplayBackend` (answers from a transcript, no network).

Settings come from the usual variables -- ``OPENAI_BASE_URL``, ``OPENAI_API_KEY``,
``OPENAI_ORG_ID`` -- and the run's flags (``--model``, ``--base-url``, ``--request-timeout``,
``--max-requests``, ``--max-tokens``, ``--replay``). The API key lives only in memory.
"""
from __future__ import annotations

import dataclasses
import itertools
import os
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import numpy as np
import openai

from coevolve.errors import UserInputError
from coevolve.llm.budget import Budget, Usage
from coevolve.llm.retry import FATAL, REFUSED, RETRY, RetryPolicy, classify, retry_delay
from coevolve.secrets import redact_messages
from coevolve.llm.transcript import (REQUEST, Transcript, public_url, read_transcript,
                                     request_key, transcript_usage)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
"""Endpoint used when neither ``--base-url`` nor ``OPENAI_BASE_URL`` names one."""
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})
"""Hosts of local servers, which need no API key."""


class LLMRefused(Exception):
    """The endpoint refused one request (too long, malformed); other requests may still work."""


class LLMUnavailable(UserInputError):
    """The endpoint cannot be used (wrong key, model or URL, or still failing after retries)."""


@dataclass(frozen=True)
class Reply:
    """One answer of the model."""

    text: str
    """The answer's content ("" if the server sent none)."""
    finish_reason: str | None = None
    """"stop", "length", ... as the server reported it."""
    usage: Usage = Usage(requests=1)
    """Tokens of this request and answer."""
    latency: float = 0.0
    """Seconds from sending the request to the answer, retries included."""
    meta: dict = field(default_factory=dict)
    """Backend details for the transcript (how a replayed answer was matched)."""


@dataclass(frozen=True)
class LLMSettings:
    """Where and how to reach the model; the key is kept out of every file and repr."""

    model: str
    """Model name the endpoint serves."""
    base_url: str = DEFAULT_BASE_URL
    """OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 for Ollama."""
    api_key: str = field(default="", repr=False)
    """API key (from OPENAI_API_KEY); may be empty for a local server."""
    organization: str | None = None
    """OpenAI organisation (from OPENAI_ORG_ID)."""
    timeout: float = 120.0
    """Seconds before one HTTP request is abandoned (and retried)."""
    max_requests: int = 0
    """Budget: requests over the run; 0 means no limit."""
    max_tokens: int = 0
    """Budget: prompt plus completion tokens over the run; 0 means no limit."""
    replay: str | None = None
    """Answer from this transcript instead of the network."""

    @property
    def endpoint(self) -> str:
        """The base URL without credentials (what transcripts record)."""
        return "replay:" + self.replay if self.replay else public_url(self.base_url)


def resolve_settings(model: str | None, *, base_url: str | None = None, timeout: float = 120.0,
                     max_requests: int = 0, max_tokens: int = 0, replay: str | None = None,
                     environ=None) -> LLMSettings:
    """Settings from flags and ``OPENAI_*`` variables; a :class:`UserInputError` if unusable."""
    environ = os.environ if environ is None else environ
    if replay and not os.path.isfile(replay):
        raise UserInputError(f"--replay {replay}: no such transcript file")
    if replay and not model:  # the recorded run's model
        model = next((e.get("model") for e in read_transcript(replay) if e.get("type") == REQUEST),
                     None)
    if not model:
        raise UserInputError("the llm designer needs --model NAME (a model the endpoint serves, "
                             "e.g. gpt-4o-mini, or qwen2.5-coder:7b on Ollama)")
    if timeout <= 0:
        raise UserInputError(f"--request-timeout must be positive, got {timeout}")
    if max_requests < 0 or max_tokens < 0:
        raise UserInputError("--max-requests and --max-tokens cannot be negative (0: no limit)")
    url = base_url or environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserInputError(f"LLM base URL {url!r} is not an http(s) URL "
                             f"(e.g. http://localhost:8000/v1); set --base-url or OPENAI_BASE_URL")
    key = environ.get("OPENAI_API_KEY", "")
    local = parts.hostname in LOCAL_HOSTS or parts.hostname.startswith("127.")
    if not replay and not key and not local:
        raise UserInputError(f"OPENAI_API_KEY is not set, and {public_url(url)} needs one "
                             f"(set it to any value for a server that checks none)")
    return LLMSettings(model, url, key, environ.get("OPENAI_ORG_ID") or None, float(timeout),
                       max_requests, max_tokens, replay)


class OpenAIBackend:
    """Plain chat completions through the official ``openai`` client (no retries of its own)."""

    def __init__(self, settings: LLMSettings):
        self._client = openai.OpenAI(base_url=settings.base_url,
                                     api_key=settings.api_key or "no-key",
                                     organization=settings.organization,
                                     timeout=settings.timeout, max_retries=0)

    def send(self, model: str, messages: list[dict], slot: str) -> Reply:
        """One request; raises the ``openai`` client's exceptions."""
        completion = self._client.chat.completions.create(model=model, messages=messages)
        if not completion.choices:
            return Reply("", None, _usage(completion.usage))
        choice = completion.choices[0]
        return Reply(choice.message.content or "", choice.finish_reason, _usage(completion.usage))


def _usage(usage) -> Usage:
    if usage is None:
        return Usage(requests=1)
    return Usage(1, int(usage.prompt_tokens or 0), int(usage.completion_tokens or 0))


class ChatClient:
    """Sends chat requests with retries, a budget and a transcript; safe to share between threads.

    Args:
        backend: has ``send(model, messages, slot) -> Reply``.
        model: the model name sent with every request.
        budget: the run's limits; every request is reserved against it first.
        retry: backoff settings for transient failures.
        rng: source of the backoff jitter.
        endpoint: how the transcript names the endpoint (never with credentials).
        sleep: waits between retries (``time.sleep``).
    """

    def __init__(self, backend, model: str, budget: Budget | None = None,
                 retry: RetryPolicy = RetryPolicy(), rng: np.random.Generator | None = None,
                 endpoint: str = "", sleep=time.sleep):
        self.backend = backend
        self.model = model
        self.budget = budget or Budget()
        self.retry = retry
        self.endpoint = endpoint
        self.transcript: Transcript | None = None
        self._rng = rng if rng is not None else np.random.default_rng(0)
        self._rng_lock = threading.Lock()
        self._sleep = sleep
        self._numbers = itertools.count()

    @property
    def usage(self) -> Usage:
        """Usage so far (a resumed run's earlier usage included)."""
        return self.budget.spent

    def attach_transcript(self, path: str) -> None:
        """Record into ``path`` from now on; usage already recorded there counts to the budget."""
        if os.path.exists(path):
            earlier = transcript_usage(read_transcript(path))
            self.budget.add(earlier)
            self._numbers = itertools.count(earlier.requests)
        self.transcript = Transcript(path)

    def record(self, entry: dict) -> None:
        """Append a line to the transcript (if one is attached)."""
        if self.transcript is not None:
            self.transcript.append(entry)

    def ask(self, prompt: str, *, system: str | None = None, slot: str = "") -> str:
        """The text of the answer to one user message (after an optional system message)."""
        messages = ([{"role": "system", "content": system}] if system else []) + \
                   [{"role": "user", "content": prompt}]
        return self.complete(messages, slot=slot).text

    def complete(self, messages: list[dict], *, slot: str = "") -> Reply:
        """The answer to a conversation.

        Raises:
            BudgetExhausted: the budget allows no further request (nothing was sent).
            LLMRefused: the endpoint refused this request (e.g. the context is too long).
            LLMUnavailable: the endpoint cannot be used, or still failed after every retry.
        """
        self.budget.reserve()
        messages = redact_messages(messages)
        entry = {"type": REQUEST, "n": next(self._numbers), "slot": slot, "model": self.model,
                 "endpoint": self.endpoint, "key": request_key(self.model, messages),
                 "messages": messages, "time": time.time()}
        attempts, start = [], time.monotonic()
        for attempt in itertools.count():
            try:
                reply = self.backend.send(self.model, messages, slot)
            except (LLMRefused, LLMUnavailable) as exc:
                self._fail(entry, attempts, start, exc, REFUSED if isinstance(exc, LLMRefused)
                           else FATAL)
                raise
            except openai.OpenAIError as exc:
                kind = classify(exc)
                if kind == RETRY and attempt + 1 < self.retry.attempts:
                    with self._rng_lock:
                        wait = retry_delay(exc, attempt, self.retry, self._rng)
                    attempts.append({"error": _describe(exc), "wait": round(wait, 3)})
                    self._sleep(wait)
                    continue
                self._fail(entry, attempts, start, exc, kind)
                if kind == REFUSED:
                    raise LLMRefused(_describe(exc)) from exc
                tries = f" after {attempt + 1} attempts" if kind == RETRY else ""
                raise LLMUnavailable(f"LLM request to {self.endpoint} failed{tries}: "
                                     f"{_describe(exc)}") from None
            break
        reply = dataclasses.replace(reply, latency=time.monotonic() - start)
        self.budget.charge(reply.usage)
        self.record({**entry, **reply.meta, "text": reply.text,
                     "finish_reason": reply.finish_reason, "usage": reply.usage.to_dict(),
                     "latency": round(reply.latency, 3), "attempts": attempts, "error": None})
        return reply

    def _fail(self, entry: dict, attempts: list, start: float, exc: Exception, kind: str) -> None:
        self.record({**entry, "text": None, "finish_reason": None, "usage": Usage(1).to_dict(),
                     "latency": round(time.monotonic() - start, 3), "attempts": attempts,
                     "error": _describe(exc), "error_kind": kind})


def _describe(exc: Exception) -> str:
    """One line naming an exception, e.g. "RateLimitError: Error code: 429 - ..."."""
    text = " ".join(str(exc).split())
    if len(text) > 300:
        text = text[:300] + "..."
    if isinstance(exc, (LLMRefused, LLMUnavailable)):
        return text
    return f"{type(exc).__name__}: {text}"


def open_client(settings: LLMSettings, retry: RetryPolicy = RetryPolicy(),
                seed: int = 0) -> ChatClient:
    """A client for ``settings``: network, or replay of a transcript when ``settings.replay``."""
    if settings.replay:
        from coevolve.llm.replay import ReplayBackend
        backend = ReplayBackend(settings.replay)
    else:
        backend = OpenAIBackend(settings)
    return ChatClient(backend, settings.model, Budget(settings.max_requests, settings.max_tokens),
                      retry, np.random.default_rng(seed), settings.endpoint)
