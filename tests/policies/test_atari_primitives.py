"""The starters' helper primitives, checked against step-by-step simulation, and their use by
the offline mutation operators."""
import ast
import types

import numpy as np
import pytest

from envs.atari import GAMES
from policies.atari import template_source
from policies.atari.mutations import PolicyMutator, insert_primitive, trainable_functions

PRIMITIVES = {name: game.primitives for name, game in GAMES.items()}


def helpers():
    module = types.ModuleType("policy_program")
    exec(compile(template_source("Pong"), "policy_program.py", "exec"), module.__dict__)
    return module


def simulate(x, y, dx, dy, target, low, high):
    """The ball stepped one frame at a time, mirrored at the walls, until x reaches target."""
    while (target - x) * dx > 0:
        x, y = x + dx, y + dy
        if y < low:
            y, dy = 2 * low - y, -dy
        if y > high:
            y, dy = 2 * high - y, -dy
    return y


@pytest.mark.parametrize("x,y,dx,dy", [(20, 100, 2, 3), (20, 40, 4, -5), (100, 190, 1, 7),
                                       (59, 31, 3, -2), (0, 112, 1, 0)])
def test_land_matches_step_by_step_bounces(x, y, dx, dy):
    obs = {"Ball": {"x": x, "y": y, "dx": dx, "dy": dy}}
    expected = simulate(x, y, dx, dy, 140, 31, 193)
    assert helpers().land(obs, "Ball", "x", 140, 31, 193) == pytest.approx(expected)


def test_land_without_motion_toward_the_target_or_without_the_object():
    land = helpers().land
    assert land({"Ball": {"x": 100, "y": 50, "dx": -2, "dy": 3}}, "Ball", "x", 140, 31, 193) == 50
    assert land({"Ball": {"x": 100, "y": 50, "dx": 0, "dy": 3}}, "Ball", "x", 140, 31, 193) == 50
    assert land({}, "Ball", "x", 140, 31, 193) == 0


def test_nearest_and_clamp():
    module = helpers()
    obs = {"Alien0": {"x": 10, "y": 5}, "Alien12": {"x": 70, "y": 9}, "AlienShip": {"x": 60},
           "Player": {"x": 66, "y": 185}}
    assert module.nearest(obs, "Alien", "y", 66) == 9
    assert module.nearest(obs, "Alien", "x", 20) == 10
    assert module.nearest(obs, "Bullet", "x", 20) == 0
    assert [module.clamp(v, 34, 116) for v in (0, 50, 200)] == [34, 50, 116]


def test_rest_adds_the_carried_part_of_the_last_move_within_the_limits():
    rest = helpers().rest
    obs = {"Player": {"x": 60, "y": 100, "dx": 22, "dy": -20}}
    assert rest(obs, "Player", "x", 0.5, 8, 144) == 71
    assert rest(obs, "Player", "y", 0.65, 34, 190) == pytest.approx(87)
    assert rest({"Player": {"x": 140, "dx": 23}}, "Player", "x", 0.5, 8, 144) == 144
    assert rest({"Player": {"x": 60, "dx": 0}}, "Player", "x", 0.5, 8, 144) == 60
    assert rest({}, "Player", "x", 0.5, 8, 144) == 0


@pytest.mark.parametrize("game", list(PRIMITIVES))
def test_every_primitive_evaluates_on_the_starter(game):
    module = types.ModuleType("policy_program")
    exec(template_source(game), module.__dict__)
    obs = {"Ball": {"x": 50, "y": 100, "dx": 2, "dy": 2}, "Player": {"x": 60, "y": 185, "dx": 4, "dy": 0},
           "Alien0": {"x": 40, "y": 30}, "Bullet0": {"x": 62, "y": 120, "dx": 0, "dy": 2}}
    for text in PRIMITIVES[game]:
        assert isinstance(eval(text, module.__dict__, {"obs": obs}), (int, float))


def test_insert_primitive_puts_a_primitive_into_a_numeric_expression():
    tree = ast.parse(template_source("Pong"))
    function = trainable_functions(tree)[0]
    before = ast.unparse(function)
    note = insert_primitive(function, np.random.default_rng(0),
                            PolicyMutator(("Ball",), primitives=PRIMITIVES["Pong"][:1]))
    assert "land(obs, 'Ball', 'x', 140, 31, 193)" in ast.unparse(function) != before
    assert note.startswith("predict_ball_trajectory: ")
    assert insert_primitive(function, np.random.default_rng(0), PolicyMutator(("Ball",))) is None


def test_mutation_strength_scales_constant_steps():
    source = template_source("Pong").replace("return value(obs, 'Ball', 'y')",
                                             "return value(obs, 'Ball', 'y') + 100")
    assert source != template_source("Pong")

    def steps(strength):
        out = []
        for seed in range(200):
            child, note = PolicyMutator(("Ball",), strength=strength).mutate(
                source, np.random.default_rng(seed))
            if note.startswith("predict_ball_trajectory: constant 100 -> "):
                out.append(abs(float(note.rsplit(" ", 1)[1]) - 100))
        return np.mean(out)
    assert steps(3.0) > 3 * steps(0.3)


def test_add_offset_shifts_a_look_up_by_a_nonzero_integer():
    from policies.atari.mutations import add_offset

    for seed in range(10):
        function = trainable_functions(ast.parse(template_source("Pong")))[1]
        note = add_offset(function, np.random.default_rng(seed), PolicyMutator(("Ball",)))
        old, new = note.split(": ", 1)[1].split(" -> ")
        shift = ast.parse(new, mode="eval").body
        assert isinstance(shift, ast.BinOp) and ast.unparse(shift.left) == old
        assert isinstance(shift.right.value, int) and shift.right.value > 0
        assert new in ast.unparse(function)


def test_dodge_keeps_one_direction_out_of_a_bombs_path_and_stays_in_range():
    dodge = helpers().dodge
    bomb = {"Bullet0": {"x": 55, "y": 160, "dx": 0, "dy": 4}}
    assert [dodge(bomb, x, 6, 40) for x in (50, 48, 46)] == [-1, -1, -1]  # bomb right of centre
    assert [dodge(bomb, x, 6, 40) for x in (52, 54, 56, 58)] == [1, 1, 1, 1]  # under it: a tie
    assert dodge(bomb, 45, 6, 40) == 0  # out of the path: |55 - 45 - 3| > 6
    assert dodge({"Bullet0": {"x": 36, "y": 160, "dx": 0, "dy": 4}}, 34, 6, 40) == 1  # wall
    assert dodge({"Bullet0": {"x": 118, "y": 160, "dx": 0, "dy": 4}}, 116, 6, 40) == -1
    assert dodge({"Bullet0": {"x": 55, "y": 100, "dx": 0, "dy": 4}}, 52, 6, 40) == 0  # far up
    assert dodge({"Bullet0": {"x": 55, "y": 160, "dx": 0, "dy": -8}}, 52, 6, 40) == 0  # a shot
    two = {"Bullet0": {"x": 50, "y": 170, "dx": 0, "dy": 4},
           "Bullet1": {"x": 40, "y": 150, "dx": 0, "dy": 4}}
    assert dodge(two, 47, 6, 40) == 1  # left is the other bomb's path: the way out is right


def test_bounced_reverses_the_previous_speed_on_a_wall_bounce_step_only():
    bounced = helpers().bounced
    ball = {"x": 10, "dx": 0, "y": 166, "dy": 14}
    assert bounced(ball, {"x": 10, "dx": -8, "y": 152, "dy": 13}, "x", 8, 151) == 8
    assert bounced({"x": 149, "dx": 4}, {"x": 145, "dx": 8}, "x", 8, 151) == -8  # came back 2 px
    assert bounced({"x": 80, "dx": 4}, {"x": 76, "dx": 8}, "x", 8, 151) == 4  # no wall: a new angle
    assert bounced({"y": 50, "dy": 7}, {"y": 43, "dy": -14}, "y", 31, 999) == 14  # part of a reversal
    assert bounced({"x": 80, "dx": 8}, {"x": 72, "dx": 8}, "x", 8, 151) == 8
    assert bounced(ball, None, "x", 8, 151) == 0


def simulate_paddle(position, last, presses, steps, first, carry, low, high):
    """The lagged paddle after ``steps`` steps of ``presses`` (then none)."""
    for step in range(steps):
        press = presses[step] if step < len(presses) else 0
        position, last = min(high, max(low, position + first * press + carry * last)), press
    return position


def test_plan_press_reaches_a_target_it_can_reach_and_waits_when_it_is_there():
    plan_press = helpers().plan_press
    assert plan_press(73, 0, 73, 5, 2, 12, 10.4, 8, 144) == 0
    assert plan_press(73, 0, 120, 6, 2, 12, 10.4, 8, 144) == 1
    assert plan_press(120, 0, 60, 6, 2, 12, 10.4, 8, 144) == -1
    # followed step by step (re-planned each step), the paddle ends within half a press of it
    position, last = 40, 0
    for left in range(8, 0, -1):
        press = plan_press(position, last, 100, left, 0, 12, 10.4, 8, 144)
        position, last = simulate_paddle(position, last, [press], 1, 12, 10.4, 8, 144), press
    assert abs(position - 100) <= 11.2
