"""The LLM designers' prompts, kept as readable text files beside this module.

    system.md                 the system message of every conversation
    env_designer.md           environment designer: make the level harder for the mixture
    policy_designer.md        policy designer: do better on the new environment
    repair.md                 follow-up quoting why a candidate was rejected
    <domain>_env_notes.md     domain advice shown after the contract text (optional)
    <domain>_policy_notes.md
    <domain>_env_ideas.txt    one change per line; each candidate is steered by a different one
    <domain>_policy_ideas.txt

Templates use ``$name`` placeholders (:class:`string.Template`); the contract text itself comes
from the domain (``DOC_ENV`` / ``DOC_POLICY``), written once for the README and the prompts.
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


def notes(domain: str, role: str) -> str:
    """The domain's advice for ``role`` ("env" or "policy"); "" if it has none."""
    return (_text(f"{domain}_{role}_notes.md") or "").strip()


def ideas(domain: str, role: str) -> list[str]:
    """The domain's list of changes to steer candidates with; empty if it has none."""
    text = _text(f"{domain}_{role}_ideas.txt") or ""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
