"""Atari games: how OCAtari objects become the observation dict, and the game facts.

Pong, Breakout and Space Invaders have hand-made observations and documents; every other game
OCAtari supports in RAM mode is *generic* (:func:`generic_game`): its observation lists each
object category as ``Name`` (the first object) and ``Name0``, ``Name1``, ... (all of them), and
its document is built from OCAtari's object classes and the ALE's action meanings.

Every fact in the ``doc`` texts below was checked against the emulator (ALE 0.12, OCAtari 2.2.1,
RAM mode, frameskip 4) by ``experiments/atari_actions.py`` and ``tests/envs/test_atari_games.py``.
The same texts are the designer's (and an LLM's) description of each game.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable


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


def observe_pong(objects, info: dict) -> dict:
    """Pong: ``Player``, ``Ball``, ``Enemy`` (each only while visible)."""
    return {obj.category: object_dict(obj) for obj in present(objects)}


BREAKOUT_ROWS = ("RB", "OB", "YB", "GB", "AB", "BB")
"""Block-row keys from the top row (red, y=57) down to the bottom row (blue, y=87), 6 px apart."""


def observe_breakout(objects, info: dict) -> dict:
    """Breakout: ``Player``, ``Ball``, block rows ``RB``..``BB`` and ``lives``."""
    obs = {key: [] for key in BREAKOUT_ROWS}
    for obj in present(objects):
        if obj.category == "Block":
            row = BREAKOUT_ROWS[(int(obj.y) - 57) // 6]
            obs[row].append({"x": int(obj.x), "y": int(obj.y), "w": int(obj.w), "h": int(obj.h)})
        else:
            obs[obj.category] = object_dict(obj)
    obs["lives"] = int(info.get("lives", 0))
    return obs


def observe_space_invaders(objects, info: dict) -> dict:
    """Space Invaders: ``Player``, ``Satellite``, and ``Alien0..``, ``Shield0..``, ``Bullet0..``."""
    obs, counts = {}, {}
    for obj in present(objects):
        if obj.category in ("Player", "Satellite"):
            obs[obj.category] = object_dict(obj)
        else:
            index = counts.get(obj.category, 0)
            counts[obj.category] = index + 1
            obs[f"{obj.category}{index}"] = object_dict(obj)
    return obs


PONG_DOC = """\
Pong (ALE/Pong-v5). You control the RIGHT paddle ("Player", x=140, 4 px wide, 15 px tall)
against the computer's left paddle ("Enemy", x=16). obs is a dict with keys "Player", "Ball",
"Enemy", each {x, y, w, h, dx, dy}: x, y the top-left corner in pixels (y grows DOWNWARD),
dx, dy the movement since the previous step (0 on the step an object appears). A key is absent while the object is not visible
(the ball is missing between points). The ball (2x4 px) bounces off the top wall (ball y=31)
and the bottom wall (ball y=193); it reaches your paddle's column at x=140 (dx > 0 when it
comes toward you) and is lost behind it. The paddle's y ranges from 34 (top) to 190 (bottom). Actions (checked on the
emulator): 0 NOOP and 1 FIRE keep the paddle still; 2 RIGHT and 4 RIGHTFIRE move the paddle UP
(y decreases); 3 LEFT and 5 LEFTFIRE move it DOWN (y increases). Reward +1 when the enemy
misses, -1 when you miss; the game ends when one side reaches 21 (score range -21..21)."""

BREAKOUT_DOC = """\
Breakout (ALE/Breakout-v5). You control the paddle ("Player", y=189, 16 px wide, 4 px tall) at
the bottom. obs is a dict: "Player" and "Ball" as {x, y, w, h, dx, dy} (x, y top-left, y grows
DOWNWARD; "Ball" is absent while no ball is in play), the block rows "RB", "OB", "YB", "GB",
"AB", "BB" (red y=57, orange y=63, yellow y=69, green y=75, aqua y=81, blue y=87), each a list
of {x, y, w, h} segments of adjacent remaining blocks (each block 8 px wide, 6 px tall, x from
8 to 151), and "lives" (5 at the start). The paddle's x ranges from 8 (left) to 144 (right), so
its centre is x + 8; the ball (2x4 px) bounces off the side walls (ball x 8..151) and the top,
and is lost below the paddle. Actions (checked on the emulator): 0 NOOP; 1 FIRE (launches a
new ball; the harness presses it after reset and after each lost life); 2 RIGHT moves the paddle
right (x increases); 3 LEFT moves it left. Points per block: yellow and green 4, aqua and blue 1
(checked), red and orange 7 (the game's rule). The game ends when the 5 lives are lost."""

SPACE_INVADERS_DOC = """\
Space Invaders (ALE/SpaceInvaders-v5). You control the laser cannon ("Player", y=185, 7 px
wide) at the bottom. obs is a dict: "Player" and, while it flies, "Satellite" (the mystery ship
at the top), and numbered keys "Alien0", "Alien1", ... (the invaders still alive, 8x10 px,
marching sideways and stepping down), "Shield0".. (the three shields, y about 157), and
"Bullet0".. (every shot in flight: yours move UP, dy < 0; the aliens' bombs move DOWN, dy > 0),
each {x, y, w, h, dx, dy} with x, y the top-left corner (y grows DOWNWARD). The cannon's x
ranges from 34 (left) to 116 (right) and cannot move during the first ~35 steps of each life.
Actions (checked on the emulator): 0 NOOP; 1 FIRE shoots (only one of your shots can fly at a
time); 2 RIGHT moves right (x increases); 3 LEFT moves left; 4 RIGHTFIRE and 5 LEFTFIRE move
and shoot. Points: aliens 5 to 30 (higher rows are worth more), satellite up to 200. Three
lives; a bomb hit costs a life; the game ends when the lives are gone or the aliens land."""


@dataclass(frozen=True)
class Game:
    """One supported Atari game."""

    name: str
    """Command-line name: "Pong", "Breakout" or "SpaceInvaders"."""
    env_id: str
    """Gymnasium / OCAtari id."""
    n_actions: int
    """Size of the minimal action set; valid actions are 0..n_actions-1."""
    fire_on_life_start: bool
    """Whether the harness presses FIRE after reset and after each lost life."""
    observe: Callable[[list, dict], dict]
    """Builds the observation dict from the OCAtari objects and the step's info."""
    doc: str
    """The game facts for a policy designer."""


GAMES = {
    "Pong": Game("Pong", "ALE/Pong-v5", 6, False, observe_pong, PONG_DOC),
    "Breakout": Game("Breakout", "ALE/Breakout-v5", 4, True, observe_breakout, BREAKOUT_DOC),
    "SpaceInvaders": Game("SpaceInvaders", "ALE/SpaceInvaders-v5", 6, False,
                          observe_space_invaders, SPACE_INVADERS_DOC),
}
"""The supported games by command-line name."""


def observe_generic(objects, info: dict) -> dict:
    """Any game: each category as ``Name`` (its first object) and ``Name0``, ``Name1``, ...

    ``lives`` is added when the ALE reports it.
    """
    obs, counts = {}, {}
    for obj in present(objects):
        item = object_dict(obj)
        index = counts.get(obj.category, 0)
        counts[obj.category] = index + 1
        if index == 0:
            obs[obj.category] = item
        obs[f"{obj.category}{index}"] = dict(item)
    if "lives" in info:
        obs["lives"] = int(info["lives"])
    return obs


def ocatari_games() -> tuple[str, ...]:
    """Games OCAtari extracts objects for in RAM mode (those with a module in ``ocatari.ram``)."""
    import importlib.util

    from ocatari.core import AVAILABLE_GAMES

    return tuple(g for g in AVAILABLE_GAMES
                 if importlib.util.find_spec(f"ocatari.ram.{g.lower()}") is not None)


def object_classes(name: str) -> dict[str, tuple[int, str]]:
    """``{category: (maximum count, OCAtari's description)}`` of a game's non-HUD objects."""
    import importlib
    import inspect

    module = importlib.import_module(f"ocatari.ram.{name.lower()}")
    out = {}
    for category, count in getattr(module, "MAX_NB_OBJECTS", {}).items():
        cls = getattr(module, category, None)
        own = cls.__dict__.get("__doc__") if cls is not None else None  # not the parent's
        doc = " ".join(inspect.cleandoc(own or "").split(":ivar")[0].split())
        out[category] = (int(count), doc)
    return out


@lru_cache(maxsize=None)
def action_meanings(name: str) -> tuple[str, ...]:
    """The ALE's meanings of a game's minimal action set (builds the emulator once)."""
    import ale_py
    import gymnasium

    gymnasium.register_envs(ale_py)
    env = gymnasium.make(f"ALE/{name}-v5", full_action_space=False)
    try:
        return tuple(env.unwrapped.get_action_meanings())
    finally:
        env.close()


def generic_doc(name: str, meanings: tuple[str, ...]) -> str:
    """The facts of a generic game: objects, fields, actions, and what is not known."""
    lines = [f"{name} (ALE/{name}-v5), objects as OCAtari extracts them from the RAM. obs is a "
             "dict: for every object category present, obs[NAME] is its first object and "
             "obs[NAME0], obs[NAME1], ... are all of them, each {x, y, w, h, dx, dy} (x, y the "
             "top-left corner in pixels of the 160x210 screen, y grows DOWNWARD; dx, dy the "
             "movement since the previous step, 0 on the step an object appears); a key is "
             "absent while no such object is visible; obs['lives'] is the lives left when the "
             "game has lives. Object categories (at most how many at once):"]
    for category, (count, doc) in object_classes(name).items():
        lines.append(f"- {category} (up to {count})" + (f": {doc}" if doc else ""))
    lines.append("Actions (the ALE's minimal action set): "
                 + ", ".join(f"{i} {m}" for i, m in enumerate(meanings)) + ".")
    lines.append("Which object you control and what scores are not checked for this game: "
                 "find out from the score.")
    return "\n".join(lines)


@lru_cache(maxsize=None)
def generic_game(name: str) -> Game:
    """The generic :class:`Game` for an OCAtari game without a hand-made observation."""
    meanings = action_meanings(name)
    return Game(name, f"ALE/{name}-v5", len(meanings), False, observe_generic,
                generic_doc(name, meanings))


def get_game(name: str) -> Game:
    """The game called ``name`` (hand-made or generic); raises ValueError naming the choices."""
    if name in GAMES:
        return GAMES[name]
    if name in ocatari_games():
        return generic_game(name)
    raise ValueError(f"unknown Atari game {name!r}; choose one of {', '.join(GAMES)} or another "
                     f"OCAtari game: {', '.join(g for g in ocatari_games() if g not in GAMES)}")
