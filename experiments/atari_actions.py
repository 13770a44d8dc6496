"""Check the Atari game facts stated in the envs/atari game modules against the emulator.

Plays each action alone from reset and prints how the controlled object moves, the coordinate
ranges seen, and the points per Breakout row. Run:
``SDL_VIDEODRIVER=dummy .venv/bin/python experiments/atari_actions.py``
"""
from __future__ import annotations

import numpy as np

from envs.atari import GAMES, make_env
from envs.atari.breakout import BREAKOUT_ROWS
from envs.atari.runner import step


def observe(game, env, info):
    return GAMES[game].observe(env.objects, info)


def action_effects(game: str, wait: int, lead: int = 0) -> None:
    """Hold each action for 40 steps after ``wait`` steps of action ``lead`` (to leave the
    start position and its wall); print the player's x and y range."""
    env = make_env(game)
    for action in range(GAMES[game].n_actions):
        _, info = env.reset(seed=0)
        for _ in range(wait):
            _, _, _, info = step(env, lead)
        start = observe(game, env, info)["Player"]
        xs, ys = [], []
        for _ in range(40):
            _, _, _, info = step(env, action)
            player = observe(game, env, info)["Player"]
            xs.append(player["x"])
            ys.append(player["y"])
        print(f"{game:14s} action {action}: x {start['x']} -> {min(xs)}..{max(xs)}, "
              f"y {start['y']} -> {min(ys)}..{max(ys)}")


def ranges(game: str, steps: int = 3000) -> None:
    """Coordinate ranges of every object under a random policy."""
    env = make_env(game)
    rng = np.random.default_rng(0)
    _, info = env.reset(seed=1)
    seen: dict[str, list] = {}
    for _ in range(steps):
        _, terminated, truncated, info = step(env, int(rng.integers(GAMES[game].n_actions)))
        for key, item in observe(game, env, info).items():
            if isinstance(item, dict):
                seen.setdefault(key.rstrip("0123456789"), []).append((item["x"], item["y"]))
        if terminated or truncated:
            _, info = env.reset(seed=2)
    for key, points in sorted(seen.items()):
        xs, ys = zip(*points)
        print(f"{game:14s} {key:9s} x {min(xs)}..{max(xs)}  y {min(ys)}..{max(ys)}")


def breakout_points() -> None:
    """Points per block row: reward when a row's block count drops, tracking the ball."""
    env = make_env("Breakout")
    _, info = env.reset(seed=0)
    _, _, _, info = step(env, 1)
    points: dict[str, set] = {}
    for _ in range(6000):
        obs = observe("Breakout", env, info)
        before = {r: sum(b["w"] for b in obs[r]) for r in BREAKOUT_ROWS}
        action = 1
        if "Ball" in obs:
            centre = obs["Player"]["x"] + 8
            action = 2 if obs["Ball"]["x"] > centre + 2 else 3 if obs["Ball"]["x"] < centre - 2 else 0
        reward, terminated, truncated, info = step(env, action)
        after = observe("Breakout", env, info)
        hit = [r for r in BREAKOUT_ROWS if sum(b["w"] for b in after[r]) < before[r]]
        if reward and len(hit) == 1:
            points.setdefault(hit[0], set()).add(reward)
        if terminated or truncated:
            _, info = env.reset(seed=1)
            _, _, _, info = step(env, 1)
    print("Breakout points per row:", {r: sorted(points.get(r, ())) for r in BREAKOUT_ROWS})


if __name__ == "__main__":
    action_effects("Pong", 0)
    action_effects("Breakout", 0)
    action_effects("SpaceInvaders", 60, lead=2)
    for name in GAMES:
        ranges(name)
    breakout_points()
