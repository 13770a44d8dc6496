"""The body of an exported meta-policy module (see :mod:`coevolve.export`).

This file is standalone on purpose: ``coevolve export`` copies it, below the run's ``DOMAIN``,
``WEIGHTS`` and ``SOURCES``, into one module that needs only numpy and the domain's simulator
(never this project). The paper's meta-policy: at the start of each episode the agent samples
one policy of the MSNE support by its weight, and acts with it for the whole episode.

Each policy program is executed into a module of its own at the start of every episode, after
``random`` and ``numpy.random`` are seeded with the episode's seed -- exactly as the harness
plays it -- so globals never collide and memory never leaks between episodes.
"""
import random
import types

import numpy as np

DOMAIN = ""
"""The domain the policies were evolved in: "minigrid", "pygame" or "driving"."""
WEIGHTS = {}
"""Each support policy's MSNE weight, by archive label (they sum to 1)."""
SOURCES = {}
"""Each support policy's program source, by archive label."""


def load_policy(label: str, seed: int) -> types.ModuleType:
    """A fresh module holding the policy program ``label``, executed after seeding."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    module = types.ModuleType(f"meta_policy_{label}")
    exec(compile(SOURCES[label], f"<{label}>", "exec"), module.__dict__)
    return module


class MetaPolicy:
    """Samples one support policy per episode from its own seeded generator, then acts.

    Call :meth:`reset` at the start of each episode, then call the object as the chosen
    program's ``policy`` would be called (MiniGrid: ``(obs, agent_pos, agent_dir)``; PyGame:
    ``(obs)``). :meth:`play` does both on a gymnasium environment.
    """

    def __init__(self, seed: int = 0):
        self.rng = random.Random(seed)
        self.labels = sorted(WEIGHTS)
        self.label = None
        self.module = None

    def sample(self) -> str:
        """The next episode's policy label, drawn by weight from this object's generator."""
        return self.rng.choices(self.labels, [WEIGHTS[k] for k in self.labels])[0]

    def reset(self, seed: int = 0) -> str:
        """Start an episode: sample a policy and load it fresh; returns its label."""
        self.label = self.sample()
        self.module = load_policy(self.label, seed)
        return self.label

    def __call__(self, *observation):
        """The current episode's action."""
        if self.module is None:
            raise RuntimeError("call reset() at the start of each episode before acting")
        return self.module.policy(*observation)

    def play(self, env, seed: int = 0, max_steps: int | None = None) -> dict:
        """One episode on a gymnasium environment of the policies' domain.

        MiniGrid: any ``MiniGrid-*`` environment, observed as the contract defines it (the full
        grid ``env.grid.encode()``, the agent's cell and direction). PyGame: the navigation
        arena (``CoevolveNav-v0``) or a program's ``CustomEnv``.

        Returns:
            ``{"policy": label, "success": bool, "return": float, "steps": int}``.
        """
        label = self.reset(seed)
        obs, info = env.reset(seed=seed)
        base = getattr(env, "unwrapped", env)
        limit = max_steps or getattr(base, "max_steps", None) or 10**6
        total, steps, success = 0.0, 0, False
        while steps < limit:
            action = self._act(base, obs)
            obs, reward, terminated, truncated, info = env.step(action)
            total, steps = total + float(reward), steps + 1
            if terminated or truncated:
                success = bool(info.get("success", terminated and reward > 0))
                break
        return {"policy": label, "success": success, "return": total, "steps": steps}

    def _act(self, base, obs):
        if DOMAIN == "minigrid":
            agent = (int(base.agent_pos[0]), int(base.agent_pos[1]))
            return int(self(base.grid.encode(), agent, int(base.agent_dir)))
        if DOMAIN == "pygame":
            return np.clip(np.asarray(self(obs), dtype=float), -1.0, 1.0)
        return self(obs)
