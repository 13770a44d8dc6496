"""The Program value: one self-contained Python source file with its provenance."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

KINDS = ("env", "policy")


def source_sha256(source: str) -> str:
    """Hex sha256 of a program's source text (its identity everywhere in a run)."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Origin:
    """Who wrote a program, and when."""

    designer: str = "seed"
    """"seed", "offline", "llm", "user", ..."""
    model: str | None = None
    """LLM model name for the llm designer; None otherwise."""
    iteration: int | None = None
    """Co-evolution iteration that produced it; None for seeds and user programs."""
    note: str = ""
    """What changed relative to the parent, in a phrase (mutation description, repair round, ...)."""


@dataclass(frozen=True)
class Program:
    """An environment or policy program of one domain."""

    kind: str
    """"env" or "policy"."""
    domain: str
    """Domain name, e.g. "minigrid"."""
    source: str
    """The full Python source."""
    parent: str | None = None
    """sha256 of the program this one was derived from."""
    origin: Origin = field(default_factory=Origin)
    """Provenance: designer, model, iteration."""
    sha256: str = field(init=False)
    """sha256 of ``source``; computed."""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"program kind must be one of {KINDS}, got {self.kind!r}")
        object.__setattr__(self, "sha256", source_sha256(self.source))

    @property
    def short(self) -> str:
        """First 10 hex digits of the sha256, for labels and logs."""
        return self.sha256[:10]
