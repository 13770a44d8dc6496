"""A top-down picture of a driving level: road, lights, crosswalks, parked cars, the ego's path, infractions.

Drawn with matplotlib (Agg) into memory: :func:`render` returns the PNG as base64 text, so that a
sandbox worker, which cannot write into the run directory, hands the picture back as plain data.
"""
from __future__ import annotations

import base64
import io

import numpy as np

from envs.driving.contract import make_env, reset_env

_COLOURS = {"Red": "#d62728", "Yellow": "#e6b800", "Green": "#2ca02c"}


def _band(route, left: float, right: float) -> np.ndarray:
    """Polygon of the strip between ``left`` and ``right`` metres (right +) of the route."""
    normal = np.stack([-route.tangent[:, 1], route.tangent[:, 0]], axis=1)
    normal = np.vstack([normal, normal[-1:]])
    return np.vstack([route.points + normal * right, (route.points + normal * left)[::-1]])


def draw(env, path=(), trace=None, scale: float = 4.0) -> bytes:
    """PNG bytes of a reset DrivingCore level with ``path`` [[x, y], ...] and ``trace``'s infraction."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.patches import Polygon, Rectangle

    route = env.route
    points = route.points
    lo, hi = points.min(axis=0) - 15, points.max(axis=0) + 15
    size = np.clip((hi - lo) / 100.0 * scale, 3.0, 12.0)
    figure = Figure(figsize=(float(size[0]), float(size[1])), dpi=80)
    axes = figure.add_subplot(1, 1, 1)
    axes.set_facecolor("#e8e4d8")
    axes.add_patch(Polygon(_band(route, -6.0, 2.0), closed=True, color="#6b6b6b", zorder=1))
    for lane in env.road.network.lanes_list():
        if getattr(lane, "length", 0) and not any(lane is p["lane"] or lane is p["back"] for p in route.pieces):
            ends = np.array([lane.position(0, 0), lane.position(lane.length, 0)])
            axes.plot(ends[:, 0], ends[:, 1], color="#8a8a8a", linewidth=4 * scale, solid_capstyle="butt", zorder=1)
    axes.plot(points[:, 0], points[:, 1], color="#f0f0f0", linewidth=0.5, linestyle="--", zorder=2)
    for light in getattr(env, "lights", []):
        stop, heading = route.position(light.stop_s)
        normal = np.array([-np.sin(heading), np.cos(heading)])
        line = np.array([stop - 2.0 * normal, stop + 2.0 * normal])
        axes.plot(line[:, 0], line[:, 1], color="white", linewidth=2, zorder=3)
        axes.scatter(*(stop + 3.2 * normal), color=_COLOURS[light.state(0.0)], s=30, zorder=4, edgecolors="black")
    for car in getattr(env, "parked", []):
        axes.add_patch(Polygon(car.polygon()[:4], closed=True, color="#1f77b4", zorder=3))
    for walker in getattr(env, "pedestrians", []):
        axes.scatter(*walker.start, marker="^", color="#9467bd" if walker.at_crossing else "#ff7f0e", s=18, zorder=4)
    for car in getattr(env, "traffic", []):
        axes.add_patch(Polygon(car.polygon()[:4], closed=True, color="#bbbbbb", zorder=3, alpha=0.8))
    start = np.asarray(env.ego.position)
    axes.add_patch(Rectangle((start[0] - 1.0, start[1] - 1.0), 2.0, 2.0, color="#2ca02c", zorder=5))
    if len(path) > 1:
        line = np.asarray(path, dtype=float)
        axes.plot(line[:, 0], line[:, 1], color="#d62728", linewidth=1.5, zorder=6)
    where = (trace or {}).get("where")
    if where:
        axes.scatter([where["x"]], [where["y"]], marker="X", color="black", s=90, zorder=7)
        axes.annotate(f"{trace.get('infraction')} at {where['s']} m", (where["x"], where["y"]),
                      textcoords="offset points", xytext=(6, 6), fontsize=8, zorder=7)
    axes.set_xlim(lo[0], hi[0])
    axes.set_ylim(hi[1], lo[1])
    axes.set_aspect("equal")
    axes.set_xticks([])
    axes.set_yticks([])
    axes.set_title(f"route {route.length:.0f} m, {len(route.intersections)} intersections, "
                   f"{len(getattr(env, 'lights', []))} lights", fontsize=9)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


def render(env_module, seed: int, path, out_png: str | None = None, **options) -> str:
    """The level of ``env_module`` at ``seed`` with the ego's ``path`` drawn, as base64 PNG text.

    ``path`` is None, a trace dict from :func:`envs.driving.runner.run_episode` (its path and
    infraction are drawn) or a sequence of [x, y]. With ``out_png`` the PNG is also written there
    (in the main process only: sandbox workers cannot write files). Options: ``scale``.
    """
    scale = options.pop("scale", 4.0)
    if options:
        raise TypeError(f"unknown render options {sorted(options)}: the driving domain takes scale")
    env = make_env(env_module)
    reset_env(env, seed)
    if not hasattr(env, "route") or not hasattr(env, "road"):
        raise ValueError("render draws levels built on envs.driving's DrivingCore (route and road attributes)")
    trace = path if isinstance(path, dict) else None
    points = (trace or {}).get("path", ()) if trace is not None else (path or ())
    png = draw(env, points, trace, scale)
    if out_png:
        with open(out_png, "wb") as handle:
            handle.write(png)
    return base64.b64encode(png).decode("ascii")
