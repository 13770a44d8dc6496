"""The state of an Atari optimisation run, saved atomically after every iteration.

A run directory holds ``config.json`` (written once) and ``state.json`` (the last finished
iteration: best program, elites, learning curve, budgets used). Resuming reads both and goes on
with the next iteration; each iteration draws from ``numpy.random.default_rng([seed,
iteration])``, so a resumed run makes the same choices as an uninterrupted one.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from coevolve.store import write_atomic


@dataclass(frozen=True)
class RunState:
    """Everything a run needs to continue after its last finished iteration."""

    iteration: int
    """Last finished iteration; 0 means only the starter has been evaluated."""
    best_source: str
    """The best program so far."""
    best_mean: float
    """Its mean full-episode score."""
    best_std: float
    """Its standard deviation."""
    elites: tuple = ()
    """Up to E (mean, source) pairs, best first, for crossover."""
    history: tuple = ()
    """One dict per finished iteration (the learning curve and its budgets)."""
    env_steps: int = 0
    """Environment steps used so far (traces, screening and full evaluations)."""
    seconds: float = 0.0
    """Wall-clock seconds spent so far."""
    known: dict = None
    """Full evaluations by the sha256 of the program source: ``[mean, std, steps]``. A known
    program is never proposed or evaluated again."""
    test: dict = None
    """The best program's evaluation on the unseen test seeds (once the run has ended)."""

    def __post_init__(self):
        if self.known is None:
            object.__setattr__(self, "known", {})


STATE_FILE = "state.json"


def save_state(directory: Path, state: RunState) -> None:
    """Write ``state.json`` atomically."""
    write_atomic(Path(directory) / STATE_FILE, json.dumps(asdict(state), indent=1))


def load_state(directory: Path) -> RunState | None:
    """The saved state, or None if the directory holds none."""
    path = Path(directory) / STATE_FILE
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    data["elites"] = tuple(tuple(e) for e in data["elites"])
    data["history"] = tuple(data["history"])
    return RunState(**data)
