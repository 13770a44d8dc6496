"""How an Atari game is played: the ALE v5 constants, and the protocol an evaluation plays by.

Atari games are fixed simulators, so the environment side of a pair is no level: it is a
:class:`Protocol` (the game, sticky actions, the step limit, an early-stop score) written as a
four-line program (:meth:`Protocol.source`). The harness evaluates a policy on that program like
on any environment program: its sha256 keys the cached results and sets the episode seeds, and
``purpose`` tells apart episode sets of the same game ("evaluation", "test", "screening 3").
"""
from __future__ import annotations

from dataclasses import dataclass, fields

STICKY = 0.25
"""The ALE's standard repeat-action probability (Machado et al., 2018; ALE v5)."""
MAX_FRAMES = 108_000
"""Emulator frames after which an episode is truncated (ALE v5): 27,000 agent steps."""
FRAMESKIP = 4
"""Emulator frames per agent step."""
MAX_STEPS = MAX_FRAMES // FRAMESKIP
"""Agent steps of a standard-protocol episode."""


@dataclass(frozen=True)
class Protocol:
    """The environment side of an Atari evaluation."""

    game: str
    """The game's command-line name, e.g. "Pong"."""
    sticky: float = STICKY
    """Probability that the emulator repeats the previous action."""
    max_steps: int = MAX_STEPS
    """Agent steps (4 frames each) before an episode is cut."""
    stop_score: float | None = None
    """End an episode early once its score reaches this; None plays it out."""
    purpose: str = "evaluation"
    """What the episodes are for; a different purpose is a different set of episode seeds."""

    def source(self) -> str:
        """The protocol as a program: one upper-case assignment per field."""
        lines = [f'"""Atari protocol: {self.game}, {self.purpose}."""']
        lines += [f"{f.name.upper()} = {getattr(self, f.name)!r}" for f in fields(self)]
        return "\n".join(lines) + "\n"

    @classmethod
    def of(cls, env) -> "Protocol":
        """The protocol of an executed protocol program (or a Protocol itself)."""
        if isinstance(env, cls):
            return env
        return cls(**{f.name: getattr(env, f.name.upper()) for f in fields(cls)})


def describe(sticky: float, max_steps: int) -> dict:
    """The evaluation protocol of a run, as recorded in its summary."""
    return {"sticky_actions": float(sticky), "frameskip": FRAMESKIP, "full_action_space": False,
            "max_agent_steps": int(max_steps), "max_frames": MAX_FRAMES,
            "standard": float(sticky) == STICKY and int(max_steps) >= MAX_STEPS,
            "reference": "Machado et al. 2018 / ALE v5: sticky actions 0.25, minimal action "
                         "set, frameskip 4, episodes up to 108,000 frames"}
