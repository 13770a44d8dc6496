"""A spending limit on LLM requests and tokens, shared by concurrent requests."""
from __future__ import annotations

import threading
from dataclasses import dataclass

from coevolve.errors import UserInputError


@dataclass(frozen=True)
class Usage:
    """Requests sent and tokens spent."""

    requests: int = 0
    """Chat requests (one per answer, retries included)."""
    prompt_tokens: int = 0
    """Tokens of the prompts, as the server reported them."""
    completion_tokens: int = 0
    """Tokens of the answers, as the server reported them."""

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(self.requests + other.requests, self.prompt_tokens + other.prompt_tokens,
                     self.completion_tokens + other.completion_tokens)

    def to_dict(self) -> dict:
        """Plain dict for iterations.jsonl and llm.jsonl."""
        return {"requests": self.requests, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens, "total_tokens": self.total_tokens}

    @classmethod
    def from_dict(cls, data: dict | None) -> "Usage":
        """Inverse of :meth:`to_dict`; missing fields count as zero."""
        data = data or {}
        return cls(int(data.get("requests", 0)), int(data.get("prompt_tokens") or 0),
                   int(data.get("completion_tokens") or 0))


class BudgetExhausted(UserInputError):
    """The run's LLM budget (``--max-requests`` / ``--max-tokens``) is spent.

    It is a :class:`UserInputError` so that, once it reaches the command line, the run stops
    with one line saying which limit was reached.
    """


class Budget:
    """Counts usage against optional limits (0 means no limit); thread-safe."""

    def __init__(self, max_requests: int = 0, max_tokens: int = 0, spent: Usage = Usage()):
        if max_requests < 0 or max_tokens < 0:
            raise UserInputError("--max-requests and --max-tokens cannot be negative (0: no limit)")
        self.max_requests = max_requests
        self.max_tokens = max_tokens
        self._spent = spent
        self._lock = threading.Lock()

    @property
    def spent(self) -> Usage:
        """Usage so far."""
        with self._lock:
            return self._spent

    def exhausted_reason(self) -> str | None:
        """Why no further request may be sent; None while the budget lasts."""
        with self._lock:
            return self._reason()

    def _reason(self) -> str | None:
        spent = self._spent
        if self.max_requests and spent.requests >= self.max_requests:
            return (f"LLM budget exhausted: {spent.requests} requests sent "
                    f"(--max-requests {self.max_requests})")
        if self.max_tokens and spent.total_tokens >= self.max_tokens:
            return (f"LLM budget exhausted: {spent.total_tokens} tokens spent "
                    f"(--max-tokens {self.max_tokens})")
        return None

    def reserve(self) -> None:
        """Count one request about to be sent; raises :class:`BudgetExhausted` if none is left."""
        with self._lock:
            reason = self._reason()
            if reason:
                raise BudgetExhausted(reason)
            self._spent = self._spent + Usage(requests=1)

    def charge(self, usage: Usage) -> None:
        """Add the tokens of an answer (its request was already reserved)."""
        with self._lock:
            self._spent = self._spent + Usage(0, usage.prompt_tokens, usage.completion_tokens)

    def add(self, usage: Usage) -> None:
        """Add usage recorded earlier (a resumed run's transcript)."""
        with self._lock:
            self._spent = self._spent + usage
