"""Where an Atari run stands, rebuilt from its run directory (``iterations.jsonl`` and programs/).

Every finished iteration appends one record to ``iterations.jsonl`` (written atomically by
:class:`coevolve.store.RunStore`); the record names the best program's file, the elites' files
and every candidate it looked at, so the last record and the programs it names are the whole
state: nothing else is saved, and a resumed run continues from there.
"""
from __future__ import annotations

from dataclasses import dataclass

from coevolve.atari.evaluation import DOMAIN
from coevolve.program import Program
from coevolve.store import RunStore


@dataclass(frozen=True)
class AtariState:
    """The run after its last finished iteration."""

    iteration: int
    """Last finished iteration; 0 means only the starter has been evaluated."""
    best: Program
    """The best program so far."""
    best_file: str
    """Its file, relative to the run directory."""
    best_mean: float
    """Its mean full-episode score."""
    best_std: float
    """Its standard deviation."""
    elites: tuple[tuple[float, str], ...] = ()
    """Up to E (mean, file) pairs, best first, for crossover and restarts."""
    known: frozenset = frozenset()
    """sha256 of every program evaluated or rejected: none is proposed or evaluated again."""
    history: tuple = ()
    """The finished iterations' records (the learning curve and its budgets)."""
    env_steps: int = 0
    """Environment steps used so far (traces, checks, screening and full evaluations)."""
    seconds: float = 0.0
    """Wall-clock seconds spent so far."""

    @property
    def best_source(self) -> str:
        """The best program's source."""
        return self.best.source


def read_policy(store: RunStore, file: str) -> Program:
    """The policy program archived at ``file`` (relative to the run)."""
    return Program("policy", DOMAIN, store.read(file))


def load_state(store: RunStore) -> AtariState | None:
    """The state after the last finished iteration, or None before the first."""
    records = tuple(store.iterations())
    if not records:
        return None
    last = records[-1]
    return AtariState(
        iteration=last["iteration"], best=read_policy(store, last["best"]["file"]),
        best_file=last["best"]["file"], best_mean=last["best_mean"], best_std=last["best_std"],
        elites=tuple((e["mean"], e["file"]) for e in last["elites"]),
        known=frozenset(c["sha256"] for r in records for c in r["candidates"] if c["sha256"]),
        history=records, env_steps=last["env_steps"], seconds=last["seconds"])
