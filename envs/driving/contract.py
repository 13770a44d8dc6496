"""The driving program contracts: their text, and the checks every entry point shares."""
from __future__ import annotations

import math

import numpy as np

from envs.api import ProgramError, checked_step, describe_exception, keys_problem, seeded_reset
from envs.api import construct_env as make_env  # noqa: F401 - the driving modules build levels by it

DOC_ENV = """\
A driving environment program defines `class CustomEnv`, constructible as `CustomEnv()`, with
`reset(seed=...) -> (obs, info)` and `step((steer, throttle, brake)) -> (obs, reward, terminated,
truncated, info)`, built on highway-env (highway_env.road.road.Road/RoadNetwork, lanes, IDM vehicles,
polygon collisions). It may import the standard library, numpy, gymnasium and highway_env. The harness
seeds `random` and `numpy.random` and passes `reset(seed=...)`; all randomness must follow that seed.
The level is an urban route for the ego on a two-way single carriageway (one 4 m lane per direction;
the oncoming lane lies left of the ego lane), through intersections (straight across a cross street
or turning), with traffic lights (phases, stop lines), pedestrians crossing at crosswalks and
elsewhere, other vehicles (IDM) and adversarial behaviours: abrupt braking ahead, vehicles running
red lights, curb-parked blockers, oncoming intrusions, pedestrian bursts. Simulation and policy run
at 20 Hz (0.05 s a step). The ego's command: steer in [-1, 1] (positive turns right; 1 is a 70 degree
front-wheel angle on a kinematic bicycle with 2.5 m from the centre to each axle), throttle in [0, 1]
(3.5 m/s^2 at full throttle), brake in [0, 1] (8 m/s^2 at full brake).
`obs` is COvolve's CARLA observation dict. Metres, seconds, radians; the ego frame is x forward, y to
the right; lateral and yaw errors are positive to the right of the route (Frenet projection onto the
route polyline):
  speed_mps, yaw_rate_rps (positive turning right)
  speed_hist4, lateral_hist4 (lateral error, smoothed 0.2/0.8), yaw_error_hist4, steer_cmd_hist4,
  throttle_cmd_hist4, brake_cmd_hist4: the last four values, oldest first (commands: the ones applied)
  traffic_light: {exists, dist_m (to the light's gate point, 2.5 m past its stop line), state
    "Red"|"Yellow"|"Green"} for the nearest light ahead on the route within 35 m, else
    {exists: False, dist_m: None, state: None}
  lead_cars: up to 2, nearest first, in the ego lane within 35 m ahead (curb-parked cars included):
    {gap_long_m, gap_lat_m (centre to centre, ego frame), rel_long_mps (negative: closing),
     ttc_s (gap over closing speed, None unless closing, at most 20), thw_s (gap over max(0.5, speed))}
  opposite_cars: up to 2 in the oncoming lane within 50 m ahead:
    {gap_long_m, gap_lat_m, rel_long_mps, t_conflict_s (gap over |rel_long_mps|, None if 0, at most 20)}
  pedestrians: within 35 m ahead, in the ego lane (|gap_lat_m| <= 2) or approaching it:
    {lane "ego"|"approach", state "in_lane"|"approaching_lane", gap_long_m, gap_lat_m, rel_lat_mps,
     t_enter_lane_s (0 in the lane; else seconds until it reaches the lane edge, at most 8),
     side "right"|"left"|"center"}
`info` holds success (the route completed), infraction (None, "collision", "red_light" (crossing a
stop line on red faster than 0.5 m/s), "off_road" (the ego's centre 0.5 m beyond the carriageway),
"timeout"), where ({s, x, y, t} of the infraction), progress (share of the route), route_length.
The reward is the share of the route gained in the step. The episode terminates on completion or an
infraction, and is truncated on timeout. `CustomEnv().path` is the route polyline [[x, y], ...].
A level must be feasible: the domain's rule-based reference driver (route following, light
compliance, yielding, car following, passing curb-parked blockers) completes it on every check seed."""

DOC_POLICY = """\
A driving policy program defines `policy(obs) -> (steer, throttle, brake)` or `class Policy` with
`compute_action(obs, path) -> (steer, throttle, brake)` (constructed once per episode as `Policy()`;
`path` is the route polyline [[x, y], ...]), as COvolve's CARLA loader accepts. steer in [-1, 1]
(positive right), throttle and brake in [0, 1]; values outside are clipped. `obs` is COvolve's CARLA
observation dict: speed_mps, yaw_rate_rps, the last four values of speed, lateral error, yaw error
and the steer/throttle/brake commands (lateral_hist4, yaw_error_hist4, ... positive right of the
route), traffic_light {exists, dist_m, state}, lead_cars [{gap_long_m, gap_lat_m, rel_long_mps, ttc_s,
thw_s}], opposite_cars [{gap_long_m, gap_lat_m, rel_long_mps, t_conflict_s}], pedestrians [{lane,
state, gap_long_m, gap_lat_m, rel_lat_mps, t_enter_lane_s, side}]. It may import the standard
library and numpy and keep memory in module globals or the Policy instance. Success is completing
the route without a collision, a red-light violation (the stop line lies 2.5 m before the point
`dist_m` measures to), leaving the road, or a timeout; 20 steps a second."""

OBS_KEYS = ("speed_mps", "yaw_rate_rps", "speed_hist4", "lateral_hist4", "yaw_error_hist4", "steer_cmd_hist4",
            "throttle_cmd_hist4", "brake_cmd_hist4", "traffic_light", "lead_cars", "opposite_cars", "pedestrians")
"""The observation's keys, in COvolve's order."""


def obs_problem(obs) -> str | None:
    """What is wrong with ``obs`` under the contract, or None if it conforms."""
    problem = keys_problem(obs, OBS_KEYS)
    if problem:
        return problem
    for key in ("speed_mps", "yaw_rate_rps"):
        if not isinstance(obs[key], (int, float)) or not math.isfinite(obs[key]):
            return f"obs[{key!r}] must be a finite number, got {obs[key]!r}"
    for key in OBS_KEYS[2:8]:
        if not (isinstance(obs[key], list) and len(obs[key]) == 4):
            return f"obs[{key!r}] must be a list of the last 4 values, got {obs[key]!r}"
    light = obs["traffic_light"]
    if not isinstance(light, dict) or not {"exists", "dist_m", "state"} <= set(light):
        return f"obs['traffic_light'] must be a dict with exists, dist_m and state, got {light!r}"
    if light["exists"] and light["state"] not in ("Red", "Yellow", "Green"):
        return f"obs['traffic_light']['state'] must be 'Red', 'Yellow' or 'Green', got {light['state']!r}"
    for key in ("lead_cars", "opposite_cars", "pedestrians"):
        if not (isinstance(obs[key], list) and all(isinstance(item, dict) for item in obs[key])):
            return f"obs[{key!r}] must be a list of dicts, got {obs[key]!r}"
    return None


def reset_env(env, seed: int):
    """Seed the generators, reset ``env`` (with ``seed=`` if it takes one), check the observation.

    Returns ``(obs, info)``; raises ProgramError if reset raises or returns a malformed observation.
    """
    return seeded_reset(env, seed, obs_problem)


def _quick_obs_problem(obs) -> str | None:
    """The episode loop's check of a step's observation: its type."""
    return None if isinstance(obs, dict) else "obs must be a dict"


def step_env(env, action, full: bool = False):
    """``env.step(action)`` checked; the observation in full only with ``full`` (else its type)."""
    out = checked_step(env, action, obs_problem if full else _quick_obs_problem)
    if not isinstance(out[1], (int, float)) or not math.isfinite(out[1]):
        raise ProgramError(f"step() reward must be a finite number, got {out[1]!r}")
    return out


def policy_function(policy_module, path):
    """The program's driving function ``f(obs) -> action``: ``policy`` or ``Policy().compute_action``.

    Raises ProgramError when the program defines neither, or ``Policy()`` cannot be built.
    """
    function = getattr(policy_module, "policy", None)
    if callable(function):
        return function
    cls = getattr(policy_module, "Policy", None)
    if not callable(cls):
        raise ProgramError("the policy program must define `policy(obs)` or `class Policy` with compute_action(obs, path)")
    try:
        instance = cls()
    except Exception as exc:
        raise ProgramError(f"Policy() raised {describe_exception(exc)}") from exc
    method = getattr(instance, "compute_action", None)
    if not callable(method):
        raise ProgramError("class Policy must define compute_action(obs, path)")
    return lambda obs: method(obs, path)


def command(action):
    """``action`` as a clipped (steer, throttle, brake) tuple of floats, or None if malformed."""
    if isinstance(action, np.ndarray):
        action = action.tolist()
    if not isinstance(action, (list, tuple)) or len(action) != 3:
        return None
    if not all(isinstance(v, (int, float, np.integer, np.floating)) and math.isfinite(v) for v in action):
        return None
    steer, throttle, brake = (float(v) for v in action)
    return max(-1.0, min(1.0, steer)), max(0.0, min(1.0, throttle)), max(0.0, min(1.0, brake))
