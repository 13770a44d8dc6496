"""The second line of defence for secrets: their values never reach a file or an LLM.

The sandbox keeps programs away from the parent's environment and memory. Should a secret still
turn up in a program's output (an error message, a trace), every text written to the run
directory and every message sent to an LLM passes through :func:`redact` first.
"""
from __future__ import annotations

import os

SECRET_MARKERS = ("KEY", "TOKEN", "SECRET", "PASSWORD")
"""Words that mark an environment variable's name as a secret (any OPENAI_* name is one too)."""


def is_secret_name(name: str) -> bool:
    """Whether an environment variable's name marks it as a secret."""
    upper = name.upper()
    return upper.startswith("OPENAI_") or any(marker in upper for marker in SECRET_MARKERS)


REDACTED = "[redacted]"
MIN_LENGTH = 6
"""Shorter values are not treated as secrets (they would match ordinary text)."""


def secret_values(environ: dict[str, str] | None = None) -> list[str]:
    """Values of this process's secret-named environment variables, longest first."""
    environ = os.environ if environ is None else environ
    values = {value for name, value in environ.items()
              if is_secret_name(name) and len(value) >= MIN_LENGTH
              and not value.startswith(("http://", "https://"))}
    return sorted(values, key=len, reverse=True)


def redact(text: str, environ: dict[str, str] | None = None) -> str:
    """``text`` with every secret value replaced by ``[redacted]``."""
    for value in secret_values(environ):
        if value in text:
            text = text.replace(value, REDACTED)
    return text


def redact_messages(messages: list[dict]) -> list[dict]:
    """Chat messages with secrets redacted from their text content."""
    return [{**m, "content": redact(m["content"])} if isinstance(m.get("content"), str) else m
            for m in messages]
