"""What one Atari game is: the :class:`Game` record, and the observation helpers every game uses.

A game's module (:mod:`envs.atari.pong`, :mod:`~envs.atari.breakout`,
:mod:`~envs.atari.space_invaders`, or :mod:`~envs.atari.generic` for any other OCAtari game)
defines one ``Game`` holding every fact about it: the emulator id and actions, how OCAtari's
objects become the observation dict, the document shown to a designer, the starter template,
the offline optimiser's building blocks, the feedback stages and the traced-rollout horizon.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from envs.atari.scores import Stages


@dataclass(frozen=True)
class Game:
    """One supported Atari game."""

    name: str
    """Command-line name, e.g. "Pong"."""
    env_id: str
    """Gymnasium / OCAtari id, e.g. "ALE/Pong-v5"."""
    n_actions: int
    """Size of the minimal action set; valid actions are 0..n_actions-1."""
    fire_on_life_start: bool
    """Whether the harness presses FIRE after reset and after each lost life."""
    observe: Callable[[list, dict], dict]
    """Builds the observation dict from the OCAtari objects and the step's info."""
    doc: str
    """The game facts for a policy designer (and an LLM's prompt)."""
    template: str
    """The starter program's file in ``policies/atari/templates``."""
    worst: float
    """Score charged to an evaluation in which a program failed: never better than weak play."""
    stages: Stages | None
    """Thresholds of the staged feedback; None for a game without reference scores."""
    objects: tuple[str, ...] = ()
    """Object names the offline optimiser may look up in new ``value(obs, NAME, KEY)`` terms."""
    primitives: tuple[str, ...] = ()
    """Calls of the starter's helper functions the offline optimiser may put into new
    expressions, with the game's documented constants."""
    macros: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Macro mutations: whole trainable functions (by name) built from the primitives."""
    horizon: int = 300
    """Agent steps of the traced rollout an optimiser reads."""


def object_dict(obj) -> dict:
    """An OCAtari object as ``{x, y, w, h, dx, dy}`` of plain ints (x, y: top-left, y down)."""
    return {"x": int(obj.x), "y": int(obj.y), "w": int(obj.w), "h": int(obj.h),
            "dx": int(obj.dx), "dy": int(obj.dy)}


def present(objects) -> list:
    """The objects that exist: OCAtari keeps falsy ``NoObject`` placeholders in empty slots."""
    return [obj for obj in objects if obj]


def settle_motion(obs: dict, previous: dict) -> dict:
    """``obs`` with dx = dy = 0 for objects absent from the previous observation.

    OCAtari measures motion from a fresh object's (0, 0) origin on the step it appears (after
    reset, a new ball), which would report a jump of its whole position.
    """
    for key, item in obs.items():
        if isinstance(item, dict) and "dx" in item and key not in previous:
            item["dx"] = item["dy"] = 0
    return obs
