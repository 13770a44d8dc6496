"""Feasibility: the domain's rule-based reference driver must complete the route on every check seed."""
from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace

import numpy as np

from envs.api import LevelCheck, ProgramError
from envs.driving.contract import make_env, reset_env
from envs.driving.driver import REFERENCE, Driver
from envs.driving.runner import run_episode


def reference_policy():
    """A policy module (a namespace with ``policy``) driving with a fresh reference :class:`Driver`."""
    return SimpleNamespace(policy=Driver(REFERENCE).act)


def level_measures(env) -> dict:
    """Measures of a reset DrivingCore level (those it cannot read are left out)."""
    route = getattr(env, "route", None)
    if route is None or not hasattr(route, "intersections"):
        return {}
    length = float(route.length)
    traffic = list(getattr(env, "traffic", []))
    counts = dict(getattr(env, "counts", {}))
    walkers = list(getattr(env, "pedestrians", []))
    boxes = route.intersections
    measures = {"route_length": length, "intersections": len(boxes), "lights": len(getattr(env, "lights", [])),
                "turns": sum(box["turn"] != "S" for box in boxes), "vehicles": len(traffic),
                "vehicle_density": 100.0 * len(traffic) / length, "parked": len(getattr(env, "parked", [])),
                "pedestrians": len(walkers),
                "crossing_rate": sum(w.at_crossing for w in walkers) / max(len(boxes), 1)}
    for key in ("brake_checkers", "red_runners", "intruders"):
        measures[f"{key}_rate"] = counts.get(key, 0) / max(len(traffic), 1)
    measures["burst_rate"] = counts.get("bursts", 0) / max(len(boxes), 1)
    measures["jaywalkers_per_100m"] = 100.0 * counts.get("jaywalkers", 0) / length
    level = getattr(env, "level", {})
    for key in ("red_runner_rate", "brake_check_rate", "intrusion_rate", "ped_burst_rate", "parked_intrusion",
                "idm_time_headway", "turn_radius"):
        if isinstance(level.get(key), (int, float)):
            measures[f"design_{key}"] = float(level[key])
    if len(level.get("light_cycle", ())) == 3:
        measures["design_green_share"] = float(level["light_cycle"][0]) / float(sum(level["light_cycle"]))
    return measures


def check_env(env_module, *, seeds: Sequence[int]) -> LevelCheck:
    """Whether the reference driver completes ``env_module``'s route on every seed of ``seeds``.

    Rejects a class that cannot be built, a broken reset or step, a malformed observation, and a
    level the reference driver does not complete, naming the seed, the infraction and where.
    Measures (averaged over seeds): route_length, intersections, turns, lights, vehicles,
    vehicle_density (per 100 m), parked, pedestrians, crossing_rate (crosswalk pedestrians per
    intersection), brake_checkers_rate, red_runners_rate, intruders_rate (shares of the vehicles),
    burst_rate (per intersection), jaywalkers_per_100m, reference_time_s (the reference driver's
    completion time), and the level's designed chances and settings as design_* (red_runner_rate,
    brake_check_rate, intrusion_rate, ped_burst_rate, parked_intrusion, idm_time_headway,
    turn_radius, green_share of the light cycle).
    """
    if not seeds:
        raise ValueError("check_env needs at least one seed")
    try:
        env = make_env(env_module)
    except ProgramError as exc:
        return LevelCheck(False, str(exc))
    totals: dict[str, list[float]] = {}
    for seed in seeds:
        try:
            reset_env(env, seed)
        except ProgramError as exc:
            return LevelCheck(False, f"seed {seed}: {exc}")
        measures = level_measures(env)
        episode = run_episode(env_module, reference_policy(), seed=seed)
        if episode.error:
            return LevelCheck(False, f"seed {seed}: {episode.error}", measures)
        if not episode.success:
            trace, where = episode.trace, episode.trace.get("where") or {}
            return LevelCheck(False, (f"seed {seed}: the reference driver did not complete the route: "
                                      f"{trace.get('infraction') or trace.get('outcome')}"
                                      f"{' with a ' + where['with'] if where.get('with') else ''} at route metre "
                                      f"{where.get('s')} (x {where.get('x')}, y {where.get('y')}) after "
                                      f"{where.get('t')} s; make the level passable for a careful driver"), measures)
        measures["reference_time_s"] = episode.steps * 0.05
        for key, value in measures.items():
            totals.setdefault(key, []).append(float(value))
    return LevelCheck(True, None, {key: round(float(np.mean(values)), 4) for key, values in totals.items()})
