"""The LLM designers' prompts, kept as readable text files beside this module.

    system.md                 the system message of every conversation
    env_designer.md           environment designer: make the level harder for the mixture
    policy_designer.md        policy designer: do better on the new environment
    repair.md                 follow-up quoting why a candidate was rejected

Templates use ``$name`` placeholders (:class:`string.Template`). What is particular to a domain
lives with the domain (:class:`envs.api.DomainSpec`): the contract text (``DOC_ENV`` /
``DOC_POLICY``, written once for the README and the prompts), and its advice and ideas
(``envs/<package>/prompt_notes_{env,policy}.md``, ``prompt_ideas_{env,policy}.txt``).
"""
from __future__ import annotations

from importlib import resources
from string import Template


def _text(name: str) -> str | None:
    item = resources.files(__name__).joinpath(name)
    return item.read_text(encoding="utf-8") if item.is_file() else None


def render(name: str, **values) -> str:
    """Template ``name`` (e.g. "env_designer.md") with its placeholders filled."""
    text = _text(name)
    if text is None:
        raise FileNotFoundError(f"no prompt template {name!r} in {__name__}")
    return Template(text).substitute(values).strip() + "\n"

