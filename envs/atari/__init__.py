"""The Atari domain: fixed games through OCAtari in RAM mode (:mod:`envs.atari.games`).

Only the policy is a program here: it defines ``act(obs) -> int`` over the observation dict its
game builds from OCAtari's objects. The environment side of a pair is the evaluation protocol
(:class:`envs.atari.protocol.Protocol`), so the protocol's level parts (``check_env``,
``render``, ``heldout_suite``) do not apply.
"""
from __future__ import annotations

from envs.atari.game import Game
from envs.atari.games import GAMES, get_game
from envs.atari.protocol import Protocol
from envs.atari.runner import make_env, run_episode

NAME = "atari"
ENV_REQUIRED: tuple[str, ...] = ()
POLICY_REQUIRED: tuple[str, ...] = ("act",)
ALLOWED_IMPORTS = frozenset({"ocatari", "gymnasium", "ale_py"})
"""Beyond the safe standard library and numpy; used only by a policy's ``__main__`` block."""
DEFAULT_MAX_SECONDS = 600.0
SEED_ENV = Protocol("Pong").source()
DOC_ENV = "Atari games are fixed simulators; the environment is the evaluation protocol."

CONTRACT = """\
An Atari policy program defines `act(obs) -> int`: it receives the observation dict of the
current step and returns an action index of the game's minimal action set. It may import the
standard library and numpy; it may keep memory in module globals or function attributes (every
episode starts from a freshly executed module; `random` and `numpy.random` are seeded)."""


def policy_doc(game: str) -> str:
    """The policy contract followed by the facts of ``game``."""
    return CONTRACT + "\n\n" + get_game(game).doc


DOC_POLICY = CONTRACT + "\n\n" + "\n\n".join(game.doc for game in GAMES.values())

__all__ = ["NAME", "ENV_REQUIRED", "POLICY_REQUIRED", "ALLOWED_IMPORTS", "DEFAULT_MAX_SECONDS",
           "SEED_ENV", "DOC_ENV", "DOC_POLICY", "CONTRACT", "GAMES", "Game", "Protocol",
           "get_game", "policy_doc", "make_env", "run_episode"]
