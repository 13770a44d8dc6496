"""Answer chat requests from a recorded transcript (``--replay FILE``), without network.

Each recorded request answers at most once. A request is matched, in order of preference, to
an unused recorded one with the same key (sha256 of model and messages) and the same slot
(iteration, role, candidate, round), the same key, the same slot, and finally the next unused
one in file order. With the configuration of the recorded run the first rule always applies
and the run reproduces the recorded archive.
"""
from __future__ import annotations

import threading

from coevolve.errors import UserInputError
from coevolve.llm.budget import Usage
from coevolve.llm.client import LLMRefused, LLMUnavailable, Reply
from coevolve.llm.retry import REFUSED
from coevolve.llm.transcript import REQUEST, read_transcript, request_key


class ReplayBackend:
    """A backend whose answers come from a transcript file."""

    def __init__(self, path: str):
        self.path = path
        self._entries = [e for e in read_transcript(path) if e.get("type") == REQUEST]
        self._used = [False] * len(self._entries)
        self._lock = threading.Lock()

    def send(self, model: str, messages: list[dict], slot: str) -> Reply:
        """The recorded answer (or recorded failure) for this request."""
        key = request_key(model, messages)
        with self._lock:
            index, match = self._match(key, slot)
            self._used[index] = True
        entry = self._entries[index]
        meta = {"replayed": True, "replay_match": match}
        if entry.get("error"):
            if entry.get("error_kind") == REFUSED:
                raise LLMRefused(entry["error"])
            raise LLMUnavailable(f"replayed failure: {entry['error']}")
        usage = Usage.from_dict({**(entry.get("usage") or {}), "requests": 1})
        return Reply(entry.get("text") or "", entry.get("finish_reason"), usage, meta=meta)

    def _match(self, key: str, slot: str) -> tuple[int, str]:
        rules = (("key+slot", lambda e: e.get("key") == key and e.get("slot") == slot),
                 ("key", lambda e: e.get("key") == key),
                 ("slot", lambda e: e.get("slot") == slot),
                 ("order", lambda e: True))
        for name, rule in rules:
            for index, entry in enumerate(self._entries):
                if not self._used[index] and rule(entry):
                    return index, name
        raise UserInputError(f"--replay {self.path}: no recorded answer left for request "
                             f"{slot or key[:12]} (the transcript holds {len(self._entries)} "
                             f"requests); replay with the configuration of the recorded run")
