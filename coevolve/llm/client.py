"""The one narrow class between coevolve and a chat-completions endpoint.

:class:`ChatClient` sends a conversation and returns the answer's text, adding what every
caller needs: retries with backoff on transient failures, the run's budget, and a transcript
line per request. It talks to a *backend*: :class:`OpenAIBackend` (the official ``openai``
client; OpenAI, vLLM, Ollama, llama.cpp's server -- plain chat completions only) or
:class:`coevolve.llm.replay.ReplayBackend` (answers from a transcript, no network).

Settings come from the usual variables -- ``OPENAI_BASE_URL``, ``OPENAI_API_KEY``,
``OPENAI_ORG_ID`` -- and the run's flags (``--model``, ``--base-url``, ``--request-timeout``,
``--max-requests``, ``--max-tokens``, ``--replay``, and the request options ``--temperature``,
``--max-output-tokens``, ``--reasoning-effort``, ``--llm-extra``, ``--llm-concurrency``, of
which only those given are sent). The API key lives only in memory.
"""
from __future__ import annotations

import dataclasses
import itertools
import json
import os
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import numpy as np
import openai

from coevolve.errors import UserInputError
from coevolve.llm.budget import Budget, BudgetExhausted, Usage
from coevolve.llm.retry import FATAL, REFUSED, RETRY, RetryPolicy, classify, retry_delay
from coevolve.llm.transcript import (REQUEST, RecordedAnswers, Transcript, public_url,
                                     read_transcript, request_key, transcript_usage)
from coevolve.secrets import redact_messages

DEFAULT_BASE_URL = "https://api.openai.com/v1"
"""Endpoint used when neither ``--base-url`` nor ``OPENAI_BASE_URL`` names one."""
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})
"""Hosts of local servers, which need no API key."""


class LLMRefused(Exception):
    """One request failed for good (refused, or no usable answer after retries); the run goes on
    and the reason is recorded on the candidate that asked."""


class LLMUnavailable(UserInputError):
    """The endpoint cannot be used (wrong key, model or URL, a setting it rejects on every
    request, or still failing after retries): the run stops with one line quoting the server."""


class BadResponse(Exception):
    """A status-200 answer that is not a usable chat completion (HTML, empty body, no choices)."""


class Resend(Exception):
    """Send the request again at once: the backend changed a parameter the server rejected."""


REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high")
"""Values of ``--reasoning-effort`` (OpenAI's reasoning models; vLLM and Ollama pass it on)."""
REPEATED_REFUSALS = 3
"""Refusals (400) in a row, with no answer between them, after which the run stops."""
CHARS_PER_TOKEN = 4
"""Characters per token of the estimate used when a server reports no ``usage``."""


@dataclass(frozen=True)
class Reply:
    """One answer of the model."""

    text: str
    """The answer's content ("" if the server sent none)."""
    finish_reason: str | None = None
    """"stop", "length", ... as the server reported it."""
    usage: Usage = Usage(requests=1)
    """Requests sent (every attempt) and tokens of this request and answer."""
    latency: float = 0.0
    """Seconds from sending the request to the answer, retries included."""
    meta: dict = field(default_factory=dict)
    """Backend details for the transcript (how a replayed answer was matched)."""
    refusal: str | None = None
    """The model's refusal text when it declined to answer (``message.refusal``)."""
    reasoning: str | None = None
    """The model's reasoning (``reasoning_content`` / ``reasoning``), if the server sent it."""


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
    """Budget: requests over the run (every attempt); 0 means no limit."""
    max_tokens: int = 0
    """Budget: prompt plus completion tokens over the run; 0 means no limit."""
    replay: str | None = None
    """Answer from this transcript instead of the network."""
    temperature: float | None = None
    """Sampling temperature; None sends none (reasoning models accept only their default)."""
    max_output_tokens: int = 0
    """Output-token limit of one answer; 0 sends none."""
    reasoning_effort: str | None = None
    """Reasoning effort of reasoning models; None sends none."""
    extra: dict = field(default_factory=dict)
    """Extra JSON body fields for server-specific options (Ollama ``options``, vLLM ...)."""
    concurrency: int = 4
    """Requests in flight at once; 0 means no cap."""

    @property
    def endpoint(self) -> str:
        """The base URL without credentials (what transcripts record)."""
        return "replay:" + self.replay if self.replay else public_url(self.base_url)


def resolve_settings(model: str | None, *, base_url: str | None = None, timeout: float = 120.0,
                     max_requests: int = 0, max_tokens: int = 0, replay: str | None = None,
                     temperature: float | None = None, max_output_tokens: int = 0,
                     reasoning_effort: str | None = None, extra: str | dict | None = None,
                     concurrency: int = 4, environ=None) -> LLMSettings:
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
    if temperature is not None and not 0.0 <= temperature <= 2.0:
        raise UserInputError(f"--temperature must be between 0 and 2, got {temperature}")
    if max_output_tokens < 0 or concurrency < 0:
        raise UserInputError("--max-output-tokens and --llm-concurrency cannot be negative "
                             "(0: none sent / no cap)")
    if reasoning_effort is not None and reasoning_effort not in REASONING_EFFORTS:
        raise UserInputError(f"--reasoning-effort {reasoning_effort!r}: choose one of "
                             f"{', '.join(REASONING_EFFORTS)}")
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
                       max_requests, max_tokens, replay, temperature, int(max_output_tokens),
                       reasoning_effort, parse_extra(extra), int(concurrency))


def parse_extra(extra: str | dict | None) -> dict:
    """``--llm-extra`` as a dict: a JSON object of extra request-body fields."""
    if not extra:
        return {}
    if isinstance(extra, dict):
        return dict(extra)
    try:
        value = json.loads(extra)
    except json.JSONDecodeError as exc:
        raise UserInputError(f"--llm-extra is not JSON ({exc.msg} at character {exc.pos}); "
                             'give an object, e.g. \'{"options": {"num_ctx": 16384}}\'') from None
    if not isinstance(value, dict):
        raise UserInputError("--llm-extra must be a JSON object, e.g. "
                             '\'{"chat_template_kwargs": {"enable_thinking": false}}\'')
    return value


def settings_from(config, **overrides) -> LLMSettings:
    """The settings of a config holding the LLM fields of RunConfig (run and atari alike)."""
    return resolve_settings(
        config.model or None, base_url=config.base_url or None, timeout=config.request_timeout,
        max_requests=config.max_requests, max_tokens=config.max_tokens,
        replay=config.replay or None, temperature=config.temperature,
        max_output_tokens=config.max_output_tokens, reasoning_effort=config.reasoning_effort,
        extra=config.llm_extra, concurrency=config.llm_concurrency, **overrides)


class OpenAIBackend:
    """Plain chat completions through the official ``openai`` client (no retries of its own).

    Only the options the user set are sent. The output-token limit goes as
    ``max_completion_tokens`` to OpenAI (its reasoning models reject ``max_tokens``) and as
    ``max_tokens`` elsewhere; a server that rejects the one it got is sent the other.
    """

    def __init__(self, settings: LLMSettings):
        self.settings = settings
        self._client = openai.OpenAI(base_url=settings.base_url,
                                     api_key=settings.api_key or "no-key",
                                     organization=settings.organization,
                                     timeout=settings.timeout, max_retries=0)
        host = urlsplit(settings.base_url).hostname or ""
        self._token_field = ("max_completion_tokens" if host.endswith("openai.com")
                             else "max_tokens")
        self._lock = threading.Lock()

    def options(self) -> dict:
        """The request options sent besides model and messages."""
        s, options = self.settings, {}
        if s.temperature is not None:
            options["temperature"] = s.temperature
        if s.max_output_tokens:
            with self._lock:
                options[self._token_field] = s.max_output_tokens
        if s.reasoning_effort is not None:
            options["reasoning_effort"] = s.reasoning_effort
        return options

    def send(self, model: str, messages: list[dict], slot: str) -> Reply:
        """One request; raises the ``openai`` client's exceptions, BadResponse or Resend."""
        options = self.options()
        try:
            completion = self._client.chat.completions.create(
                model=model, messages=messages, extra_body=self.settings.extra or None, **options)
        except openai.BadRequestError as exc:
            self._switch_token_field(options, exc)
            raise
        except ValueError as exc:  # a JSON content type whose body is not JSON
            raise BadResponse(f"the server answered status 200 with a body that is not JSON "
                              f"({type(exc).__name__}: {exc})") from None
        return _reply(completion, messages)

    def _switch_token_field(self, options: dict, exc: openai.BadRequestError) -> None:
        sent = next((f for f in ("max_tokens", "max_completion_tokens") if f in options), None)
        other = {"max_tokens": "max_completion_tokens",
                 "max_completion_tokens": "max_tokens"}.get(sent)
        text = str(exc)
        if sent and sent in text and other in text:
            with self._lock:
                self._token_field = other
            raise Resend(f"the server rejects {sent}; sending {other} instead") from None


def _reply(completion, messages: list[dict]) -> Reply:
    """A Reply from a parsed completion; BadResponse if it is none."""
    if isinstance(completion, str) or not hasattr(completion, "choices"):
        snippet = " ".join(str(completion).split())[:120]
        raise BadResponse(f"the server answered status 200 with something that is not a chat "
                          f"completion: {snippet!r}")
    if not completion.choices:
        raise BadResponse("the server answered status 200 with no choices (an empty completion)")
    choice = completion.choices[0]
    message = choice.message
    extra = getattr(message, "model_extra", None) or {}
    reasoning = extra.get("reasoning_content") or extra.get("reasoning") or None
    text = message.content or ""
    usage, meta = _usage(completion.usage), {}
    if completion.usage is None:
        chars_in = sum(len(str(m.get("content") or "")) for m in messages)
        chars_out = len(text) + len(reasoning or "")
        usage = Usage(1, chars_in // CHARS_PER_TOKEN, chars_out // CHARS_PER_TOKEN)
        meta["usage_estimated"] = True
    return Reply(text, choice.finish_reason, usage, meta=meta,
                 refusal=getattr(message, "refusal", None) or None,
                 reasoning=reasoning if isinstance(reasoning, str) else None)


def entry_reply(entry: dict, meta: dict) -> Reply:
    """The Reply recorded in a transcript entry (a resumed or replayed answer)."""
    usage = Usage.from_dict({**(entry.get("usage") or {}), "requests": 1})
    return Reply(entry.get("text") or "", entry.get("finish_reason"), usage, meta=meta,
                 refusal=entry.get("refusal"), reasoning=entry.get("reasoning"))


def _usage(usage) -> Usage:
    if usage is None:
        return Usage(requests=1)
    return Usage(1, int(usage.prompt_tokens or 0), int(usage.completion_tokens or 0))


class Gate:
    """At most ``limit`` holders at once (0: no limit); :meth:`shrink` halves the limit."""

    def __init__(self, limit: int):
        self.limit = limit
        self._held = 0
        self._free = threading.Condition()

    def shrink(self) -> None:
        """Halve the limit (to at least 1): requests timed out while others were in flight."""
        with self._free:
            self.limit = max(1, (self.limit or self._held) // 2)

    def __enter__(self):
        with self._free:
            while self.limit and self._held >= self.limit:
                self._free.wait()
            self._held += 1
        return self

    def __exit__(self, *exc) -> None:
        with self._free:
            self._held -= 1
            self._free.notify_all()


class ChatClient:
    """Sends chat requests with retries, a budget and a transcript; safe to share between threads.

    Every attempt (retries and timed-out resends included) is reserved against the budget; at
    most ``concurrency`` requests are in flight, halved on every timeout (a server serving
    fewer at once than that makes queued requests time out). A request already answered in the attached
    transcript (a resumed run) is answered from it, without network or budget. A refusal (400)
    of the first request sent, or of REPEATED_REFUSALS in a row, stops the run: it would repeat
    on every request.

    Args:
        backend: has ``send(model, messages, slot) -> Reply``.
        model: the model name sent with every request.
        budget: the run's limits; every request is reserved against it first.
        retry: backoff settings for transient failures.
        rng: source of the backoff jitter.
        endpoint: how the transcript names the endpoint (never with credentials).
        sleep: waits between retries (``time.sleep``).
        concurrency: requests in flight at once (0: no cap).
    """

    def __init__(self, backend, model: str, budget: Budget | None = None,
                 retry: RetryPolicy = RetryPolicy(), rng: np.random.Generator | None = None,
                 endpoint: str = "", sleep=time.sleep, concurrency: int = 0):
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
        self._gate = Gate(concurrency)
        self._earlier: RecordedAnswers | None = None
        self._answered = threading.Event()
        self._fatal: LLMUnavailable | None = None
        self._refusals = 0

    @property
    def usage(self) -> Usage:
        """Usage so far (a resumed run's earlier usage included)."""
        return self.budget.spent

    def attach_transcript(self, path: str) -> None:
        """Record into ``path`` from now on; what it already holds counts to the budget and
        answers the same requests again (a resumed run asks only for what is missing)."""
        if os.path.exists(path):
            entries = read_transcript(path)
            self.budget.add(transcript_usage(entries))
            self._numbers = itertools.count(sum(e.get("type") == REQUEST for e in entries))
            self._earlier = RecordedAnswers(entries)
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
            BudgetExhausted: the budget allows no further request.
            LLMRefused: this request failed for good (refused, unusable answers).
            LLMUnavailable: the endpoint cannot be used, or still failed after every retry.
        """
        messages = redact_messages(messages)
        key = request_key(self.model, messages)
        earlier = self._earlier.take(key, slot) if self._earlier is not None else None
        if earlier is not None:
            return entry_reply(earlier, {"resumed": True})
        return self._send(messages, slot, key)

    def _send(self, messages: list[dict], slot: str, key: str) -> Reply:
        entry = {"type": REQUEST, "n": next(self._numbers), "slot": slot, "model": self.model,
                 "endpoint": self.endpoint, "key": key, "messages": messages, "time": time.time()}
        attempts, start = [], time.monotonic()
        for attempt in itertools.count():
            with self._gate:  # held per attempt: a backoff wait frees the slot
                reply, wait = self._attempt(messages, slot, entry, attempts, start, attempt)
            if reply is not None:
                break
            self._sleep(wait)
        self._answered.set()
        with self._rng_lock:
            self._refusals = 0
        reply = dataclasses.replace(reply, latency=time.monotonic() - start,
                                    usage=dataclasses.replace(reply.usage,
                                                              requests=len(attempts) + 1))
        self.budget.charge(reply.usage)
        self.record({**entry, **reply.meta, "text": reply.text,
                     "finish_reason": reply.finish_reason, "usage": reply.usage.to_dict(),
                     "refusal": reply.refusal, "reasoning": reply.reasoning,
                     "latency": round(reply.latency, 3), "attempts": attempts, "error": None})
        return reply

    def _attempt(self, messages, slot, entry, attempts, start, attempt):
        """One attempt: ``(reply, 0)``, ``(None, seconds to wait before the next)``, or raises."""
        if self._fatal is not None:  # the endpoint is unusable: send nothing more
            raise self._fatal
        try:
            self.budget.reserve()  # when it is sent, so queued requests see what was spent
        except BudgetExhausted as exc:
            if attempts:
                self._fail(entry, attempts, start, exc, REFUSED)
            raise
        try:
            return self.backend.send(self.model, messages, slot), 0.0
        except (LLMRefused, LLMUnavailable) as exc:  # replayed failures
            self._fail(entry, attempts, start, exc, REFUSED if isinstance(exc, LLMRefused)
                       else FATAL)
            raise
        except Resend as exc:
            attempts.append({"error": str(exc), "wait": 0.0})
            return None, 0.0
        except (BadResponse, openai.OpenAIError) as exc:
            kind = RETRY if isinstance(exc, BadResponse) else classify(exc)
            if isinstance(exc, openai.APITimeoutError):
                self._gate.shrink()  # a server that serves fewer at once than we send
            if kind == RETRY and attempt + 1 < self.retry.attempts:
                with self._rng_lock:
                    wait = retry_delay(exc, attempt, self.retry, self._rng)
                attempts.append({"error": _describe(exc), "wait": round(wait, 3)})
                return None, wait
            self._fail(entry, attempts, start, exc, kind)
            failure = self._failure(exc, kind, attempt + 1)
            if isinstance(failure, LLMUnavailable):
                self._fatal = failure
            raise failure from None

    def _failure(self, exc: Exception, kind: str, tries: int) -> Exception:
        """The exception a failed request raises (see :meth:`complete`)."""
        described = _describe(exc)
        if isinstance(exc, BadResponse):
            return LLMRefused(f"no usable answer after {tries} attempts: {exc}")
        if kind == REFUSED:
            with self._rng_lock:
                self._refusals += 1
                repeated = self._refusals >= REPEATED_REFUSALS
        if kind == REFUSED and (repeated or not self._answered.is_set()):
            which = ("the first request of the run" if not self._answered.is_set() else
                     f"{self._refusals} requests in a row")
            return LLMUnavailable(
                f"{self.endpoint} refused {which}, so it would refuse every one: {described} "
                f"(change the model, --max-output-tokens, --temperature, --reasoning-effort "
                f"or --llm-extra as it says, or shorten the prompt)")
        if kind == REFUSED:
            return LLMRefused(described)
        suffix = f" after {tries} attempts" if kind == RETRY else ""
        return LLMUnavailable(f"LLM request to {self.endpoint} failed{suffix}: {described}")

    def _fail(self, entry: dict, attempts: list, start: float, exc: Exception, kind: str) -> None:
        self.record({**entry, "text": None, "finish_reason": None,
                     "usage": Usage(len(attempts) + 1).to_dict(),
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
                      retry, np.random.default_rng(seed), settings.endpoint,
                      concurrency=settings.concurrency)
