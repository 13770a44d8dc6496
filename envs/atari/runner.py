"""The Atari episode runner: one OCAtari environment per worker process, reused across episodes.

:func:`play` is the episode loop, written once: :func:`run_episode` calls it in the sandbox and
:mod:`coevolve.atari.standalone` copies it, by source, into the standalone best policy. OCAtari's
``step`` returns ``obs, reward, truncated, terminated, info`` -- the two flags in the opposite
order to gymnasium -- and its ``create_buffer_stacks`` argument is a shared mutable default, so
every environment is built with a fresh empty list.

OCAtari, gymnasium and ale_py are imported here, at the top, so that a sandbox worker that
preloads :mod:`envs.atari` has them in memory before it forks: imported in each program
process instead, they cost about 1.4 s of every group of episodes.
"""
from __future__ import annotations

import time

import ale_py
import gymnasium
import numpy as np
from ocatari.core import OCAtari

from envs.api import EpisodeResult, ProgramError
from envs.atari.game import settle_motion
from envs.atari.games import get_game
from envs.atari.protocol import FRAMESKIP, MAX_FRAMES, Protocol
from envs.atari.trace import instrument

FIRE = 1
"""The FIRE action in the minimal action set of the games the harness presses it for."""

_ENVS: dict = {}
"""Environments of this process by (game, sticky): construction takes about a second."""


def open_env(env_id: str, sticky: float):
    """A new OCAtari environment: RAM mode, frameskip 4, the minimal action set and at most
    108,000 frames per episode, as the ALE's v5 environments define; ``sticky`` is the
    repeat-action probability."""
    gymnasium.register_envs(ale_py)
    return OCAtari(env_id, mode="ram", hud=False, render_mode=None, create_buffer_stacks=[],
                   frameskip=FRAMESKIP, repeat_action_probability=float(sticky), obs_type="ram",
                   full_action_space=False, max_num_frames_per_episode=MAX_FRAMES)


def make_env(game: str, sticky: float = 0.0):
    """The process's OCAtari environment for ``game``, built once."""
    key = (game, float(sticky))
    if key not in _ENVS:
        _ENVS[key] = open_env(get_game(game).env_id, sticky)
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


def play(env, act, observe, n_actions: int, fire_on_life_start: bool, *, seed: int,
         max_steps: int, stop_score: float | None = None, watch=None) -> dict:
    """Play one episode on ``env`` with ``act``; the program's exception ends it, as its result.

    ``watch(steps, score)``, if given, is called after every step the policy chose.

    Returns:
        ``score``, ``steps`` (automatic FIRE presses included), ``policy_seconds``, ``error``
        (None, or the program's exception as text), ``rewards`` (``(step, action, reward)`` of
        every rewarded step) and ``lives`` at the end.
    """
    _, info = env.reset(seed=seed)
    score, steps, policy_seconds, rewards, error, obs = 0.0, 0, 0.0, [], None, {}
    done, lives = False, info.get("lives", 0)
    if fire_on_life_start:
        reward, terminated, truncated, info = step(env, FIRE)
        score, steps, done = score + reward, steps + 1, terminated or truncated
    while not done and steps < max_steps:
        obs = settle_motion(observe(env.objects, info), obs)
        start = time.perf_counter()
        try:
            action = check_action(act(obs), n_actions)
        except Exception as exc:  # the program's own failure is the result, not a crash
            error = f"{type(exc).__name__}: {exc}"
            break
        finally:
            policy_seconds += time.perf_counter() - start
        reward, terminated, truncated, info = step(env, action)
        score, steps, done = score + reward, steps + 1, terminated or truncated
        if watch is not None:
            watch(steps, score)
        if reward:
            rewards.append((steps, action, reward))
        if stop_score is not None and score >= stop_score:
            break
        if fire_on_life_start and not done and info.get("lives", lives) < lives:
            reward, terminated, truncated, info = step(env, FIRE)
            score, steps, done = score + reward, steps + 1, terminated or truncated
        lives = info.get("lives", lives)
    return {"score": score, "steps": steps, "policy_seconds": policy_seconds, "error": error,
            "rewards": rewards, "lives": int(lives)}


def run_episode(env_module, policy_module, *, seed: int, trace: bool = False) -> EpisodeResult:
    """Play one episode of ``policy_module.act`` under the protocol ``env_module`` defines.

    Args:
        env_module: the executed protocol program (:class:`envs.atari.protocol.Protocol`
            ``.source()``), or a Protocol itself.
        policy_module: the executed policy program; must define ``act(obs) -> int``.
        seed: seeds the emulator (the job runner seeds ``random`` and ``numpy.random``).
        trace: if True, ``EpisodeResult.trace`` holds the rewarded steps (``rewards``), the
            final ``lives``, and every trainable call (``calls``; ``dropped`` beyond the cap).

    Returns:
        ``EpisodeResult`` with ``ret`` the game score and ``success`` always False (not
        meaningful here).
    """
    protocol = Protocol.of(env_module)
    game = get_game(protocol.game)
    calls = instrument(policy_module) if trace else None
    out = play(make_env(game.name, protocol.sticky), policy_module.act, game.observe,
               game.n_actions, game.fire_on_life_start, seed=seed,
               max_steps=protocol.max_steps, stop_score=protocol.stop_score)
    record = None
    if trace:
        record = {"rewards": out["rewards"], "lives": out["lives"], "calls": calls["calls"],
                  "dropped": calls["dropped"]}
    return EpisodeResult(success=False, ret=out["score"], steps=out["steps"],
                         policy_seconds=out["policy_seconds"], error=out["error"], trace=record)
