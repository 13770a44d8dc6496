"""The driving world on highway-env: route, traffic lights, pedestrians, traffic, and CARLA's observation.

This module is the body of every driving environment program: :mod:`envs.driving.program` copies it
verbatim below a level's constants, so it imports only ``math``, ``numpy`` and ``highway_env``.

Frames follow highway-env, which matches CARLA's: x forward, y to the right of the driver, heading
growing clockwise seen from above (a right turn raises it). Distances in metres, times in seconds,
angles in radians. The route is the centreline of the ego lane; the oncoming lane lies 4 m to its
left (right-hand traffic on a two-way single carriageway).
"""
import math

import numpy as np
from highway_env.road.lane import CircularLane, LineType, StraightLane
from highway_env.road.road import Road, RoadNetwork
from highway_env.vehicle.behavior import IDMVehicle
from highway_env.vehicle.kinematics import Vehicle
from highway_env.vehicle.objects import Obstacle, RoadObject

LANE_WIDTH = 4.0
LANE_HALF = 2.0
DT = 0.05
"""Simulation and policy step: 20 Hz, CARLA's fixed delta in COvolve's Town01 setup."""
HIST_LEN = 4
VIEW_M = 35.0
"""Horizon of the traffic light, lead cars and pedestrians in the observation."""
OPP_VIEW_M = 50.0
"""Horizon of the oncoming cars in the observation."""
GATE_RADIUS_M = 2.5
"""A light's gate point lies this far past its stop line (``dist_m`` is measured to the gate)."""
BOX_M = 8.0
"""Length of an intersection box along the route (a cross street of two 4 m lanes)."""
STOP_BEFORE_BOX_M = 4.0
"""The stop line lies this far before the intersection box; the crosswalk lies between them."""
MAX_STEER_RAD = 1.22
"""Front-wheel angle at steer = 1 (70 degrees, CARLA's Tesla Model 3)."""
A_THROTTLE = 3.5
"""Acceleration at full throttle, m/s^2."""
A_BRAKE = 8.0
"""Deceleration at full brake, m/s^2."""
OFFROAD_MARGIN_M = 0.5
"""The ego is off the road once its centre is this far beyond the carriageway's edge."""
PED_WAIT_M = 1.5
"""Pedestrians wait this far beyond the curb until they start crossing."""


def wrap(angle):
    """``angle`` wrapped to [-pi, pi)."""
    return (angle + math.pi) % (2 * math.pi) - math.pi


def light_state(t, cycle, offset):
    """"Green", "Yellow" or "Red" at time ``t`` for a (green, yellow, red) ``cycle`` shifted by ``offset``."""
    green, yellow, red = cycle
    phase = (t + offset) % (green + yellow + red)
    return "Green" if phase < green else "Yellow" if phase < green + yellow else "Red"


def cross_state(t, cycle, offset, clearance=1.5):
    """State of the crossing direction: green while the route's light is red, less ``clearance`` each end."""
    green, yellow, red = cycle
    phase = (t + offset) % (green + yellow + red)
    start, end = green + yellow + clearance, green + yellow + red - clearance
    if start <= phase < end - 2.0:
        return "Green"
    return "Yellow" if end - 2.0 <= phase < end else "Red"


class TrafficLight:
    """A light on the route: a stop line at ``stop_s`` (route metres), its phase cycle and offset."""

    def __init__(self, stop_s, cycle, offset, position):
        self.stop_s = float(stop_s)
        self.gate_s = self.stop_s + GATE_RADIUS_M
        self.cycle = tuple(float(v) for v in cycle)
        self.offset = float(offset)
        self.position = np.array(position, dtype=float)
        """World position of the gate point (on the route, GATE_RADIUS_M past the stop line)."""

    def state(self, t):
        """The route direction's state at time ``t``."""
        return light_state(t, self.cycle, self.offset)

    def cross(self, t):
        """The crossing street's state at time ``t``."""
        return cross_state(t, self.cycle, self.offset)


class Pedestrian(RoadObject):
    """A walker crossing the carriageway: it waits beyond the curb until triggered, then walks across.

    ``start`` and ``end`` are world positions on either side; the walk starts when the ego comes within
    ``trigger_m`` route metres (``t_start`` seconds after that, for staggered bursts). Vehicles on the
    lane it walks over see it as an object ahead (highway-env's IDM brakes for it).
    """

    LENGTH = 0.6
    WIDTH = 0.6

    def __init__(self, road, start, end, s, trigger_m, speed, delay=0.0, at_crossing=True):
        self.start, self.end = np.array(start, dtype=float), np.array(end, dtype=float)
        direction = self.end - self.start
        super().__init__(road, self.start.copy(), math.atan2(direction[1], direction[0]), 0.0)
        self.s, self.trigger_m, self.walk_speed, self.delay = float(s), float(trigger_m), float(speed), float(delay)
        self.at_crossing = bool(at_crossing)
        self.started_at = None
        self.done = False

    def advance(self, t, ego_s):
        """Move one step: start when triggered, stop (and leave the road) once across."""
        if self.started_at is None and self.s - ego_s <= self.trigger_m:
            self.started_at = t + self.delay
        if self.done or self.started_at is None or t < self.started_at:
            self.speed = 0.0
            return
        left = self.end - self.position
        distance = float(np.hypot(*left))
        step = self.walk_speed * DT
        if distance <= step:
            self.position = self.end.copy()
            self.speed, self.done = 0.0, True
        else:
            self.position = self.position + left / distance * step
            self.speed = self.walk_speed

    @property
    def velocity(self):
        return self.speed * np.array([math.cos(self.heading), math.sin(self.heading)])


class ParkedCar(Obstacle):
    """A curb-parked vehicle: a static obstacle the size of a car."""

    LENGTH = 4.6
    WIDTH = 1.9

    def __init__(self, road, position, heading):
        super().__init__(road, position, heading)
        self.diagonal = math.hypot(self.LENGTH, self.WIDTH)


class Traffic(IDMVehicle):
    """An IDM vehicle that also stops for red lights and can play an adversarial part.

    ``stops`` lists ``(lane_index, longitudinal, light, crossing)``: where this vehicle must stop on
    red (``crossing`` selects the crossing street's phase). ``runs_red`` ignores them. ``brake_check``
    ``(trigger_m, hold_s)`` brakes hard to a stop once the ego is within ``trigger_m`` behind it.
    ``intrusion`` ``(shift_m, trigger_m)`` holds a lateral shift of ``shift_m`` (right +, in its own
    lane's frame; negative drifts an oncoming car into the ego lane) once the ego is within ``trigger_m``.
    Vehicles on the route nudge left past curb-parked blockers.
    """

    def __init__(self, road, lane_index, longitudinal, speed, target_speed, world, route=None):
        lane = road.network.get_lane(lane_index)
        super().__init__(road, lane.position(longitudinal, 0.0), lane.heading_at(longitudinal), speed,
                         target_lane_index=lane_index, target_speed=target_speed, route=route,
                         enable_lane_change=False)
        self.lane_index, self.lane, self.world = lane_index, lane, world
        self.stops, self.runs_red = [], False
        self.brake_check, self.braking_until = None, None
        self.intrusion, self.shift = None, 0.0
        self.kind = "cross" if route is None else "route"
        self.final = route[-1] if route else lane_index
        self.finished = False

    def on_state_update(self):
        self.lane_index = self.target_lane_index
        self.lane = self.road.network.get_lane(self.lane_index)

    def follow_road(self):
        lane = self.road.network.get_lane(self.target_lane_index)
        if lane.after_end(self.position):
            if self.target_lane_index == self.final:
                self.finished = True
                return
            self.target_lane_index = self.road.network.next_lane(self.target_lane_index, route=self.route,
                                                                 position=self.position, np_random=self.road.np_random)

    def steering_control(self, target_lane_index):
        lane = self.road.network.get_lane(target_lane_index)
        s, lateral = lane.local_coordinates(self.position)
        lateral -= self.shift
        heading = lane.heading_at(s + self.speed * self.TAU_PURSUIT)
        command = math.asin(max(-1.0, min(1.0, -self.KP_LATERAL * lateral / max(self.speed, 1e-2))))
        rate = self.KP_HEADING * wrap(heading + max(-math.pi / 4, min(math.pi / 4, command)) - self.heading)
        slip = math.asin(max(-1.0, min(1.0, self.LENGTH / 2 / max(self.speed, 1e-2) * rate)))
        return float(max(-self.MAX_STEERING_ANGLE, min(self.MAX_STEERING_ANGLE, math.atan(2 * math.tan(slip)))))

    def stop_acceleration(self, gap):
        """IDM acceleration toward a standing obstacle ``gap`` metres ahead of the front bumper."""
        if gap <= 0.1:
            return -self.ACC_MAX
        speed = max(self.speed, 0.0)
        wanted = 1.5 + speed * self.TIME_WANTED + speed * speed / (2 * math.sqrt(-self.COMFORT_ACC_MAX * self.COMFORT_ACC_MIN))
        return self.COMFORT_ACC_MAX * (1 - (speed / max(self.target_speed, 0.1)) ** self.DELTA - (wanted / gap) ** 2)

    def follow_acceleration(self, front):
        """highway-env's IDM acceleration behind ``front`` (or on a free road when it is None)."""
        if front is None:
            return self.acceleration(self, None)
        other, distance = front
        speed = max(self.speed, 0.0)
        closing = speed - float(np.dot(other.velocity, self.direction))
        wanted = self.DISTANCE_WANTED + speed * self.TIME_WANTED + speed * closing / (
            2 * math.sqrt(-self.COMFORT_ACC_MAX * self.COMFORT_ACC_MIN))
        return self.acceleration(self, None) - self.COMFORT_ACC_MAX * (wanted / max(distance, 1e-3)) ** 2

    def act(self, action=None):
        if self.crashed or self.finished:
            return
        self.follow_road()
        steering = self.steering_control(self.target_lane_index)
        front, self.shift = self.world.front_of(self)
        accel = self.follow_acceleration(front)
        t, ego_s = self.world.time, self.world.ego_s
        s = self.lane.local_coordinates(self.position)[0]
        if not self.runs_red:
            for lane_index, stop_s, light, crossing in self.stops:
                if lane_index != self.lane_index or stop_s < s - 0.5:
                    continue
                state = light.cross(t) if crossing else light.state(t)
                gap = stop_s - s - self.LENGTH / 2
                stoppable = self.speed ** 2 / (2 * 4.0) <= gap + 1.0
                if state == "Red" or (state == "Yellow" and stoppable):
                    accel = min(accel, self.stop_acceleration(gap))
        if self.brake_check is not None:
            trigger, hold = self.brake_check
            behind = self.world.frenet[id(self)][0] - ego_s
            if self.braking_until is None and 0.0 < behind <= trigger:
                self.braking_until = t + hold + self.speed / 6.0
            if self.braking_until is not None and t < self.braking_until:
                accel = -6.0
        if self.intrusion is not None:
            offset, trigger = self.intrusion
            distance = float(np.hypot(*(self.position - self.world.ego.position)))
            self.shift = offset if distance <= trigger else self.shift
        accel = max(accel, -self.speed / DT)
        Vehicle.act(self, {"steering": steering, "acceleration": float(max(-self.ACC_MAX, min(self.ACC_MAX, accel)))})


class Streets(Road):
    """highway-env's Road, with its pairwise collision checks screened by one distance matrix."""

    def step(self, dt):
        for vehicle in self.vehicles:
            vehicle.step(dt)
        things = self.vehicles + self.objects
        if len(things) < 2:
            return
        where = np.array([v.position for v in things])
        reach = np.array([v.diagonal / 2 + abs(getattr(v, "speed", 0.0)) * dt for v in things])
        close = np.hypot(*(where[:, None, :] - where[None, :, :]).transpose(2, 0, 1)) <= reach[:, None] + reach[None, :]
        n = len(self.vehicles)
        for i, j in zip(*np.nonzero(np.triu(close, 1))):
            if i < n:
                things[i].handle_collisions(things[j], dt)


class Ego(Vehicle):
    """The policy's car: steer, throttle and brake mapped onto highway-env's kinematic bicycle."""

    def on_state_update(self):
        pass

    def control(self, steer, throttle, brake):
        """Apply a (steer, throttle, brake) command, already clipped to [-1, 1] x [0, 1] x [0, 1]."""
        speed = max(self.speed, 0.0)
        accel = A_THROTTLE * throttle - A_BRAKE * brake - (0.15 + 0.0015 * speed * speed) * (speed > 0.01)
        accel = max(accel, -speed / DT)
        self.act({"steering": float(steer) * MAX_STEER_RAD, "acceleration": float(accel)})


class Route:
    """The ego lane's centreline: highway-env lanes both ways, and a 1 m polyline for Frenet projection.

    ``blocks`` are the straight street lengths between intersections; ``turns`` one of "S" (straight
    across a cross street), "L" or "R" per intersection, turned on an arc of ``radius`` metres.
    """

    def __init__(self, network, blocks, turns, radius):
        self.pieces, self.intersections = [], []
        position, heading, s, node = np.zeros(2), 0.0, 0.0, 0
        for k, length in enumerate(blocks):
            position, heading, s, node = self._straight(network, position, heading, s, node, float(length))
            if k < len(turns):
                box_start = s
                if turns[k] == "S":
                    position, heading, s, node = self._straight(network, position, heading, s, node, BOX_M)
                else:
                    position, heading, s, node = self._arc(network, position, heading, s, node, radius, turns[k] == "R")
                self.intersections.append({"index": k, "turn": turns[k], "box_start": box_start, "box_end": s})
        self.length = s
        points, tangents = [], []
        for piece in self.pieces:
            lane = piece["lane"]
            for d in np.arange(0.0, lane.length, 1.0):
                points.append(lane.position(d, 0.0))
                tangents.append(lane.heading_at(d))
        last = self.pieces[-1]["lane"]
        points.append(last.position(last.length, 0.0))
        self.points = np.array(points)
        segments = np.diff(self.points, axis=0)
        self.seg_len = np.maximum(np.hypot(segments[:, 0], segments[:, 1]), 1e-9)
        self.tangent = segments / self.seg_len[:, None]
        self.s_before = np.concatenate([[0.0], np.cumsum(self.seg_len)[:-1]])
        self.length = float(self.s_before[-1] + self.seg_len[-1])

    def _add(self, network, lane, back, s, node, kind):
        network.add_lane(f"r{node}", f"r{node + 1}", lane)
        network.add_lane(f"r{node + 1}", f"r{node}", back)
        self.pieces.append({"lane": lane, "back": back, "s": s, "kind": kind,
                            "index": (f"r{node}", f"r{node + 1}", 0), "back_index": (f"r{node + 1}", f"r{node}", 0)})
        return s + lane.length, node + 1

    def _straight(self, network, position, heading, s, node, length):
        direction = np.array([math.cos(heading), math.sin(heading)])
        left = -LANE_WIDTH * np.array([-direction[1], direction[0]])
        end = position + direction * length
        lines = (LineType.CONTINUOUS_LINE, LineType.STRIPED)
        lane = StraightLane(position, end, width=LANE_WIDTH, line_types=lines, speed_limit=20)
        back = StraightLane(end + left, position + left, width=LANE_WIDTH, line_types=lines, speed_limit=20)
        s, node = self._add(network, lane, back, s, node, "straight")
        return end, heading, s, node

    def _arc(self, network, position, heading, s, node, radius, right):
        side = 1.0 if right else -1.0
        centre = position + radius * np.array([math.cos(heading + side * math.pi / 2), math.sin(heading + side * math.pi / 2)])
        start = heading - side * math.pi / 2
        end = start + side * math.pi / 2
        lines = (LineType.CONTINUOUS_LINE, LineType.STRIPED)
        lane = CircularLane(centre, radius, start, end, clockwise=right, width=LANE_WIDTH, line_types=lines, speed_limit=20)
        back = CircularLane(centre, radius + side * LANE_WIDTH, end, start, clockwise=not right, width=LANE_WIDTH,
                            line_types=lines, speed_limit=20)
        s, node = self._add(network, lane, back, s, node, "right" if right else "left")
        return lane.position(lane.length, 0.0), heading + side * math.pi / 2, s, node

    def locate(self, position, piece=None):
        """Frenet ``(s, lateral, heading, piece)`` of one world ``position`` from the lanes themselves.

        ``piece`` is where to start looking (the last answer for a moving thing); the search walks
        to the neighbouring piece while the position lies before or past the current one.
        """
        if piece is None:
            s0 = float(self.s_before[min(int(self.project_vertex(np.atleast_2d(position))[0]), len(self.s_before) - 1)])
            piece = next(k for k, p in enumerate(self.pieces) if s0 < p["s"] + p["lane"].length or k == len(self.pieces) - 1)
        step = 0
        for _ in range(len(self.pieces)):
            lane = self.pieces[piece]["lane"]
            longitudinal, lateral = lane.local_coordinates(position)
            move = -1 if longitudinal < 0 and piece > 0 else 1 if longitudinal > lane.length and piece < len(self.pieces) - 1 else 0
            if move == 0 or move == -step:
                break
            piece, step = piece + move, move
        longitudinal = min(max(longitudinal, -50.0), lane.length + 50.0)
        return self.pieces[piece]["s"] + longitudinal, lateral, float(lane.heading_at(longitudinal)), piece

    def project_vertex(self, points):
        """Index of the route vertex nearest to each of ``points`` (M, 2)."""
        return np.argmin(((points[:, None, :] - self.points[None, :, :]) ** 2).sum(axis=2), axis=1)

    def position(self, s, lateral=0.0):
        """World position at route metre ``s``, ``lateral`` metres to the right; and the heading there."""
        s = float(min(max(s, 0.0), self.length - 1e-6))
        k = int(min(np.searchsorted(self.s_before, s, side="right") - 1, len(self.seg_len) - 1))
        tangent = self.tangent[k]
        base = self.points[k] + tangent * (s - self.s_before[k])
        return base + lateral * np.array([-tangent[1], tangent[0]]), math.atan2(tangent[1], tangent[0])

    def lane_at(self, s, back=False):
        """The lane index of the piece holding route metre ``s`` (the oncoming one with ``back``) and its local s."""
        for piece in self.pieces:
            if s < piece["s"] + piece["lane"].length or piece is self.pieces[-1]:
                local = s - piece["s"]
                if back:
                    return piece["back_index"], piece["back"].length * (1.0 - local / piece["lane"].length)
                return piece["index"], local
        raise AssertionError("unreachable")


def ttc_longitudinal(gap, rel, cap=20.0):
    """Seconds until a closing gap closes (None unless closing at 1 mm/s or more), capped at ``cap``."""
    return float(min(gap / max(1e-3, -rel), cap)) if rel < -1e-3 else None


def ttc_conflict(gap, rel, cap=20.0):
    """Seconds until an oncoming car is alongside (None when neither moves), capped at ``cap``."""
    return None if abs(rel) < 1e-3 else float(min(gap / abs(rel), cap))


def time_to_lateral(target, lateral, rate, minimum=0.2):
    """Seconds until ``lateral`` reaches ``target`` at ``rate`` m/s; None if too slow or moving away."""
    if abs(rate) < minimum or (target - lateral) * rate <= 0:
        return None
    return (target - lateral) / rate


class DrivingCore:
    """A driving level on highway-env with COvolve's CARLA observation (see DOC_ENV of envs.driving).

    ``reset(seed=None) -> (obs, info)``; ``step((steer, throttle, brake)) -> (obs, reward, terminated,
    truncated, info)``. The reward is the share of the route gained this step; ``info`` holds
    ``success``, ``infraction`` (None, "collision", "red_light", "off_road" or "timeout"), ``where``
    (route metre and position of the ego), ``progress`` and ``route_length``. ``path`` is the route
    polyline [[x, y], ...] every 1 m (what COvolve's CARLA loader passes to ``compute_action``).
    """

    metadata = {"render_modes": []}

    def __init__(self, **level):
        self.level = dict(level)
        self.route = Route(RoadNetwork(), level["blocks"], level["turns"], level["turn_radius"])
        self.path = [[round(float(x), 3), round(float(y), 3)] for x, y in self.route.points]
        self.time, self.ego_s, self.ego = 0.0, 0.0, None

    # ----- building one episode -----
    def reset(self, seed=None, options=None):
        level = self.level
        rng = np.random.default_rng(seed)
        network = RoadNetwork()
        self.route = Route(network, level["blocks"], level["turns"], level["turn_radius"])
        self.road = Streets(network=network, np_random=np.random.RandomState(int(rng.integers(2 ** 31))),
                            record_history=False)
        self.time, self.steps = 0.0, 0
        self.max_steps = int(level["max_steps"])
        route = self.route
        start, heading = route.position(level["start_s"])
        self.ego = Ego(self.road, start, heading, 0.0)
        self.road.vehicles.append(self.ego)
        self.ego_s = float(level["start_s"])
        self.lights, self.parked, self.pedestrians, self.traffic = [], [], [], []
        self.counts = {"brake_checkers": 0, "red_runners": 0, "intruders": 0, "bursts": 0,
                       "crossing_pedestrians": 0, "jaywalkers": 0}
        self._lights(rng)
        self._cross_streets(rng)
        self._leads(rng)
        self._oncoming(rng)
        self._parked(rng)
        self._pedestrians(rng)
        self.hist = {key: [0.0] * HIST_LEN for key in ("speed", "lateral", "yaw", "steer", "throttle", "brake")}
        self.lat_ema, self.last = None, (0.0, 0.0, 0.0)
        self.infraction, self.where = None, None
        self.frenet_last = {}
        self.tabulate()
        return self.observe(), self.info(False)

    def _lights(self, rng):
        cycle = tuple(self.level["light_cycle"])
        wanted = set(self.level["lights"])
        for box in self.route.intersections:
            if box["index"] in wanted:
                stop = box["box_start"] - STOP_BEFORE_BOX_M
                gate, _ = self.route.position(stop + GATE_RADIUS_M)
                self.lights.append(TrafficLight(stop, cycle, float(rng.uniform(0, sum(cycle))), gate))
                box["light"] = self.lights[-1]

    def _cross_streets(self, rng):
        level, network = self.level, self.road.network
        count, runners = int(level["cross_traffic"]), float(level["red_runner_rate"])
        for box in self.route.intersections:
            if box["turn"] != "S" or count <= 0 or "light" not in box:
                continue
            centre, heading = self.route.position((box["box_start"] + box["box_end"]) / 2, -LANE_HALF)
            k = box["index"]
            for name, sign in (("a", 1.0), ("b", -1.0)):
                direction = np.array([math.cos(heading + sign * math.pi / 2), math.sin(heading + sign * math.pi / 2)])
                behind = -np.array([math.cos(heading), math.sin(heading)]) * sign * LANE_HALF
                start = centre - direction * 40.0 + behind
                lane = StraightLane(start, centre + direction * 40.0 + behind, width=LANE_WIDTH, speed_limit=20)
                index = (f"x{k}{name}0", f"x{k}{name}1", 0)
                network.add_lane(index[0], index[1], lane)
                for j in range(count):
                    s0 = 40.0 - LANE_WIDTH - 6.0 - 12.0 * j - float(rng.uniform(0, 25))
                    if s0 < 2.0:
                        continue
                    car = Traffic(self.road, index, s0, float(rng.uniform(3, 6)), float(rng.uniform(6, 9)), self)
                    self._idm(car)
                    if "light" in box:
                        car.stops.append((index, 40.0 - LANE_WIDTH - 3.0, box["light"], True))
                    if rng.random() < runners:
                        car.runs_red = True
                        self.counts["red_runners"] += 1
                    self.road.vehicles.append(car)
                    self.traffic.append(car)

    def _idm(self, car):
        level = self.level
        car.TIME_WANTED = float(level["idm_time_headway"])
        car.DISTANCE_WANTED = float(level["idm_min_gap"]) + car.LENGTH
        car.COMFORT_ACC_MAX = float(level["idm_accel"])

    def _route_stops(self, car, back):
        """Give ``car`` the stop line of every light in its direction (the oncoming one mirrors it)."""
        for box in self.route.intersections:
            light = box.get("light")
            if light is None:
                continue
            if back:
                index, local = self.route.lane_at(box["box_end"] + STOP_BEFORE_BOX_M, back=True)
            else:
                index, local = self.route.lane_at(light.stop_s)
            car.stops.append((index, local, light, False))

    def _leads(self, rng):
        level, route = self.level, self.route
        n = int(round(level["lead_density"] * route.length / 100.0))
        positions = np.sort(rng.uniform(level["start_s"] + 18.0, route.length - 25.0, n)) if n else []
        last = -1e9
        for s in positions:
            if s - last < 12.0:
                continue
            last = s
            index, local = route.lane_at(s)
            remaining = [p["index"] for p in route.pieces if p["s"] > s]
            speed = float(rng.uniform(*level["traffic_speed"]))
            car = Traffic(self.road, index, local, speed * 0.8, speed, self, route=[index] + remaining)
            self._idm(car)
            self._route_stops(car, False)
            if rng.random() < level["brake_check_rate"]:
                car.brake_check = (float(rng.uniform(8.0, 20.0)), float(rng.uniform(1.0, 3.0)))
                self.counts["brake_checkers"] += 1
            if rng.random() < level["red_runner_rate"]:
                car.runs_red = True
                self.counts["red_runners"] += 1
            self.road.vehicles.append(car)
            self.traffic.append(car)

    def _oncoming(self, rng):
        level, route = self.level, self.route
        n = int(round(level["oncoming_density"] * route.length / 100.0))
        positions = np.sort(rng.uniform(level["start_s"] + 30.0, route.length, n)) if n else []
        last = -1e9
        for s in positions:
            if s - last < 12.0:
                continue
            last = s
            index, local = route.lane_at(s, back=True)
            earlier = [p["back_index"] for p in reversed(route.pieces) if p["s"] + p["lane"].length <= s]
            speed = float(rng.uniform(*level["traffic_speed"]))
            car = Traffic(self.road, index, local, speed, speed, self, route=[index] + earlier)
            self._idm(car)
            self._route_stops(car, True)
            if rng.random() < level["intrusion_rate"]:
                car.intrusion = (-float(level["intrusion_m"]), float(rng.uniform(15.0, 35.0)))
                self.counts["intruders"] += 1
            self.road.vehicles.append(car)
            self.traffic.append(car)

    def _clear_of_boxes(self, s, margin):
        return all(not (box["box_start"] - margin <= s <= box["box_end"] + margin) for box in self.route.intersections)

    def _parked(self, rng):
        level, route = self.level, self.route
        for _ in range(int(level["parked"])):
            for _attempt in range(20):
                s = float(rng.uniform(level["start_s"] + 30.0, route.length - 20.0))
                if self._clear_of_boxes(s, 12.0) and all(abs(s - p.s) > 15.0 for p in self.parked):
                    break
            else:
                continue
            lateral = LANE_HALF - float(level["parked_intrusion"]) + ParkedCar.WIDTH / 2
            position, heading = route.position(s, lateral)
            car = ParkedCar(self.road, position, heading)
            car.s = s
            self.parked.append(car)
            self.road.objects.append(car)

    def _pedestrian(self, rng, s, trigger, at_crossing, delay=0.0, along=0.0):
        right = rng.random() < 0.5
        near = LANE_HALF + PED_WAIT_M
        far = -(LANE_HALF + LANE_WIDTH + PED_WAIT_M)
        start, _ = self.route.position(s + along, near if right else far)
        end, _ = self.route.position(s + along, far if right else near)
        walker = Pedestrian(self.road, start, end, s + along, trigger, float(rng.uniform(1.1, 1.7)), delay, at_crossing)
        self.pedestrians.append(walker)
        self.road.objects.append(walker)

    def _pedestrians(self, rng):
        level, route = self.level, self.route
        for box in route.intersections:
            if rng.random() >= level["crossing_rate"]:
                continue
            s = box["box_start"] - STOP_BEFORE_BOX_M / 2
            trigger = float(rng.uniform(*level["ped_trigger_m"]))
            burst = rng.random() < level["ped_burst_rate"]
            size = int(rng.integers(3, 7)) if burst else 1
            self.counts["bursts"] += burst
            for j in range(size):
                self._pedestrian(rng, s, trigger, True, delay=float(rng.uniform(0, 0.6)) * j, along=float(rng.uniform(-1.0, 1.0)))
                self.counts["crossing_pedestrians"] += 1
        expected = level["jaywalk_per_100m"] * route.length / 100.0
        for _ in range(int(rng.poisson(expected)) if expected > 0 else 0):
            s = float(rng.uniform(level["start_s"] + 30.0, route.length - 10.0))
            if self._clear_of_boxes(s, 6.0):
                self._pedestrian(rng, s, float(rng.uniform(*level["ped_trigger_m"])), False)
                self.counts["jaywalkers"] += 1

    # ----- one step -----
    def tabulate(self):
        """Route coordinates (s, lateral) of every vehicle and object, by id, in ``self.frenet``."""
        things = self.road.vehicles + self.road.objects
        self.frenet = {}
        for v in things:
            if v is not self.ego and getattr(v, "speed", 0.0) == 0.0 and id(v) in self.frenet_last:
                self.frenet[id(v)] = self.frenet_last[id(v)]
                continue
            s, lateral, heading, v.route_piece = self.route.locate(v.position, getattr(v, "route_piece", None))
            self.frenet[id(v)] = (float(s), float(lateral))
            if v is self.ego:
                self.ego_heading = heading
        self.frenet_last = self.frenet
        self.things = things

    def front_of(self, car):
        """``((other, centre distance) or None, lateral shift)`` for ``car``'s IDM and lane keeping.

        Route traffic looks along the route at what shares its lane (within 1 m of its edges); a
        curb-parked blocker is passed with a nudge to the left instead. Cross traffic uses
        highway-env's own lane neighbours.
        """
        if car.kind == "cross":
            front = self.road.neighbour_vehicles(car, car.lane_index)[0]
            return (None if front is None else (front, car.lane_distance_to(front))), 0.0
        if id(car) not in self.frenet:   # joined the road since the last step
            self.tabulate()
        s, lateral = self.frenet[id(car)]
        forward = lateral > -LANE_HALF - 1.0
        centre = 0.0 if forward else -LANE_WIDTH
        best, shift = None, 0.0
        for other in self.things:
            if other is car or getattr(other, "done", False):
                continue
            s_o, lat_o = self.frenet[id(other)]
            ahead = s_o - s if forward else s - s_o
            if ahead <= 0.0 or ahead > 60.0 or abs(lat_o - centre) > LANE_HALF + 1.0:
                continue
            if isinstance(other, ParkedCar) and forward:
                if ahead < 15.0 or -5.0 < s - s_o:
                    shift = min(shift, -(self.level["parked_intrusion"] + 0.4))
                continue
            if best is None or ahead < best[1]:
                best = (other, ahead)
        return best, shift

    def step(self, action):
        steer, throttle, brake = (float(v) for v in action)
        steer, throttle, brake = max(-1.0, min(1.0, steer)), max(0.0, min(1.0, throttle)), max(0.0, min(1.0, brake))
        self.ego.control(steer, throttle, brake)
        self.last = (steer, throttle, brake)
        previous_s = self.ego_s
        self.road.act()
        self.road.step(DT)
        self.ego.speed = max(self.ego.speed, 0.0)
        self.time += DT
        self.steps += 1
        for walker in self.pedestrians:
            walker.advance(self.time, self.ego_s)
        self.tabulate()
        self.ego_s, lateral = self.frenet[id(self.ego)]
        self._judge(previous_s, lateral)
        self._clear_road()
        done = self.infraction is not None or self.ego_s >= self.route.length - self.level["end_margin"]
        success = done and self.infraction is None
        truncated = self.infraction == "timeout"
        reward = (self.ego_s - previous_s) / self.route.length
        return self.observe(), float(reward), bool(done and not truncated), bool(truncated), self.info(success)

    def _clear_road(self):
        """Remove vehicles at the end of their route, and other road users in a crash without the ego."""
        if self.ego.crashed:
            return
        self.road.vehicles = [v for v in self.road.vehicles if v is self.ego or not (v.finished or v.crashed)]
        self.road.objects = [o for o in self.road.objects if isinstance(o, ParkedCar) or not (o.crashed or o.hit)]
        self.pedestrians = [w for w in self.pedestrians if not (w.crashed or w.hit)]
        for car in self.parked:
            car.crashed = car.hit = False

    def _judge(self, previous_s, lateral):
        """Record the first infraction of this step, if any."""
        what = None
        if self.ego.crashed:
            what = "collision"
        else:
            for light in self.lights:
                if previous_s < light.stop_s <= self.ego_s and light.state(self.time) == "Red" and self.ego.speed > 0.5:
                    what = "red_light"
            if lateral > LANE_HALF + OFFROAD_MARGIN_M or lateral < -(LANE_HALF + LANE_WIDTH + OFFROAD_MARGIN_M):
                what = what or "off_road"
            if what is None and self.steps >= self.max_steps and self.ego_s < self.route.length - self.level["end_margin"]:
                what = "timeout"
        if what and self.infraction is None:
            self.infraction = what
            self.where = {"s": round(self.ego_s, 1), "x": round(float(self.ego.position[0]), 1),
                          "y": round(float(self.ego.position[1]), 1), "t": round(self.time, 2)}
            if what == "collision":
                self.where["with"] = self._collided_with()

    def _collided_with(self):
        """What the ego hit: "vehicle", "parked car" or "pedestrian" (the nearest crashed thing)."""
        hit = [v for v in self.things if v is not self.ego and (getattr(v, "crashed", False) or getattr(v, "hit", False))]
        if not hit:
            return "unknown"
        other = min(hit, key=lambda v: float(np.hypot(*(v.position - self.ego.position))))
        return "pedestrian" if isinstance(other, Pedestrian) else "parked car" if isinstance(other, ParkedCar) else "vehicle"

    def info(self, success):
        return {"success": bool(success), "infraction": self.infraction, "where": self.where,
                "progress": round(min(1.0, self.ego_s / self.route.length), 4),
                "route_length": round(self.route.length, 1), "time_s": round(self.time, 2)}

    # ----- the observation -----
    def observe(self):
        """COvolve's CARLA observation dict (see DOC_ENV of envs.driving)."""
        ego, route = self.ego, self.route
        pos, yaw, speed = ego.position, float(ego.heading), float(max(ego.speed, 0.0))
        beta = math.atan(0.5 * math.tan(ego.action["steering"])) if ego.action else 0.0
        yaw_rate = speed * math.sin(beta) / (ego.LENGTH / 2)
        s_now, lateral = self.frenet[id(ego)]
        path_yaw = self.ego_heading
        self.lat_ema = lateral if self.lat_ema is None else 0.2 * lateral + 0.8 * self.lat_ema
        for key, value in (("speed", speed), ("lateral", self.lat_ema), ("yaw", wrap(yaw - path_yaw)),
                           ("steer", self.last[0]), ("throttle", self.last[1]), ("brake", self.last[2])):
            self.hist[key] = self.hist[key][1:] + [value]
        cos, sin = math.cos(yaw), math.sin(yaw)
        velocity = speed * np.array([math.cos(yaw + beta), math.sin(yaw + beta)])

        def to_ego(vector):
            return float(cos * vector[0] + sin * vector[1]), float(-sin * vector[0] + cos * vector[1])

        light_obs = {"exists": False, "dist_m": None, "state": None}
        for light in self.lights:
            if 0.0 <= light.gate_s - s_now <= VIEW_M:
                light_obs = {"exists": True, "dist_m": round(float(np.hypot(*(light.position - pos))), 2),
                             "state": light.state(self.time)}
                break
        leads, oncoming = [], []
        others = [v for v in self.road.vehicles if v is not ego] + self.parked
        if others:
            for car in others:
                s_v, lat_v = self.frenet[id(car)]
                ds = float(s_v) - s_now
                if ds <= 0.0 or ds > (VIEW_M if abs(lat_v) <= LANE_HALF + 1.0 else OPP_VIEW_M):
                    continue
                gap_long, gap_lat = to_ego(car.position - pos)
                if gap_long <= 0.0:
                    continue
                rel_long = to_ego(np.asarray(car.velocity) - velocity)[0]
                if abs(lat_v) <= LANE_HALF or (abs(gap_lat) <= LANE_HALF + 0.5 and ds <= VIEW_M
                                               and abs(ds - math.hypot(gap_long, gap_lat)) <= 1.0):
                    ttc = ttc_longitudinal(gap_long, rel_long)
                    leads.append({"gap_long_m": round(gap_long, 2), "gap_lat_m": round(gap_lat, 2),
                                  "rel_long_mps": round(rel_long, 2), "ttc_s": None if ttc is None else round(ttc, 2),
                                  "thw_s": round(gap_long / max(0.5, speed), 2)})
                elif -(LANE_HALF + LANE_WIDTH) <= lat_v < -LANE_HALF:
                    conflict = ttc_conflict(gap_long, rel_long)
                    oncoming.append({"gap_long_m": round(gap_long, 2), "gap_lat_m": round(gap_lat, 2),
                                     "rel_long_mps": round(rel_long, 2),
                                     "t_conflict_s": None if conflict is None else round(conflict, 2)})
        leads.sort(key=lambda d: d["gap_long_m"])
        oncoming.sort(key=lambda d: d["gap_long_m"])
        walkers = []
        for walker in self.pedestrians:
            ds = walker.s - s_now
            if not 0.0 < ds <= VIEW_M:
                continue
            gap_long, gap_lat = to_ego(walker.position - pos)
            rel_lat = to_ego(walker.velocity - velocity)[1]
            if -LANE_HALF <= gap_lat <= LANE_HALF:
                walkers.append({"lane": "ego", "state": "in_lane", "gap_long_m": round(gap_long, 2),
                                "gap_lat_m": round(gap_lat, 2), "rel_lat_mps": round(rel_lat, 2), "t_enter_lane_s": 0.0,
                                "side": "right" if gap_lat > 0 else "left" if gap_lat < 0 else "center"})
                continue
            left_band = -(LANE_HALF + LANE_WIDTH) <= gap_lat < -LANE_HALF
            right_band = LANE_HALF < gap_lat <= LANE_HALF + 1.0
            if (left_band or right_band) and rel_lat * gap_lat < 0.0:
                enter = time_to_lateral(-LANE_HALF if left_band else LANE_HALF, gap_lat, rel_lat)
                if enter is not None and 0.0 < enter <= 8.0:
                    walkers.append({"lane": "approach", "state": "approaching_lane", "gap_long_m": round(gap_long, 2),
                                    "gap_lat_m": round(gap_lat, 2), "rel_lat_mps": round(rel_lat, 2),
                                    "t_enter_lane_s": round(enter, 2), "side": "right" if gap_lat > 0 else "left"})
        h = self.hist
        return {"speed_mps": round(speed, 2), "yaw_rate_rps": round(yaw_rate, 3),
                "speed_hist4": [round(x, 2) for x in h["speed"]], "lateral_hist4": [round(x, 3) for x in h["lateral"]],
                "yaw_error_hist4": [round(x, 3) for x in h["yaw"]], "steer_cmd_hist4": [round(x, 3) for x in h["steer"]],
                "throttle_cmd_hist4": [round(x, 3) for x in h["throttle"]],
                "brake_cmd_hist4": [round(x, 3) for x in h["brake"]],
                "traffic_light": light_obs, "lead_cars": leads[:2], "opposite_cars": oncoming[:2], "pedestrians": walkers}
