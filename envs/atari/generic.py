"""Any OCAtari game without a hand-made module: observation, document and building blocks.

Its observation lists each object category as ``Name`` (the first object) and ``Name0``,
``Name1``, ... (all of them); its document is built from OCAtari's object classes and the ALE's
action meanings; its feedback stages and worst score come from the human reference scores.
"""
from __future__ import annotations

from functools import lru_cache

from envs.atari.game import Game, object_dict, present
from envs.atari.scores import human_stages, human_worst


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


def player_name(categories) -> str:
    """The object a generic game's player is: "Player" if it has one, else the first category."""
    return "Player" if "Player" in categories else categories[0]


MOVES = {"UP": (0, -1), "DOWN": (0, 1), "LEFT": (-1, 0), "RIGHT": (1, 0)}
"""The plain moves of the minimal action sets, as (dx, dy) on the screen."""


def offsets(categories) -> tuple[str, ...]:
    """Primitive calls: the offsets in x and y from the player to each other category."""
    if not categories:
        return ()
    me = player_name(categories)
    return tuple(f'offset(obs, "{name}", "{key}", "{me}")' for name in categories
                 if name != me for key in ("x", "y"))


def chase_macros(categories, meanings: tuple[str, ...]) -> tuple[str, ...]:
    """``choose_action`` macros: hold one action (NOOP aside), or chase (or flee) the nearest
    object of a category with the plain moves of the minimal action set."""
    index = {name: number for number, name in enumerate(meanings)}
    out = [f"@trainable\ndef choose_action(obs):\n    return {index[name]}\n"
           for name in index if name != "NOOP"]
    moves = {name: index[name] for name in MOVES if name in index}
    if len(moves) < 2 or not categories:
        return tuple(out)
    me, rest = player_name(categories), "FIRE" if "FIRE" in index else "NOOP"
    for name in categories:
        if name == me:
            continue
        for sign in (1, -1):
            lines = ["@trainable", "def choose_action(obs):"]
            for move, (ux, uy) in MOVES.items():
                if move not in moves:
                    continue
                axis, direction = ("x", ux) if ux else ("y", uy)
                op = ">" if direction * sign > 0 else "<"
                bound = 4 if op == ">" else -4
                lines.append(f'    if offset(obs, "{name}", "{axis}", "{me}") {op} {bound}:')
                lines.append(f"        return {moves[move]}")
            lines.append(f"    return {index.get(rest, 0)}")
            out.append("\n".join(lines) + "\n")
    return tuple(out)


@lru_cache(maxsize=None)
def generic_game(name: str) -> Game:
    """The :class:`Game` of an OCAtari game without a hand-made module."""
    meanings = action_meanings(name)
    categories = tuple(object_classes(name))
    return Game(name, f"ALE/{name}-v5", len(meanings), False, observe_generic,
                generic_doc(name, meanings), template="generic.py", worst=human_worst(name),
                stages=human_stages(name), objects=categories, primitives=offsets(categories),
                macros={"choose_action": chase_macros(categories, meanings)})
