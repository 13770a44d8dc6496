"""The Atari episode runner: one OCAtari environment per worker process, reused across episodes.

OCAtari's ``step`` returns ``obs, reward, truncated, terminated, info`` -- the two flags in the
opposite order to gymnasium -- and its ``create_buffer_stacks`` argument is a shared mutable
default, so every environment is built with a fresh empty list.
"""
from __future__ import annotations

import random
import time

import numpy as np

from envs.api import EpisodeResult, ProgramError
from envs.atari.games import get_game, settle_motion

FIRE = 1
"""The FIRE action in the minimal action set of the games the harness presses it for."""

STICKY = 0.25
"""The ALE's standard repeat-action probability (Machado et al., 2018; ALE v5)."""
MAX_FRAMES = 108_000
"""Emulator frames after which an episode is truncated (ALE v5): 27,000 agent steps."""
FRAMESKIP = 4
"""Emulator frames per agent step."""
MAX_STEPS = MAX_FRAMES // FRAMESKIP
"""Agent steps of a standard-protocol episode."""


def protocol(sticky: float, max_steps: int) -> dict:
    """The evaluation protocol of a run, as recorded in its summary."""
    return {"sticky_actions": float(sticky), "frameskip": FRAMESKIP, "full_action_space": False,
            "max_agent_steps": int(max_steps), "max_frames": MAX_FRAMES,
            "standard": float(sticky) == STICKY and int(max_steps) >= MAX_STEPS,
            "reference": "Machado et al. 2018 / ALE v5: sticky actions 0.25, minimal action "
                         "set, frameskip 4, episodes up to 108,000 frames"}

_ENVS: dict = {}
"""Environments of this process by (game, sticky): construction takes about a second."""


def make_env(game: str, sticky: float = 0.0):
    """The process's OCAtari environment for ``game``, built once.

    RAM mode, frameskip 4, the minimal action set and at most 108,000 frames per episode, as the
    ALE's v5 environments define; ``sticky`` is the repeat-action probability.
    """
    key = (game, float(sticky))
    if key not in _ENVS:
        import ale_py
        import gymnasium
        from ocatari.core import OCAtari

        gymnasium.register_envs(ale_py)
        _ENVS[key] = OCAtari(get_game(game).env_id, mode="ram", hud=False, render_mode=None,
                             create_buffer_stacks=[], frameskip=FRAMESKIP,
                             repeat_action_probability=float(sticky), obs_type="ram",
                             full_action_space=False, max_num_frames_per_episode=MAX_FRAMES)
    return _ENVS[key]


def step(env, action: int) -> tuple[float, bool, bool, dict]:
    """One environment step as ``(reward, terminated, truncated, info)`` in gymnasium's order."""
    _, reward, truncated, terminated, info = env.step(action)  # OCAtari swaps the two flags
    return float(reward), bool(terminated), bool(truncated), info


def check_action(action, n_actions: int) -> int:
    """``action`` as an int in ``0..n_actions-1``; raises ProgramError otherwise."""
    if isinstance(action, (bool, np.bool_)) or not isinstance(action, (int, np.integer)):
        raise ProgramError(f"act(obs) must return an int action, got {type(action).__name__} "
                           f"{action!r}")
    if not 0 <= int(action) < n_actions:
        raise ProgramError(f"act(obs) returned action {int(action)}, outside 0..{n_actions - 1}")
    return int(action)


def run_episode(env_module, policy_module, *, seed: int, game: str, max_steps: int = 4000,
                trace: bool = False, sticky: float = 0.0,
                stop_score: float | None = None) -> EpisodeResult:
    """Play one episode of ``game`` with ``policy_module.act``.

    Args:
        env_module: unused (Atari games are fixed); accepted for the domain protocol.
        policy_module: the executed policy program; must define ``act(obs) -> int``.
        seed: seeds the emulator, and ``random`` and ``numpy.random`` for the program.
        game: "Pong", "Breakout", "SpaceInvaders" or another OCAtari game (generic).
        max_steps: agent steps (each 4 frames) before the episode is cut.
        trace: if True, ``EpisodeResult.trace`` lists ``(step, action, reward)`` for every step
            with a non-zero reward, and the final ``lives``.
        sticky: probability that the emulator repeats the previous action (the standard
            protocol's 0.25, or 0.0 for the paper's deterministic setting).
        stop_score: end the episode early once the score reaches this value.

    Returns:
        ``EpisodeResult`` with ``ret`` the game score, ``steps`` the environment steps used
        (automatic FIRE presses included) and ``success`` always False (not meaningful here).
    """
    spec = get_game(game)
    env = make_env(game, sticky)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    _, info = env.reset(seed=seed)
    score, steps, policy_seconds, events = 0.0, 0, 0.0, []
    done = False
    lives = info.get("lives", 0)
    if spec.fire_on_life_start:
        reward, terminated, truncated, info = step(env, FIRE)
        score, steps, done = score + reward, steps + 1, terminated or truncated
    error, obs = None, {}
    while not done and steps < max_steps:
        obs = settle_motion(spec.observe(env.objects, info), obs)
        start = time.perf_counter()
        try:
            action = check_action(policy_module.act(obs), spec.n_actions)
        except Exception as exc:  # the program's own failure is the result, not a crash
            error = f"{type(exc).__name__}: {exc}"
            break
        finally:
            policy_seconds += time.perf_counter() - start
        reward, terminated, truncated, info = step(env, action)
        score, steps, done = score + reward, steps + 1, terminated or truncated
        if trace and reward:
            events.append((steps, action, reward))
        if stop_score is not None and score >= stop_score:
            break
        if spec.fire_on_life_start and not done and info.get("lives", lives) < lives:
            reward, terminated, truncated, info = step(env, FIRE)
            score, steps, done = score + reward, steps + 1, terminated or truncated
        lives = info.get("lives", lives)
    return EpisodeResult(success=False, ret=score, steps=steps, policy_seconds=policy_seconds,
                         error=error,
                         trace={"rewards": events, "lives": int(lives)} if trace else None)
