"""MiniGrid policies played on MiniGrid's built-in levels through the policy contract.

The episode loop here is deliberately small and local: it executes a policy program into a fresh
module per episode, feeds ``grid.encode()``, the agent's cell and direction, and counts a
positive reward as success.
"""
import functools
import types

import gymnasium as gym
import minigrid  # noqa: F401  (registers the MiniGrid-* ids)
import numpy as np
import pytest

from policies.minigrid import SEED_POLICY, assemble_policy, mutate_policy

ASSEMBLED = assemble_policy(
    ["open_door_ahead", "get_key", "plan_to_goal"],
    {"avoid_lava": True, "plan_through_doors": True})
"""Path planning, keys, doors and lava avoidance composed from catalogue blocks."""


@functools.lru_cache(maxsize=None)
def _env(env_id: str, max_steps: int | None):
    """One environment instance per (id, step limit), reused across episodes."""
    kwargs = {} if max_steps is None else {"max_steps": max_steps}
    return gym.make(env_id, **kwargs).unwrapped


def play(source: str, env_id: str, seed: int, max_steps: int | None = None) -> bool:
    """Play one episode of the policy program on a seeded level; True if it reached the goal."""
    env = _env(env_id, max_steps)
    env.reset(seed=seed)
    module = types.ModuleType("policy_program")
    exec(compile(source, "<policy>", "exec"), module.__dict__)
    while True:
        action = module.policy(env.grid.encode(), tuple(env.agent_pos), env.agent_dir)
        assert isinstance(action, int) and 0 <= action <= 5, f"bad action {action!r}"
        _, reward, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            return reward > 0


def solved(source: str, env_id: str, seeds, max_steps: int | None = None) -> int:
    """How many of the seeded levels the policy solves."""
    return sum(play(source, env_id, seed, max_steps) for seed in seeds)


def test_seed_policy_solves_empty_room():
    assert solved(SEED_POLICY, "MiniGrid-Empty-8x8-v0", range(5)) == 5


def test_seed_policy_is_naive_and_fails_doorkey():
    assert solved(SEED_POLICY, "MiniGrid-DoorKey-8x8-v0", range(3)) == 0


@pytest.mark.parametrize("env_id", [
    "MiniGrid-DoorKey-8x8-v0", "MiniGrid-LavaGapS7-v0", "MiniGrid-MultiRoom-N6-v0",
    "MiniGrid-LockedRoom-v0", "MiniGrid-FourRooms-v0"])
def test_assembled_blocks_solve_builtin_levels(env_id):
    assert solved(ASSEMBLED, env_id, range(10)) >= 8


def test_lava_avoidance_must_be_switched_on():
    careless = assemble_policy(["plan_to_goal"])
    assert solved(careless, "MiniGrid-LavaGapS7-v0", range(5)) <= 1  # crosses lava when shorter
    careful = assemble_policy(["plan_to_goal"], {"avoid_lava": True})
    assert solved(careful, "MiniGrid-LavaGapS7-v0", range(5)) == 5


def _room(width=7, height=5):
    """A walled room as ``grid.encode()`` would give it: empty cells, walls on the border."""
    obs = np.zeros((width, height, 3), dtype=np.uint8)
    obs[:, :, 0] = 1
    obs[[0, -1], :, 0] = 2
    obs[:, [0, -1], 0] = 2
    return obs


def test_carried_key_is_remembered_and_dropped_when_another_door_needs_another_key():
    module = types.ModuleType("policy_program")
    exec(assemble_policy(["drop_useless_key", "get_key"]), module.__dict__)
    yellow, red = 4, 0
    obs = _room()
    obs[6, 2] = (4, red, 2)  # a red locked door in the east wall
    obs[2, 2] = (5, yellow, 0)  # a yellow key in front of the agent
    assert module.policy(obs, (1, 2), 0) == 3  # no red key in sight: pick up the yellow one
    obs[2, 2] = (1, 0, 0)  # the key left the grid: the agent carries it
    obs[4, 3] = (5, red, 0)  # a red key turns up
    assert module.policy(obs, (1, 2), 0) == 4  # yellow opens nothing: drop it in front
    assert module._MEM["carrying"] == yellow
    obs[2, 2] = (5, yellow, 0)  # the dropped key is back in the grid
    action = module.policy(obs, (1, 2), 0)
    assert module._MEM["carrying"] is None
    assert action != 3  # heads for the red key rather than re-taking the yellow one


def test_every_mutant_in_a_chain_runs_an_episode():
    rng = np.random.default_rng(7)
    levels = ["MiniGrid-DoorKey-8x8-v0", "MiniGrid-LavaGapS7-v0", "MiniGrid-MultiRoom-N6-v0",
              "MiniGrid-LockedRoom-v0", "MiniGrid-Empty-8x8-v0"]
    source = SEED_POLICY
    for step in range(50):
        source, _ = mutate_policy(source, rng)
        play(source, levels[step % len(levels)], seed=step, max_steps=80)


def _greedy_search(rng_seed: int, mutants: int = 40) -> str:
    """Greedy search from the seed: accept a mutant when it solves no fewer training levels.

    Training levels are DoorKey-8x8 seeds 0..4 with the step limit cut to 64 (a solving policy
    needs at most 25 steps on 200 seeds; the cut only shortens failures, the test's cost).
    """
    rng = np.random.default_rng(rng_seed)
    scores: dict[str, int] = {}

    def fitness(source: str) -> int:
        if source not in scores:
            scores[source] = solved(source, "MiniGrid-DoorKey-8x8-v0", range(5), max_steps=64)
        return scores[source]

    best = SEED_POLICY
    for _ in range(mutants):
        candidate, _ = mutate_policy(best, rng)
        if fitness(candidate) >= fitness(best):
            best = candidate
        if fitness(best) == 5:
            break
    return best


def test_search_from_the_seed_discovers_doorkey_skills():
    found = [_greedy_search(rng_seed) for rng_seed in range(3)]
    held_out = [solved(p, "MiniGrid-DoorKey-8x8-v0", range(100, 110)) for p in found]
    assert sum(score >= 8 for score in held_out) >= 2, held_out


class _KeyedCorridor:
    """A one-cell-wide corridor: a red key, the red locked door, a yellow key lying in the way, the goal."""

    def __new__(cls):
        from minigrid.core.grid import Grid
        from minigrid.core.mission import MissionSpace
        from minigrid.core.world_object import Door, Goal, Key
        from minigrid.minigrid_env import MiniGridEnv

        class Corridor(MiniGridEnv):
            def __init__(self):
                super().__init__(mission_space=MissionSpace(mission_func=lambda: "reach the goal"),
                                 width=11, height=3, max_steps=200)

            def _gen_grid(self, width, height):
                self.grid = Grid(width, height)
                self.grid.wall_rect(0, 0, width, height)
                self.grid.set(2, 1, Key("red"))
                self.grid.set(4, 1, Door("red", is_locked=True))
                self.grid.set(6, 1, Key("yellow"))
                self.put_obj(Goal(), 9, 1)
                self.agent_pos, self.agent_dir = (1, 1), 0
        return Corridor()


def _play_corridor(source: str) -> tuple[bool, list]:
    env = _KeyedCorridor()
    env.reset(seed=0)
    module = types.ModuleType("policy_program")
    exec(compile(source, "<policy>", "exec"), module.__dict__)
    actions = []
    while True:
        actions.append(module.policy(env.grid.encode(), tuple(env.agent_pos), env.agent_dir))
        _, reward, terminated, truncated, _ = env.step(actions[-1])
        if terminated or truncated:
            return reward > 0, actions


def test_clear_the_way_moves_the_keys_that_bar_a_corridor_and_opens_its_door():
    without = assemble_policy(["open_door_ahead", "plan_to_goal", "get_key"], {"avoid_lava": True})
    assert not _play_corridor(without)[0]
    solved, actions = _play_corridor(assemble_policy(["open_door_ahead", "plan_to_goal", "clear_the_way"]))
    assert solved
    assert actions.count(3) == 2 and actions.count(4) == 1  # both keys picked up, the red one put down
    assert len(actions) <= 20
