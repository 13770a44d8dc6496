"""The Atari games by name: Pong, Breakout and Space Invaders hand-made, any other OCAtari game
generic (:mod:`envs.atari.generic`)."""
from __future__ import annotations

from envs.atari import breakout, pong, space_invaders
from envs.atari.game import Game
from envs.atari.generic import generic_game, ocatari_games

GAMES = {module.GAME.name: module.GAME for module in (pong, breakout, space_invaders)}
"""The hand-made games by command-line name."""


def get_game(name: str) -> Game:
    """The game called ``name`` (hand-made or generic); raises ValueError naming the choices."""
    if name in GAMES:
        return GAMES[name]
    if name in ocatari_games():
        return generic_game(name)
    raise ValueError(f"unknown Atari game {name!r}; choose one of {', '.join(GAMES)} or another "
                     f"OCAtari game: {', '.join(g for g in ocatari_games() if g not in GAMES)}")
