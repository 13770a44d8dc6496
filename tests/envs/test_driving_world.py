"""Traffic lights and pedestrians as small objects, and the other vehicles respecting them."""
from dataclasses import asdict

import numpy as np
import pytest

from envs.driving.program import Layout
from envs.driving.world import DT, DrivingCore, Pedestrian, Traffic, TrafficLight, cross_state, light_state
from tests.envs.test_driving_observation import EMPTY


def test_light_phases_follow_the_cycle_and_offset():
    cycle = (10.0, 3.0, 7.0)
    assert [light_state(t, cycle, 0.0) for t in (0.0, 9.9, 10.0, 12.9, 13.0, 19.9, 20.0)] == \
        ["Green", "Green", "Yellow", "Yellow", "Red", "Red", "Green"]
    assert light_state(0.0, cycle, 11.0) == "Yellow"


def test_the_crossing_street_is_green_only_inside_the_routes_red_with_clearances():
    cycle = (10.0, 3.0, 10.0)
    for t in np.arange(0.0, 23.0, 0.05):
        if light_state(t, cycle, 0.0) != "Red":
            assert cross_state(t, cycle, 0.0) == "Red"
    assert cross_state(15.0, cycle, 0.0) == "Green"
    assert cross_state(13.5, cycle, 0.0) == "Red"       # all-red clearance
    assert cross_state(20.0, cycle, 0.0) == "Yellow"


def test_a_light_gate_lies_past_its_stop_line():
    light = TrafficLight(40.0, (10.0, 3.0, 10.0), 0.0, (42.5, 0.0))
    assert light.gate_s == 42.5 and light.state(11.0) == "Yellow" and light.cross(15.0) == "Green"


def _level_with_lead(layout, speed=7.0, ahead=10.0):
    env = DrivingCore(**asdict(layout))
    env.reset(seed=0)
    index, local = env.route.lane_at(env.ego_s + ahead)
    lanes = [p["index"] for p in env.route.pieces]
    car = Traffic(env.road, index, local, speed, speed, env, route=lanes[lanes.index(index):])
    env._route_stops(car, False)
    env.road.vehicles.append(car)
    env.traffic.append(car)
    env.tabulate()
    return env, car


def _drive(env, steps, action=(0.0, 0.0, 1.0)):
    for _ in range(steps):
        env.step(action)


def test_other_vehicles_stop_at_a_red_stop_line_and_runners_do_not():
    layout = EMPTY.with_changes(lights=(0,), light_cycle=(1.0, 1.0, 200.0))
    env, car = _level_with_lead(layout)
    light = env.lights[0]
    light.offset = 5.0                                       # red for the next 195 s
    _drive(env, 400)
    s_car = env.frenet[id(car)][0]
    assert light.stop_s - 6.0 < s_car + car.LENGTH / 2 <= light.stop_s + 0.2 and car.speed < 0.2
    env, car = _level_with_lead(layout)
    env.lights[0].offset, car.runs_red = 5.0, True
    _drive(env, 400)
    assert env.frenet[id(car)][0] > env.lights[0].stop_s + 10.0 or car.finished


def test_a_pedestrian_waits_for_its_trigger_then_crosses_and_is_done():
    env = DrivingCore(**asdict(EMPTY))
    env.reset(seed=0)
    start, _ = env.route.position(50.0, 3.5)
    end, _ = env.route.position(50.0, -7.5)
    walker = Pedestrian(env.road, start, end, 50.0, trigger_m=20.0, speed=1.5, delay=0.5)
    walker.advance(0.0, ego_s=5.0)
    assert walker.started_at is None and np.allclose(walker.position, start)
    walker.advance(1.0, ego_s=31.0)                          # triggered: starts 0.5 s later
    assert walker.started_at == 1.5 and np.allclose(walker.position, start)
    t = 1.5
    while not walker.done:
        walker.advance(t, ego_s=31.0)
        t += DT
    assert t - 1.5 == pytest.approx(11.0 / 1.5, abs=2 * DT) and np.allclose(walker.position, end)


def test_vehicles_brake_for_a_pedestrian_in_their_lane():
    env, car = _level_with_lead(EMPTY, speed=6.0)
    s = env.frenet[id(car)][0] + 25.0
    walker = Pedestrian(env.road, env.route.position(s, 0.0)[0], env.route.position(s, -8.0)[0], s, 0.0, 0.0)
    env.pedestrians.append(walker)
    env.road.objects.append(walker)
    _drive(env, 200)
    assert not car.crashed and car.speed < 0.3 and env.frenet[id(car)][0] < s - 2.5
