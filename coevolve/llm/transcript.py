"""The run's ``llm.jsonl``: one JSON line per request (and per candidate's fate), for replay.

Lines are appended whole, each with a single ``write`` on a file opened for appending, so
concurrent requests never interleave and a crash leaves at most one torn last line (skipped by
:func:`read_transcript`). The API key is never written: entries hold the model, the endpoint
without credentials, the messages, the answer, token usage, latency and the failed attempts.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
from urllib.parse import urlsplit, urlunsplit

from coevolve.errors import UserInputError
from coevolve.llm.budget import Usage
from coevolve.secrets import redact

REQUEST = "request"
"""Entry type of a chat request and its answer."""
CANDIDATE = "candidate"
"""Entry type of a candidate program's fate (accepted, repaired, rejected)."""


def request_key(model: str, messages: list[dict]) -> str:
    """sha256 of the model and the messages: how replay and resume find the answer to a request."""
    text = json.dumps({"model": model, "messages": messages}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def public_url(url: str) -> str:
    """``url`` without user name, password, query or fragment (safe to write to a file)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class Transcript:
    """Appends entries to one ``llm.jsonl`` file; safe to share between threads."""

    def __init__(self, path: str):
        self.path = path
        self._lock = threading.Lock()

    def append(self, entry: dict) -> None:
        """Write ``entry`` as one whole line."""
        line = (redact(json.dumps(entry, ensure_ascii=False, sort_keys=True)) + "\n").encode("utf-8")
        folder = os.path.dirname(self.path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)


def read_transcript(path: str) -> list[dict]:
    """Every complete entry of a transcript, in file order (a torn last line is skipped)."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().split("\n")
    except FileNotFoundError:
        raise UserInputError(f"{path}: no such transcript file") from None
    except UnicodeDecodeError:
        raise UserInputError(f"{path} is not a text transcript (llm.jsonl)") from None
    entries = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            if number >= len(lines) - 1:
                continue  # torn last line of an interrupted run
            raise UserInputError(f"{path}:{number} is not a JSON line; "
                                 f"is this an llm.jsonl?") from None
        if not isinstance(entry, dict):
            raise UserInputError(f"{path}:{number} is not a JSON object; is this an llm.jsonl?")
        entries.append(entry)
    return entries


def transcript_usage(entries: list[dict]) -> Usage:
    """Total usage of the request entries of a transcript (every attempt counted)."""
    total = Usage()
    for entry in entries:
        if entry.get("type") == REQUEST:
            usage = entry.get("usage") or {}
            total = total + Usage.from_dict({**usage, "requests": usage.get("requests") or 1})
    return total


class RecordedAnswers:
    """The answered requests of a transcript, each usable once, found by (key, slot).

    A slot names (iteration, role, candidate, attempt), e.g. ``iter0003/policy/1/r0``; the key
    is the sha256 of model and messages. When a slot was answered twice (an interrupted
    iteration, then its resumption) the later answer is the one the run went on with, so it is
    taken first.
    """

    def __init__(self, entries: list[dict], failures: bool = False):
        self.entries = [e for e in entries if e.get("type") == REQUEST
                        and (failures or not e.get("error"))]
        self._used = [False] * len(self.entries)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.entries)

    def take(self, key: str, slot: str) -> dict | None:
        """The latest unused entry with this key and slot, marked used; None if there is none."""
        return self.first(lambda e: e.get("key") == key and e.get("slot") == slot, latest=True)

    def first(self, rule, latest: bool = False) -> dict | None:
        """The first (or latest) unused entry for which ``rule(entry)`` holds, marked used."""
        order = range(len(self.entries) - 1, -1, -1) if latest else range(len(self.entries))
        with self._lock:
            for index in order:
                if not self._used[index] and rule(self.entries[index]):
                    self._used[index] = True
                    return self.entries[index]
        return None
