"""COvolve's CARLA observation, key for key, in constructed situations on the highway-env world."""
import math
from dataclasses import asdict

import pytest
from highway_env.vehicle.kinematics import Vehicle

from envs.driving.contract import OBS_KEYS, obs_problem
from envs.driving.program import Layout
from envs.driving.world import DrivingCore, Pedestrian, TrafficLight

EMPTY = Layout(blocks=(120.0, 60.0), turns=("S",), lights=(), lead_density=0.0, oncoming_density=0.0,
               cross_traffic=0, parked=0, crossing_rate=0.0, jaywalk_per_100m=0.0)


def empty_level(**changes):
    """A reset straight level with nothing on it but the ego, at rest at route metre 5."""
    env = DrivingCore(**asdict(EMPTY.with_changes(**changes)))
    env.reset(seed=0)
    return env


def look(env):
    env.tabulate()
    return env.observe()


def test_keys_are_covolves_in_order_with_four_value_histories():
    obs = look(empty_level())
    assert tuple(obs) == OBS_KEYS and obs_problem(obs) is None
    for key in OBS_KEYS[2:8]:
        assert len(obs[key]) == 4
    assert obs["traffic_light"] == {"exists": False, "dist_m": None, "state": None}
    assert obs["lead_cars"] == obs["opposite_cars"] == obs["pedestrians"] == []


def test_lateral_and_yaw_errors_are_positive_to_the_right_of_the_route():
    env = empty_level()
    env.ego.position = env.ego.position + [0.0, 0.5]   # highway-env's y points to the driver's right here
    env.ego.heading = 0.1
    obs = look(env)   # lateral_hist4 holds COvolve's smoothed lateral error: 0.2 new + 0.8 old
    assert obs["lateral_hist4"][-2:] == [0.0, pytest.approx(0.1, abs=1e-3)]
    assert obs["yaw_error_hist4"][-1] == pytest.approx(0.1, abs=1e-3)
    env.lat_ema = None
    assert look(env)["lateral_hist4"][-1] == pytest.approx(0.5, abs=1e-3)


def test_a_lead_car_20_m_ahead_closing_at_2_mps():
    env = empty_level()
    env.ego.speed = 7.0
    ahead, heading = env.route.position(env.ego_s + 20.0)
    env.road.vehicles.append(Vehicle(env.road, ahead, heading, 5.0))
    (lead,) = look(env)["lead_cars"]
    assert lead["gap_long_m"] == pytest.approx(20.0, abs=0.01)
    assert lead["gap_lat_m"] == pytest.approx(0.0, abs=0.01)
    assert lead["rel_long_mps"] == pytest.approx(-2.0, abs=0.01)
    assert lead["ttc_s"] == pytest.approx(10.0, abs=0.01)
    assert lead["thw_s"] == pytest.approx(20.0 / 7.0, abs=0.01)


def test_an_oncoming_car_is_in_opposite_cars_with_its_conflict_time():
    env = empty_level()
    env.ego.speed = 6.0
    where, heading = env.route.position(env.ego_s + 30.0, -4.0)
    env.road.vehicles.append(Vehicle(env.road, where, heading + math.pi, 4.0))
    obs = look(env)
    (car,) = obs["opposite_cars"]
    assert obs["lead_cars"] == []
    assert car["gap_long_m"] == pytest.approx(30.0, abs=0.01) and car["gap_lat_m"] == pytest.approx(-4.0, abs=0.01)
    assert car["rel_long_mps"] == pytest.approx(-10.0, abs=0.01)
    assert car["t_conflict_s"] == pytest.approx(3.0, abs=0.01)


def test_a_red_light_30_m_ahead():
    env = empty_level()
    gate, _ = env.route.position(env.ego_s + 30.0)
    env.lights = [TrafficLight(env.ego_s + 27.5, (10.0, 3.0, 10.0), 14.0, gate)]  # phase 14 s: red
    assert look(env)["traffic_light"] == {"exists": True, "dist_m": 30.0, "state": "Red"}
    env.lights = [TrafficLight(env.ego_s + 37.5, (10.0, 3.0, 10.0), 14.0, env.route.position(env.ego_s + 40.0)[0])]
    assert look(env)["traffic_light"]["exists"] is False   # beyond 35 m


def test_a_pedestrian_entering_from_the_right():
    env = empty_level()
    start, _ = env.route.position(env.ego_s + 15.0, 2.87)   # one 0.05 s step at 1.4 m/s: 2.8 m
    end, _ = env.route.position(env.ego_s + 15.0, -8.0)
    walker = Pedestrian(env.road, start, end, env.ego_s + 15.0, trigger_m=100.0, speed=1.4)
    env.pedestrians.append(walker)
    walker.advance(0.0, env.ego_s)
    (seen,) = look(env)["pedestrians"]
    assert seen == {"lane": "approach", "state": "approaching_lane", "gap_long_m": 15.0, "gap_lat_m": 2.8,
                    "rel_lat_mps": -1.4, "t_enter_lane_s": pytest.approx(0.57, abs=0.01), "side": "right"}
    walker.position = env.route.position(env.ego_s + 15.0, 1.0)[0]
    (seen,) = look(env)["pedestrians"]
    assert (seen["lane"], seen["state"], seen["t_enter_lane_s"], seen["side"]) == ("ego", "in_lane", 0.0, "right")


def test_commands_enter_the_histories_oldest_first():
    env = empty_level()
    for steer in (0.1, 0.2, 0.3):
        obs, *_ = env.step((steer, 0.5, 0.0))
    assert obs["steer_cmd_hist4"] == [0.0, 0.1, 0.2, 0.3]
    assert obs["throttle_cmd_hist4"] == [0.0, 0.5, 0.5, 0.5]
    assert obs["speed_hist4"][-1] > obs["speed_hist4"][-2] > 0
