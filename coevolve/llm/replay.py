"""Answer chat requests from a recorded transcript (``--replay FILE``), without network.

Each recorded request answers at most once. A request is matched, in order of preference, to
an unused recorded one with the same key (sha256 of model and messages) and the same slot
(iteration, role, candidate, attempt), the same key, the same slot, and finally the next
unused one in file order; within a rule the latest recorded entry wins (a resumed run's answer
over the interrupted one's). With the configuration of the recorded run the first rule always
applies and the run reproduces the recorded archive.
"""
from __future__ import annotations

from coevolve.errors import UserInputError
from coevolve.llm.client import LLMRefused, LLMUnavailable, Reply, entry_reply
from coevolve.llm.retry import REFUSED
from coevolve.llm.transcript import RecordedAnswers, read_transcript, request_key


class ReplayBackend:
    """A backend whose answers come from a transcript file."""

    def __init__(self, path: str):
        self.path = path
        self._recorded = RecordedAnswers(read_transcript(path), failures=True)

    def send(self, model: str, messages: list[dict], slot: str) -> Reply:
        """The recorded answer (or recorded failure) for this request."""
        key = request_key(model, messages)
        rules = (("key+slot", lambda e: e.get("key") == key and e.get("slot") == slot, True),
                 ("key", lambda e: e.get("key") == key, True),
                 ("slot", lambda e: e.get("slot") == slot, True),
                 ("order", lambda e: True, False))
        for match, rule, latest in rules:
            entry = self._recorded.first(rule, latest)
            if entry is not None:
                break
        else:
            raise UserInputError(f"--replay {self.path}: no recorded answer left for request "
                                 f"{slot or key[:12]} (the transcript holds "
                                 f"{len(self._recorded)} requests); replay with the "
                                 f"configuration of the recorded run")
        if entry.get("error"):
            if entry.get("error_kind") == REFUSED:
                raise LLMRefused(entry["error"])
            raise LLMUnavailable(f"replayed failure: {entry['error']}")
        return entry_reply(entry, {"replayed": True, "replay_match": match})
