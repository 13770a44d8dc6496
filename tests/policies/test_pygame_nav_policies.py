"""Navigation policies: the seed, genome programs composed from blocks, and their mutations."""
import ast
import types
from dataclasses import replace

import numpy as np
import pytest

from envs.pygame_nav import SEED_ENV, heldout_suite, run_episode
from policies.pygame_nav import BUILDING_BLOCKS_DOC, SEED_POLICY, Genome, policy_program, read_genome
from policies.pygame_nav.mutations import OPERATORS, mutate_policy

PLANNER = Genome(planner="astar", lookahead=15, stuck_window=20, slide=True)


def load(source):
    module = types.ModuleType("program")
    exec(compile(source, "program", "exec"), module.__dict__)
    return module


def defined(source):
    return {node.name for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)}


def imported(source):
    return {alias.name for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Import) for alias in node.names} | \
           {node.module for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom)}


def test_seed_policy_is_small_standalone_straight_pursuit():
    assert read_genome(SEED_POLICY) == Genome()
    assert defined(SEED_POLICY) == {"episode_memory", "goal_centre", "toward", "policy"}
    assert imported(SEED_POLICY) == {"math", "numpy"}
    obs = {"agent_pos": [100.0, 100.0], "agent_radius": 15, "bounds": [800, 600], "step_count": 0, "max_steps": 9,
           "objects": [{"type": "zone", "pos": [400.0, 500.0], "size": [60, 60], "purpose": "goal"}]}
    assert load(SEED_POLICY).policy(obs) == pytest.approx((0.6, 0.8))


def test_genome_selects_and_prunes_blocks():
    source = policy_program(PLANNER)
    assert {"astar", "plan_path", "farthest_clear", "unstick", "slide", "blocked_cells"} <= defined(source)
    assert not {"damp", "wall_follow_velocity"} & defined(source)
    assert "if PLANNER" not in source and "if SLIDE" not in source and "if LOOKAHEAD" not in source
    assert imported(source) == {"heapq", "math", "numpy"}
    assert read_genome(source) == PLANNER
    assert "damp" in defined(policy_program(Genome(damping=0.5)))
    assert "wall_follow_velocity" in defined(policy_program(Genome(planner="wall_follow")))
    with pytest.raises(ValueError, match="PLANNER must be one of"):
        Genome(planner="teleport")


@pytest.mark.parametrize("family", ["bug_trap", "corridor_maze"])
def test_composed_planner_solves_levels_where_straight_pursuit_fails(family):
    levels = next(f for f in heldout_suite() if f.name == family).env_sources
    for k in (0, 1):
        env = load(levels[k])
        seed = run_episode(env, load(SEED_POLICY), seed=k)
        planned = run_episode(env, load(policy_program(PLANNER)), seed=k)
        assert not seed.success and seed.error is None
        assert planned.success and planned.error is None, f"{family}[{k}]"


def test_policy_memory_resets_between_episodes_of_one_module():
    module, env = load(policy_program(PLANNER)), load(heldout_suite()[2].env_sources[0])
    first, second = run_episode(env, module, seed=0), run_episode(env, module, seed=0)
    assert first.success and (first.steps, first.ret) == (second.steps, second.ret)


def test_mutations_are_deterministic_and_valid_over_chains():
    def chain(seed):
        rng, source, out = np.random.default_rng(seed), SEED_POLICY, []
        for _ in range(10):
            source, description = mutate_policy(source, rng)
            out.append((source, description))
        return out
    first = chain(3)
    assert first == chain(3) and first != chain(4)
    planners = set()
    for source, description in first:
        genome = read_genome(source)
        planners.add(genome.planner)
        result = run_episode(load(SEED_ENV), load(source), seed=1, max_steps=25)
        assert result.error is None, description
    assert len(planners) >= 2


def test_every_operator_is_documented_and_changes_the_genome():
    rng = np.random.default_rng(0)
    for operator in OPERATORS:
        out = operator(PLANNER, rng)
        assert out is None or (out[0] != PLANNER and out[1])
    for gene in ("PLANNER", "GRID_CELL", "MARGIN", "LOOKAHEAD", "REPLAN_EVERY", "STUCK_WINDOW", "SLIDE", "DAMPING",
                 "WALL_TURN", "WAYPOINT_TOL", "ARRIVE", "REGRID", "SMOOTH"):
        assert gene in BUILDING_BLOCKS_DOC


def test_unrecognised_policy_source_raises_a_clear_error():
    with pytest.raises(ValueError, match="does not assign PLANNER"):
        mutate_policy("def policy(obs):\n    return (1.0, 0.0)\n", np.random.default_rng(0))
    with pytest.raises(ValueError, match="must be a literal"):
        read_genome(SEED_POLICY.replace("PLANNER = 'straight'", "PLANNER = str(1)"))


def test_arrival_lands_in_a_goal_zone_barely_wider_than_the_agent():
    from envs.pygame_nav.program import Layout, env_program
    # Full 6 px steps from x=100 visit 700 and 706, both 3 px off a goal centre at 703 whose zone
    # leaves the disc 1 px of play: pursuit oscillates forever, arrival lands on the centre.
    env = load(env_program(Layout(start=(100.0, 300.0), goal=(703.0, 300.0), goal_size=(32, 32),
                                  min_start_goal=0.0, max_steps=300)))
    for genome in (Genome(), Genome(planner="astar", slide=True)):
        assert not run_episode(env, load(policy_program(genome)), seed=0).success
        arriving = run_episode(env, load(policy_program(replace(genome, arrive=True))), seed=0)
        assert arriving.success and arriving.steps < 120


def test_programs_written_before_the_arrive_gene_still_read():
    source = policy_program(PLANNER)
    tree = ast.parse(source)
    tree.body = [node for node in tree.body if not (isinstance(node, ast.Assign) and node.targets[0].id == "ARRIVE")]
    assert read_genome(ast.unparse(tree)) == PLANNER
    source, _ = mutate_policy(ast.unparse(tree), np.random.default_rng(0))
    assert read_genome(source) != PLANNER


def test_regridding_finds_a_passage_the_grid_straddles():
    from envs.pygame_nav.program import Layout, env_program
    # A 34 px gap (y 283-317) in a wall across the arena leaves a 30 px disc 4 px of play: no
    # cell centre of a 10 or 12 px grid lies where the disc fits, one of an 8 px grid does.
    env = load(env_program(Layout(start=(100.0, 300.0), goal=(700.0, 150.0), min_start_goal=0.0, max_steps=600,
                                  obstacles=((390, 0, 20, 283), (390, 317, 20, 283)))))
    for cell in (10.0, 12.0):
        genome = Genome(planner="astar", grid_cell=cell, stuck_window=20)
        assert not run_episode(env, load(policy_program(genome)), seed=0).success
        regridded = run_episode(env, load(policy_program(replace(genome, regrid=True))), seed=0)
        assert regridded.success and regridded.error is None, cell
    assert "cell_sizes" in defined(policy_program(PLANNER)) and "REGRID = False" in policy_program(PLANNER)


def test_taut_paths_take_the_short_route_a_margin_closes():
    from envs.pygame_nav.program import Layout, env_program
    # A 40 px gap (y 280-320) leaves a 30 px disc 5 px of play: a 3 px margin closes it and the
    # detour under the wall does not fit the 120 step budget; the short route does.
    env = load(env_program(Layout(start=(100.0, 300.0), goal=(700.0, 300.0), min_start_goal=0.0, max_steps=120,
                                  obstacles=((390, 0, 20, 280), (390, 320, 20, 220)))))
    genome = Genome(planner="astar", grid_cell=10.0, margin=3.0, lookahead=15, stuck_window=20, slide=True)
    assert not run_episode(env, load(policy_program(genome)), seed=0).success
    for taut in (replace(genome, smooth=True), Genome(planner="astar", grid_cell=10.0, smooth=True)):
        episode = run_episode(env, load(policy_program(taut)), seed=0)
        assert episode.success and episode.error is None, taut
    assert "swept_clear" in defined(policy_program(Genome(planner="astar", smooth=True)))
    assert "swept_clear" not in defined(policy_program(PLANNER))
