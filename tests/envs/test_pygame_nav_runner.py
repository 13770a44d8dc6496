"""The episode runner: contract success rule, contained failures, traces, and the PNG renderer."""
import types

import numpy as np
import pytest

from envs.pygame_nav import SEED_ENV, format_trace, render, run_episode
from envs.pygame_nav.program import Layout, env_program
from policies.pygame_nav import SEED_POLICY

# A COvolve-style program: a standalone class drawing with pygame, opening a window in __init__,
# with no seed keyword in reset and no info["success"] (success by the reward >= 1 fallback).
COVOLVE_ENV = '''
import numpy as np
import pygame

GOAL_REWARD = {goal_reward}
INFO = {info}


class CustomEnv:
    def __init__(self, render_mode="human"):
        pygame.init()
        self.screen = pygame.display.set_mode((400, 300))
        self.width, self.height, self.agent_radius, self.speed, self.max_steps = 400, 300, 10, 5.0, 200

    def reset(self):
        self.pos = np.array([50.0, 150.0]) + np.random.uniform(-5.0, 5.0, 2)
        self.goal = pygame.Rect(320, 110, 60, 80)
        self.obstacles = [pygame.Rect(180, 0, 20, 100)]
        self.steps = 0
        return self._obs(), {{}}

    def _obs(self):
        objects = [{{"type": "zone", "pos": list(self.goal.center), "size": [60, 80], "purpose": "goal"}}]
        objects += [{{"type": "obstacle", "pos": [o.x, o.y], "size": [o.w, o.h]}} for o in self.obstacles]
        return {{"agent_pos": [float(self.pos[0]), float(self.pos[1])], "agent_radius": self.agent_radius,
                "bounds": [self.width, self.height], "step_count": self.steps, "max_steps": self.max_steps,
                "objects": objects}}

    def step(self, action):
        new = self.pos + np.clip(np.array(action, dtype=float), -1, 1) * self.speed
        r = self.agent_radius
        disc = pygame.Rect(new[0] - r, new[1] - r, 2 * r, 2 * r)
        inside = r <= new[0] <= self.width - r and r <= new[1] <= self.height - r
        if inside and not any(disc.colliderect(o) for o in self.obstacles):
            self.pos = new
        self.steps += 1
        pygame.draw.circle(self.screen, (0, 0, 255), self.pos.astype(int), r)
        done = self.goal.contains(pygame.Rect(self.pos[0] - r, self.pos[1] - r, 2 * r, 2 * r))
        return self._obs(), GOAL_REWARD if done else -0.01, done, self.steps >= self.max_steps, dict(INFO)
'''


def load(source):
    module = types.ModuleType("program")
    exec(compile(source, "program", "exec"), module.__dict__)
    return module


def policy_of(function):
    module = types.ModuleType("policy")
    module.policy = function
    return module


def test_covolve_style_program_runs_unchanged_and_succeeds_by_reward():
    env = load(COVOLVE_ENV.format(goal_reward=10.0, info={}))
    result = run_episode(env, load(SEED_POLICY), seed=0)
    assert result.error is None and result.success and 50 < result.steps < 200
    again = run_episode(env, load(SEED_POLICY), seed=0)
    assert (again.steps, again.ret) == (result.steps, result.ret)


def test_reward_below_one_on_termination_is_a_failure_and_the_info_flag_wins():
    low = run_episode(load(COVOLVE_ENV.format(goal_reward=0.5, info={})), load(SEED_POLICY), seed=0)
    assert low.error is None and not low.success and low.steps < 200
    flagged = run_episode(load(COVOLVE_ENV.format(goal_reward=10.0, info={"success": False})), load(SEED_POLICY), seed=0)
    assert not flagged.success


def test_seed_policy_solves_the_open_seed_arena_and_times_itself():
    result = run_episode(load(SEED_ENV), load(SEED_POLICY), seed=5)
    assert result.success and result.ret == 1.0 and result.error is None
    assert 0.0 < result.policy_seconds < 1.0


@pytest.mark.parametrize("action", [None, "up", (1.0,), (1.0, 2.0, 3.0), (np.nan, 0.0), (np.inf, 1.0),
                                    np.zeros(3), np.array(1.0), np.zeros((2, 2)), {"vx": 1}])
def test_bad_actions_end_the_episode_as_a_failure(action):
    result = run_episode(load(SEED_ENV), policy_of(lambda obs: action), seed=0)
    assert not result.success and result.steps == 0 and "two finite numbers" in result.error


def test_raising_policy_missing_policy_and_broken_environment_are_contained():
    def explode(obs):
        raise KeyError("boom")
    result = run_episode(load(SEED_ENV), policy_of(explode), seed=0)
    assert not result.success and "policy raised KeyError" in result.error
    assert "define `policy(obs)`" in run_episode(load(SEED_ENV), types.ModuleType("empty"), seed=0).error
    broken = load("class CustomEnv:\n    def reset(self):\n        return {'agent_pos': [0, 0]}, {}\n")
    assert "obs lacks" in run_episode(broken, load(SEED_POLICY), seed=0).error
    assert "class CustomEnv" in run_episode(types.ModuleType("none"), load(SEED_POLICY), seed=0).error


def test_out_of_range_velocities_are_clipped_and_numpy_actions_accepted():
    result = run_episode(load(SEED_ENV), policy_of(lambda obs: np.array([5.0, 0.0])), seed=0, max_steps=3)
    assert result.error is None and result.steps == 3


def test_step_limit_and_unknown_options():
    result = run_episode(load(SEED_ENV), policy_of(lambda obs: (0.0, 0.0)), seed=0, max_steps=7)
    assert (result.success, result.steps, result.error) == (False, 7, None)
    with pytest.raises(TypeError, match="unknown run_episode options"):
        run_episode(load(SEED_ENV), load(SEED_POLICY), seed=0, env_id="x")


def test_trace_is_capped_and_formats_stalls():
    layout = Layout(start=(100.0, 300.0), goal=(700.0, 300.0), min_start_goal=0.0, max_steps=2500,
                    obstacles=((300, 0, 20, 600),))
    result = run_episode(load(env_program(layout)), load(SEED_POLICY), seed=0, trace=True)
    trace = result.trace
    assert not result.success and trace.outcome == "truncated"
    assert len(trace.positions) <= 2000 and trace.steps[0] == 0 and trace.steps[-1] == 2500
    assert trace.rejected > 2000
    text = format_trace(trace)
    assert "outcome: truncated after 2500 steps" in text and "stalled at (280, 300) from step 30" in text
    assert len(text.splitlines()) < 40


def test_render_writes_a_png(tmp_path):
    result = run_episode(load(SEED_ENV), load(SEED_POLICY), seed=2, trace=True)
    out = tmp_path / "level.png"
    render(load(SEED_ENV), 2, result.trace, str(out))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import pygame
    picture = pygame.image.load(str(out))
    assert picture.get_size() == (800, 600)
    x, y = (int(v) for v in result.trace.positions[len(result.trace.positions) // 2])
    assert picture.get_at((x, y))[:3] == (220, 50, 50)       # the path is drawn
    render(load(SEED_ENV), 2, [(10, 10), (50, 50)], str(tmp_path / "points.png"), scale=0.5)
    assert pygame.image.load(str(tmp_path / "points.png")).get_size() == (400, 300)
