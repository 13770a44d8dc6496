"""A request and its repair rounds: ask, check the answer, quote the problem back, ask again.

What every caller needs before its own checks is done here once: an answer cut off at the
output-token limit (``finish_reason: "length"``) is sent back as cut off, never trimmed and
accepted; a refusal goes back quoting its text; an answer whose content is empty but whose
reasoning field holds the program is read from the reasoning.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from coevolve.llm.budget import BudgetExhausted
from coevolve.llm.client import ChatClient, LLMRefused, Reply


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


def cut_off_reason(text: str) -> str:
    """The repair reason of an answer cut off at the output-token limit."""
    lines = len(text.rstrip("\n").split("\n")) if text.strip() else 0
    return (f"your answer was cut off after {lines} lines (it reached the output-token limit); "
            f"answer with a shorter complete program")


def answer_text(reply: Reply) -> str:
    """The text to read a program from: the content, else the reasoning when only it has one."""
    if reply.text.strip() or not reply.reasoning:
        return reply.text
    return reply.reasoning if "```" in reply.reasoning or "def " in reply.reasoning else reply.text


def problem(reply: Reply) -> str | None:
    """Why an answer cannot be read at all (cut off, refused), before any check."""
    if reply.finish_reason == "length":
        return cut_off_reason(answer_text(reply))
    if reply.refusal and not reply.text.strip():
        return f"the model refused: {' '.join(reply.refusal.split())[:300]}"
    return None


def converse(client: ChatClient, system: str, request: str, *, slot: str, rounds: int,
             attempt: Callable[[str], tuple[Any, str | None]],
             repair: Callable[[str], str]) -> Conversation:
    """Send ``request``; while the answer has a problem, send ``repair(reason)``.

    Args:
        client: the chat client (budget, retries and transcript apply to every request).
        system: the system prompt.
        request: the first user message.
        slot: transcript slot of the conversation; round r is recorded as ``slot/rR``.
        rounds: repair requests at most after the first answer.
        attempt: turns an answer's text into ``(value, None)``, or ``(value, why it fails)``.
        repair: the user message asking to fix a given reason.
    """
    messages = [{"role": "system", "content": system}, {"role": "user", "content": request}]
    value, reasons = None, []
    for round_ in range(rounds + 1):
        try:
            reply = client.complete(messages, slot=f"{slot}/r{round_}")
        except (BudgetExhausted, LLMRefused) as exc:
            return Conversation(value, tuple(reasons), False, str(exc))
        reason = problem(reply)
        if reason is None:
            value, reason = attempt(answer_text(reply))
            if reason is None:
                return Conversation(value, tuple(reasons), True, None)
        reasons.append(reason)
        messages = messages + [{"role": "assistant", "content": reply.text},
                               {"role": "user", "content": repair(reason)}]
    return Conversation(value, tuple(reasons), False, None)
