"""Which failed requests to retry, and how long to wait: exponential backoff with jitter.

Rate limits (429), server errors (5xx, 408, 409), timeouts and connection errors are retried;
a ``Retry-After`` (or ``retry-after-ms``) header sets the wait when the server gives one.
A refused request (400, 413, 422: too long, malformed) is not retried; neither are errors that
no retry can fix (401, 403, 404: wrong key, model or URL).
"""
from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass

import numpy as np
import openai

RETRY = "retry"
"""Transient: try again after a wait."""
REFUSED = "refused"
"""The server refused this request (e.g. the context is too long); others may still work."""
FATAL = "fatal"
"""Nothing will work until the user fixes something (key, model name, URL)."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a transient failure."""

    attempts: int = 6
    """Tries per request, the first included."""
    base_delay: float = 1.0
    """Wait before the first retry, in seconds; doubled on every further retry."""
    max_delay: float = 60.0
    """Cap on one backoff wait, in seconds."""
    jitter: float = 0.5
    """A backoff wait is scaled by a uniform factor in [1 - jitter, 1]."""
    max_retry_after: float = 300.0
    """Cap on a wait the server asks for with Retry-After, in seconds."""


def classify(exc: Exception) -> str:
    """:data:`RETRY`, :data:`REFUSED` or :data:`FATAL` for an exception of the openai client."""
    if isinstance(exc, openai.APIConnectionError):  # timeouts included
        return RETRY
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status in (408, 409, 429) or status >= 500:
            return RETRY
        if status in (400, 413, 422):
            return REFUSED
    return FATAL


def retry_after(exc: Exception, now: float | None = None) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms`` or ``Retry-After``), if any."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:  # an HTTP date
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


def retry_delay(exc: Exception, attempt: int, policy: RetryPolicy,
                rng: np.random.Generator) -> float:
    """Seconds to wait before retry number ``attempt + 1`` (``attempt`` counts from 0)."""
    asked = retry_after(exc)
    if asked is not None:
        return min(asked, policy.max_retry_after)
    backoff = min(policy.max_delay, policy.base_delay * 2 ** attempt)
    return backoff * float(rng.uniform(1.0 - policy.jitter, 1.0))
