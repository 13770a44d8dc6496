"""Rule-based driving from COvolve's CARLA observation: the building blocks of policies and the reference.

The module is standalone (``math`` only): :mod:`policies.driving.program` copies it below a genome of
constants to make a policy program, and :func:`reference_driver` configures it with every block on
for the feasibility check. A :class:`Driver` is configured by a dict of the genome's fields:

- lateral control: ``lateral`` "stanley" (heading error plus atan of the cross-track error over
  speed, gains ``k_heading``/``k_cross``) or "pure_pursuit" (a lookahead point ``lookahead_s``
  seconds ahead, at least 4 m).
- speed: a PI controller toward ``cruise_mps`` (``kp_speed``, ``ki_speed``), capped in turns.
- car following (``follow``): IDM-style target speed with time headway ``headway_s`` and jam gap
  ``min_gap_m`` behind the nearest lead car.
- light compliance (``lights``): stop ``stop_margin_m`` before the stop line on red, and on yellow
  when a comfortable stop is still possible; a stop-line guard brakes hard once within it.
- pedestrian yielding (``pedestrians``): stop before pedestrians in the lane, and before those due
  to enter it within ``ped_horizon_s``.
- TTC emergency braking (``ttc_brake``): full brake when a lead car's TTC drops below ``ttc_s``.
- passing a curb-parked blocker (``pass_parked``): a standing car ahead whose centre sits right of
  the lane centre is passed on the left, with ``pass_margin_m`` of clearance, when no oncoming car
  is within ``pass_clear_m``.
"""
import math

A_THROTTLE = 3.5
"""Acceleration at full throttle, m/s^2 (the domain's mapping)."""
A_BRAKE = 8.0
"""Deceleration at full brake, m/s^2."""
MAX_STEER_RAD = 1.22
"""Front-wheel angle at steer = 1."""
HALF_WHEELBASE = 2.5
"""Metres from the centre to each axle of the kinematic bicycle."""
GATE_TO_LINE_M = 2.5
"""``traffic_light.dist_m`` is measured to a gate point this far past the stop line."""
CAR_HALF_WIDTH = 1.0
LANE_HALF_EDGE = 2.0
"""Half the ego lane's width: its right edge lies this far right of the lane centre."""


def _number(value, default=0.0):
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else default


def _last(values, default=0.0):
    return _number(values[-1], default) if isinstance(values, (list, tuple)) and values else default


def _stop_speed(distance, decel):
    """Highest speed from which a stop within ``distance`` metres at ``decel`` m/s^2 is possible."""
    return math.sqrt(2.0 * decel * distance) if distance > 0 else 0.0


class Driver:
    """A rule-based driver; ``act(obs) -> (steer, throttle, brake)``. See the module docstring."""

    def __init__(self, genome):
        self.g = dict(genome)
        self.integral = 0.0
        self.passing = 0
        self.pass_shift = 0.0

    # ----- speed limits from each block -----
    def _light_limit(self, obs, speed):
        light = obs.get("traffic_light") or {}
        if not light.get("exists") or light.get("state") == "Green":
            return None, False
        line = _number(light.get("dist_m"), 1e9) - GATE_TO_LINE_M
        room = line - self.g["stop_margin_m"]
        if light.get("state") == "Yellow" and speed * speed / (2 * 6.0) > line - 0.3:
            return None, False
        return _stop_speed(max(room, 0.0), 2.5), room <= 0.3

    def _pedestrian_limit(self, obs):
        limit = None
        for walker in obs.get("pedestrians") or []:
            gap = _number(walker.get("gap_long_m"), 1e9)
            enter = _number(walker.get("t_enter_lane_s"), 1e9)
            if walker.get("state") == "in_lane" or enter <= self.g["ped_horizon_s"]:
                room = gap - 4.5
                value = _stop_speed(max(room, 0.0), 3.0)
                limit = value if limit is None else min(limit, value)
        return limit

    def _is_parked(self, obs, lead, speed):
        standing = abs(speed + _number(lead.get("rel_long_mps"))) < 0.3
        light = obs.get("traffic_light") or {}
        queued = light.get("exists") and light.get("state") != "Green" and \
            _number(light.get("dist_m"), 1e9) < _number(lead.get("gap_long_m")) + 8.0
        return standing and not queued and _number(lead.get("gap_lat_m")) >= 0.6

    def _oncoming_clear(self, obs):
        for car in obs.get("opposite_cars") or []:
            if _number(car.get("gap_long_m"), 1e9) < self.g["pass_clear_m"]:
                return False
        return True

    def _follow_limit(self, obs, speed):
        leads = obs.get("lead_cars") or []
        if not leads:
            self.passing = max(self.passing - 1, 0)
            return None, False
        lead = leads[0]
        gap = _number(lead.get("gap_long_m"), 1e9)
        if self.g["pass_parked"] and self._is_parked(obs, lead, speed) and gap < 25.0:
            if self.passing or self._oncoming_clear(obs):
                intrusion = LANE_HALF_EDGE - (_number(lead.get("gap_lat_m")) - CAR_HALF_WIDTH)
                self.pass_shift = -min(max(intrusion + CAR_HALF_WIDTH + self.g["pass_margin_m"] - LANE_HALF_EDGE, 0.3), 2.2)
                self.passing = 60
                return self.g["pass_speed_mps"], False
            leads = leads[1:]
            if not leads:
                return _stop_speed(max(gap - 8.0, 0.0), 2.5), False
            lead = leads[0]
            gap = _number(lead.get("gap_long_m"), 1e9)
        self.passing = max(self.passing - 1, 0)
        ttc = lead.get("ttc_s")
        urgent = self.g["ttc_brake"] and isinstance(ttc, (int, float)) and ttc < self.g["ttc_s"] and gap < 15.0
        if not self.g["follow"]:
            return None, urgent
        v_lead = max(speed + _number(lead.get("rel_long_mps")), 0.0)
        room = gap - 5.0 - self.g["min_gap_m"]
        return min(max(v_lead, 0.0) + max(room, 0.0) / max(self.g["headway_s"], 0.3),
                   _stop_speed(max(room, 0.0), 3.0) + v_lead), urgent

    # ----- control -----
    def _steer(self, obs, speed):
        lateral = sum(obs.get("lateral_hist4") or [0.0]) / max(len(obs.get("lateral_hist4") or [0.0]), 1)
        heading = _last(obs.get("yaw_error_hist4"))
        error = lateral - (self.pass_shift if self.passing else 0.0)
        if not self.passing:
            self.pass_shift = 0.0
        if self.g["lateral"] == "pure_pursuit":
            ahead = max(4.0, self.g["lookahead_s"] * speed)
            target = -(error + ahead * math.sin(heading))
            angle = math.atan(2.0 * HALF_WHEELBASE * 2.0 * target / (ahead * ahead))
        else:
            angle = -self.g["k_heading"] * heading - math.atan2(self.g["k_cross"] * error, speed + 1.0)
        steer = max(-1.0, min(1.0, angle / MAX_STEER_RAD))
        last = _last(obs.get("steer_cmd_hist4"))
        return max(last - 0.2, min(last + 0.2, steer))

    def act(self, obs):
        speed = _number(obs.get("speed_mps"))
        target = self.g["cruise_mps"]
        yaw_rate = abs(_number(obs.get("yaw_rate_rps")))
        if yaw_rate > 1e-3:
            target = min(target, 3.0 / yaw_rate)
        guard = urgent = False
        if self.g["lights"]:
            limit, guard = self._light_limit(obs, speed)
            target = target if limit is None else min(target, limit)
        if self.g["pedestrians"]:
            limit = self._pedestrian_limit(obs)
            target = target if limit is None else min(target, limit)
        limit, urgent = self._follow_limit(obs, speed)
        target = target if limit is None else min(target, limit)
        steer = self._steer(obs, speed)
        if guard or urgent:
            self.integral = 0.0
            return steer, 0.0, 1.0
        error = target - speed
        self.integral = max(0.0, min(1.5, self.integral + self.g["ki_speed"] * error * 0.05))
        if error < -0.3:
            self.integral *= 0.9
        accel = self.g["kp_speed"] * error + self.integral
        if target < 0.05 and speed < 0.3:
            return steer, 0.0, 0.5
        if accel >= 0:
            return steer, min(1.0, (accel + 0.2) / A_THROTTLE), 0.0
        return steer, 0.0, min(1.0, -accel / A_BRAKE)


SEED_GENOME = {
    "lateral": "stanley", "k_heading": 1.0, "k_cross": 1.0, "lookahead_s": 0.8,
    "cruise_mps": 7.0, "kp_speed": 2.0, "ki_speed": 0.3,
    "follow": False, "headway_s": 1.5, "min_gap_m": 3.0,
    "lights": False, "stop_margin_m": 2.0,
    "pedestrians": False, "ped_horizon_s": 3.0,
    "ttc_brake": False, "ttc_s": 1.5,
    "pass_parked": False, "pass_margin_m": 0.6, "pass_clear_m": 30.0, "pass_speed_mps": 3.0,
}
"""The seed policy's genome: lane keeping and cruise control, every other block off."""

REFERENCE = {**SEED_GENOME, "k_heading": 1.5, "k_cross": 2.0, "follow": True, "lights": True, "pedestrians": True, "ped_horizon_s": 5.0,
             "ttc_brake": True, "pass_parked": True}
"""The reference driver's genome: every block on."""
