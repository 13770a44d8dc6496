"""Talking to chat-completion endpoints: client, retries, budget, transcripts, replay.

Build a client from flags and ``OPENAI_*`` variables, then send conversations::

    settings = resolve_settings("gpt-4o-mini", max_requests=200)
    client = open_client(settings)
    client.attach_transcript("runs/x/llm.jsonl")
    text = client.ask("Improve this program: ...", system="You write Python.", slot="iter3/0")
    program = extract_program(text, required=("act",))

Every request goes through the budget, is retried on transient failures and is written to the
transcript; ``LLMSettings.replay`` answers from a transcript instead of the network.
"""
from coevolve.llm.budget import Budget, BudgetExhausted, Usage
from coevolve.llm.client import (ChatClient, LLMRefused, LLMSettings, LLMUnavailable,
                                 OpenAIBackend, Reply, open_client, resolve_settings)
from coevolve.llm.extract import ExtractionError, extract_program
from coevolve.llm.retry import RetryPolicy

__all__ = ["Budget", "BudgetExhausted", "ChatClient", "ExtractionError", "LLMRefused",
           "LLMSettings", "LLMUnavailable", "OpenAIBackend", "Reply", "RetryPolicy", "Usage",
           "extract_program", "open_client", "resolve_settings"]
