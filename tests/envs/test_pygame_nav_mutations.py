"""Environment mutations: deterministic, valid programs over chains, clear errors otherwise."""
import types

import numpy as np
import pytest

from envs.pygame_nav import SEED_ENV, check_env
from envs.pygame_nav.heldout import level
from envs.pygame_nav.mutations import ENV_OPERATORS_DOC, OPERATORS, connected, mutate_env
from envs.pygame_nav.program import Layout, env_program, read_layout


def load(source):
    module = types.ModuleType("program")
    exec(compile(source, "program", "exec"), module.__dict__)
    return module


def chain(source, seed, length):
    rng, out = np.random.default_rng(seed), []
    for _ in range(length):
        source, description = mutate_env(source, rng)
        out.append((source, description))
    return out


def test_mutations_are_deterministic_given_the_generator():
    assert chain(SEED_ENV, 7, 3) == chain(SEED_ENV, 7, 3)
    assert chain(SEED_ENV, 7, 3) != chain(SEED_ENV, 8, 3)


@pytest.mark.parametrize("seed", [0, 1])
def test_chains_stay_valid_connected_feasible_and_within_the_caps(seed):
    from envs.pygame_nav.mutations import MAX_BUDGET, MAX_HEIGHT, MAX_OBSTACLES, MAX_SCATTER, MAX_WIDTH
    for source, description in chain(SEED_ENV, seed, 10):
        assert description and "\n" not in description
        layout = read_layout(source)
        assert connected(layout)
        assert layout.width <= MAX_WIDTH and layout.height <= MAX_HEIGHT, description
        assert len(layout.obstacles) <= MAX_OBSTACLES and layout.random_obstacles <= MAX_SCATTER, description
        assert layout.max_steps <= MAX_BUDGET, description
        result = check_env(load(source), seeds=[0, 1])
        assert result.feasible, f"{description}: {result.reason}"


def test_every_operator_changes_the_layout_or_declines():
    rng = np.random.default_rng(0)
    start = level("bug_trap", 0)
    for operator in OPERATORS:
        out = operator(start, rng)
        assert out is None or (isinstance(out[0], Layout) and out[0] != start and isinstance(out[1], str))
        assert operator.name.replace("_", " ").split()[-1] in ENV_OPERATORS_DOC.replace("-", " ")


def test_dead_end_faces_a_fixed_start_and_bars_leave_a_gap():
    from envs.pygame_nav.mutations import add_bottleneck, add_dead_end
    layout = Layout(start=(60.0, 300.0), goal=(740.0, 300.0), min_start_goal=0.0)
    trap, description = add_dead_end(layout, np.random.default_rng(1))
    assert "open left" in description and len(trap.obstacles) == 3
    narrow, description = add_bottleneck(layout, np.random.default_rng(2))
    gap = int(description.split(" px gap")[0].split()[-1])
    assert 36 <= gap <= 44 and len(narrow.obstacles) in (1, 2)
    assert check_env(load(env_program(narrow)), seeds=[0]).feasible


def test_disconnecting_changes_are_refused():
    split = Layout(obstacles=((390, 0, 20, 600),))
    assert not connected(split)
    assert connected(Layout(obstacles=((390, 0, 20, 540),)))


def test_unrecognised_source_raises_a_clear_error():
    with pytest.raises(ValueError, match="does not assign WIDTH"):
        mutate_env("class CustomEnv:\n    pass\n", np.random.default_rng(0))
    with pytest.raises(ValueError, match="does not parse"):
        mutate_env("def (", np.random.default_rng(0))


def test_growth_beyond_a_cap_is_refused_but_a_big_parent_keeps_its_size():
    from envs.pygame_nav.mutations import MAX_OBSTACLES, within_caps
    full = Layout(obstacles=tuple((10 * k, 0, 5, 5) for k in range(MAX_OBSTACLES)))
    assert not within_caps(full.with_changes(obstacles=full.obstacles + ((700, 500, 5, 5),)), full)
    big = level("tiled_maze", 0)
    assert within_caps(big, big) and not within_caps(big.with_changes(width=big.width + 1), big)


def test_squeeze_leaves_a_passage_a_few_pixels_wider_than_the_agent():
    from envs.pygame_nav.mutations import squeeze_passage
    layout = Layout(obstacles=((300, 200, 50, 50), (500, 200, 50, 50)))
    widths = set()
    for seed in range(12):
        out = squeeze_passage(layout, np.random.default_rng(seed))
        if out is None:
            continue
        stretched = out[0].obstacles[-1]
        other = out[0].obstacles[0]
        left, right = sorted([stretched, other])
        facing = max(left[1], right[1]) < min(left[1] + left[3], right[1] + right[3])
        gaps = [right[0] - left[0] - left[2]] if facing else []
        gaps += [stretched[1], 600 - stretched[1] - stretched[3], stretched[0], 800 - stretched[0] - stretched[2]]
        width = int(out[1].split("leaving ")[1].split()[0])
        assert 36 <= width <= 46 and width in gaps, out[1]
        widths.add(width)
    assert len(widths) >= 2


def test_tighten_budget_cuts_to_just_above_the_shortest_path_and_stays_feasible():
    from envs.pygame_nav.mutations import MIN_FACTOR, fit_budget, probe_steps, shared_slack, tighten_budget
    layout = level("bug_trap", 3)
    steps = probe_steps(layout)
    assert len(steps) == 1  # fixed start and goal, nothing scattered: every reset is the same level
    tight, description = tighten_budget(layout, np.random.default_rng(0))
    assert 1.03 * steps[0] <= tight.max_steps <= 1.2 * steps[0] + 1, description
    assert check_env(load(env_program(tight)), seeds=[0]).feasible
    assert tighten_budget(tight.with_changes(max_steps=int(steps[0])), np.random.default_rng(0)) is None
    random_ends = tight.with_changes(start=None, max_steps=1500)  # resets differ: a shared budget with slack
    shared, description = tighten_budget(random_ends, np.random.default_rng(0))
    least = shared_slack(probe_steps(random_ends)) * max(probe_steps(random_ends))
    assert shared.budget_factor is None and least <= shared.max_steps <= 1.1 * least + 1, description
    assert fit_budget(shared, np.random.default_rng(0)) == shared
    per_reset = random_ends.with_changes(budget_factor=1.4)  # a level that sets its own factor (an LLM's, say)
    cut, description = tighten_budget(per_reset, np.random.default_rng(0))
    assert 0.85 * 1.4 <= cut.budget_factor <= 0.97 * 1.4 and cut.max_steps == 1500, description
    assert fit_budget(cut, np.random.default_rng(0)) == cut
    assert tighten_budget(cut.with_changes(budget_factor=MIN_FACTOR), np.random.default_rng(0)) is None


def test_a_shared_budget_keeps_slack_by_how_much_the_probed_routes_differ():
    from envs.pygame_nav.mutations import RANDOM_SLACK, SCATTER_SLACK, probe_steps, shared_slack
    assert shared_slack([100.0]) == 1.0
    assert shared_slack([100.0, 101.0]) == SCATTER_SLACK * 1.01
    assert shared_slack([100.0, 200.0]) == RANDOM_SLACK
    scattered = level("bug_trap", 3).with_changes(random_obstacles=6)  # fixed ends, a few obstacles
    assert shared_slack(probe_steps(scattered)) < 1.25
    roaming = scattered.with_changes(start=None, goal=None, random_obstacles=0, min_start_goal=200.0)
    assert shared_slack(probe_steps(roaming)) == RANDOM_SLACK


def test_a_per_reset_budget_follows_each_reset_route_and_the_reference_solver_meets_it():
    from envs.pygame_nav.mutations import probe_routes
    from envs.pygame_nav.runner import run_episode
    from policies.pygame_nav import REFERENCE_POLICY
    walled = Layout(obstacles=((390, 0, 20, 450), (150, 200, 120, 40), (560, 380, 140, 40)), min_start_goal=400.0,
                    budget_factor=1.0, max_steps=5000)
    routes = probe_routes(walled)
    budgets = [budget for _, budget in routes]
    assert len(set(budgets)) >= 4 and 5000 not in budgets  # a budget per reset, none the fallback
    assert all(0.9 <= budget / steps <= 1.1 for steps, budget in routes), routes  # the route, pulled taut
    env, policy = load(env_program(walled)), load(REFERENCE_POLICY)
    for seed in range(6):
        result = run_episode(env, policy, seed=seed)
        assert result.success and result.steps <= budgets[seed], (seed, result)
    loose = load(env_program(walled.with_changes(budget_factor=1.5))).CustomEnv()
    assert loose.reset(seed=0)[0]["max_steps"] == pytest.approx(1.5 * budgets[0], abs=2)


def test_a_drawn_reset_longer_than_the_shared_budget_gets_its_own_route():
    from envs.pygame_nav.mutations import probe_routes
    from envs.pygame_nav.runner import run_episode
    from policies.pygame_nav import REFERENCE_POLICY
    walled = Layout(obstacles=((390, 0, 20, 450), (150, 200, 120, 40), (560, 380, 140, 40)), min_start_goal=400.0)
    routes = probe_routes(walled.with_changes(budget_factor=1.0, max_steps=5000))
    own = [budget for _, budget in routes]
    shared = sorted(own)[len(own) // 2]  # a shared budget below half of these resets' routes
    tight = walled.with_changes(max_steps=shared)
    budgets = [budget for _, budget in probe_routes(tight)]
    assert budgets == [max(shared, route) for route in own] and max(budgets) > shared
    env, policy = load(env_program(tight)), load(REFERENCE_POLICY)
    for seed in range(6):
        assert run_episode(env, policy, seed=seed).success, seed
    fixed = walled.with_changes(start=(100.0, 100.0), goal=(700.0, 500.0), max_steps=shared)
    assert {budget for _, budget in probe_routes(fixed)} == {shared}  # one level: one budget


def test_a_program_written_before_per_reset_budgets_reads_and_mutates_without_one():
    from envs.pygame_nav.program import CONSTANTS
    old = "\n".join(line for line in env_program(Layout(min_start_goal=400.0)).splitlines()
                    if not line.startswith("BUDGET_FACTOR"))
    old = old.replace(",\n                         budget_factor=BUDGET_FACTOR)", ")")
    assert "BUDGET_FACTOR" not in old and "BUDGET_FACTOR" in CONSTANTS
    assert read_layout(old).budget_factor is None
    for source, description in chain(old, 3, 12):
        assert read_layout(source).budget_factor is None, description
        assert check_env(load(source), seeds=[0]).feasible, description


def test_a_change_that_lengthens_the_route_raises_a_tight_budget():
    from envs.pygame_nav.mutations import fit_budget, probe_steps, shared_slack
    open_level = Layout(start=(100.0, 300.0), goal=(700.0, 300.0), min_start_goal=0.0, max_steps=110)
    walled = open_level.with_changes(obstacles=((390, 0, 20, 520),))
    assert max(probe_steps(walled)) > 110
    fitted = fit_budget(walled, np.random.default_rng(0))
    assert 1.1 * max(probe_steps(walled)) <= fitted.max_steps + 1
    assert check_env(load(env_program(fitted)), seeds=[0]).feasible
    assert fit_budget(open_level, np.random.default_rng(0)) == open_level
    loose = fit_budget(open_level.with_changes(start=None, goal=None, min_start_goal=400.0, max_steps=60), np.random.default_rng(0))
    routes = probe_steps(loose)  # random ends: room for routes the probes missed
    assert loose.max_steps >= shared_slack(routes) * max(routes) > 1.1 * max(routes)
    assert fit_budget(open_level.with_changes(obstacles=((390, 0, 20, 600),)), np.random.default_rng(0)) is None


def test_maze_snaps_fixed_ends_to_cells_and_is_feasible():
    from envs.pygame_nav.mutations import add_maze
    layout = Layout(start=(60.0, 60.0), goal=(740.0, 540.0), min_start_goal=0.0, max_steps=1500)
    maze, description = add_maze(layout, np.random.default_rng(4))
    cols, rows = (int(v) for v in description.split()[1].split("x"))
    assert maze.start == (800 / cols / 2, 600 / rows / 2) and maze.goal == (800 - 800 / cols / 2, 600 - 600 / rows / 2)
    assert len(maze.obstacles) == (cols - 1) * (rows - 1) and connected(maze)
    result = check_env(load(env_program(maze)), seeds=[0])
    assert result.feasible and result.measures["path_length"] > 680


def test_shrink_goal_stops_two_pixels_wider_than_the_agent():
    from envs.pygame_nav.mutations import shrink_goal
    layout, rng = Layout(), np.random.default_rng(0)
    for _ in range(12):
        out = shrink_goal(layout, rng)
        if out is None:
            break
        layout = out[0]
    assert layout.goal_size == (32.0, 32.0) and shrink_goal(layout, rng) is None


def test_difficulty_measure_is_a_measure_of_check_env():
    from envs import pygame_nav
    assert pygame_nav.DIFFICULTY_MEASURE in check_env(load(SEED_ENV), seeds=[0]).measures


def test_trap_series_puts_traps_between_fixed_ends_open_toward_the_start():
    from envs.pygame_nav.mutations import add_trap_series
    layout = Layout(start=(60.0, 300.0), goal=(740.0, 300.0), min_start_goal=0.0)
    traps, description = add_trap_series(layout, np.random.default_rng(0))
    made = int(description.split()[2])
    assert made >= 2 and len(traps.obstacles) == 3 * made and connected(traps)
    assert all(60 < x < 740 for x, y, w, h in traps.obstacles)
    assert check_env(load(env_program(traps)), seeds=[0]).feasible
