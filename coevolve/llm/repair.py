"""A request and its repair rounds: ask, check the answer, quote the problem back, ask again."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from coevolve.llm.budget import BudgetExhausted
from coevolve.llm.client import ChatClient, LLMRefused


@dataclass(frozen=True)
class Conversation:
    """How a request with repairs ended."""

    value: Any
    """What the last answer was turned into (None if no answer came)."""
    reasons: tuple[str, ...]
    """Why each rejected answer was rejected, in order."""
    accepted: bool
    """Whether the last answer passed."""
    stopped: str | None
    """Why no further request could be sent (budget spent, request refused), if so."""


def converse(client: ChatClient, system: str, request: str, *, slot: str, rounds: int,
             attempt: Callable[[str], tuple[Any, str | None]],
             repair: Callable[[str], str]) -> Conversation:
    """Send ``request``; while ``attempt(answer)`` gives a reason, send ``repair(reason)``.

    Args:
        client: the chat client (budget, retries and transcript apply to every request).
        system: the system prompt.
        request: the first user message.
        slot: transcript slot of the conversation; round r is recorded as ``slot/rR``.
        rounds: repair requests at most after the first answer.
        attempt: turns an answer into ``(value, None)``, or ``(value, why it fails)``.
        repair: the user message asking to fix a given reason.
    """
    messages = [{"role": "system", "content": system}, {"role": "user", "content": request}]
    value, reasons = None, []
    for round_ in range(rounds + 1):
        try:
            reply = client.complete(messages, slot=f"{slot}/r{round_}")
        except (BudgetExhausted, LLMRefused) as exc:
            return Conversation(value, tuple(reasons), False, str(exc))
        value, reason = attempt(reply.text)
        if reason is None:
            return Conversation(value, tuple(reasons), True, None)
        reasons.append(reason)
        messages = messages + [{"role": "assistant", "content": reply.text},
                               {"role": "user", "content": repair(reason)}]
    return Conversation(value, tuple(reasons), False, None)
