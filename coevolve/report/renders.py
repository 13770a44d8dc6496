"""Level renders: every archived environment with the path of the MSNE's most likely policy.

Rendering executes the run's (untrusted) programs, so it happens in the sandbox:
:func:`render_level` is the function a worker calls -- one traced episode of the policy, then
the domain's ``render(env_module, seed, path, out_png)``. A render is named after the
environment and the policy's sha256, so a refreshed report renders only what is new.
"""
from __future__ import annotations

import base64
import importlib
import inspect
import json
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass

from coevolve.evaluate import episode_seed
from coevolve.sandbox import Job, Limits, SandboxPool
from coevolve.store import write_atomic

@contextmanager
def run_sandbox(executor, config: dict, seconds: float, preload: str, workers: int | None = None):
    """``executor`` if the caller has one, else a sandbox pool with the run's limits (from its
    config.json), closed on leaving."""
    if executor is not None:
        yield executor
        return
    pool = SandboxPool(workers, Limits(seconds=seconds, memory_mb=config.get("memory_mb", 4096),
                                       sandbox=config.get("sandbox", "auto")), preload=(preload,))
    try:
        yield pool
    finally:
        pool.close()


OUTCOMES = "renders.json"
"""File in the report folder keeping each render's episode outcome."""


@dataclass(frozen=True)
class Render:
    """One archived environment's render, or why there is none."""

    env_label: str
    """The environment, e.g. "env_0003"."""
    env_file: str
    """Its program, relative to the run directory."""
    policy_label: str
    """The policy whose path is drawn."""
    png: str
    """File name of the render inside the report folder (it exists when ``success`` is set)."""
    success: bool | None = None
    """Whether the drawn episode succeeded; None when the render failed."""
    steps: int | None = None
    """Steps of the drawn episode."""
    error: str | None = None
    """Why the episode ended abnormally, or why the render failed."""


def render_level(env_module, policy_module, *, env_package: str, seed: int) -> dict:
    """Play one traced episode and render the level with its path (runs in a sandbox worker).

    The picture comes back as PNG bytes: a worker cannot write into the run directory. A domain
    whose ``render`` takes ``out_png=None`` returns the PNG as base64 text; others write it to a
    file in the worker's scratch folder, which is read back here.
    """
    domain = importlib.import_module(env_package)
    episode = domain.run_episode(env_module, policy_module, seed=seed, trace=True)
    outcome = {"success": bool(episode.success), "steps": int(episode.steps), "error": episode.error}
    if returns_png(domain.render):
        path = episode.trace if isinstance(episode.trace, dict) else trace_points(domain, episode.trace)
        return {**outcome, "png": base64.b64decode(domain.render(env_module, seed, path, None))}
    out_png = os.path.join(tempfile.gettempdir(), "render.png")
    domain.render(env_module, seed, trace_points(domain, episode.trace), out_png)
    with open(out_png, "rb") as handle:
        return {**outcome, "png": handle.read()}


def returns_png(render) -> bool:
    """Whether a domain's ``render`` returns its picture (its ``out_png`` defaults to None)."""
    parameter = inspect.signature(render).parameters.get("out_png")
    return parameter is not None and parameter.default is None


def trace_points(domain, trace) -> list:
    """A trace's path: the domain's ``trace_path(trace)`` if it has one, else ``trace.path``."""
    if trace is None:
        return []
    converter = getattr(domain, "trace_path", None)
    return list(converter(trace) if converter else getattr(trace, "path", ()))


def render_archive(records, store, env_package: str, seed: int, policy_label: str,
                   folder: str, executor) -> list[Render]:
    """Render every archived environment with ``policy_label``'s path; reuses earlier renders."""
    policy = next(r.policy for r in records if r.policy and r.policy.label == policy_label)
    policy_source = store.read(policy.file)
    outcomes_path = os.path.join(folder, OUTCOMES)
    outcomes = _read_outcomes(outcomes_path)
    levels = [(r.env, f"level_{r.env.label}_{policy.sha256[:10]}.png")
              for r in records if r.env]
    todo = [(env, png) for env, png in levels
            if not (png in outcomes and os.path.exists(os.path.join(folder, png)))]
    jobs = [Job("coevolve.report.renders", "render_level", store.read(env.file), policy_source,
                {"env_package": env_package, "seed": episode_seed(env.sha256, seed, 0)})
            for env, png in todo]
    for (_, png), result in zip(todo, executor.run(jobs) if jobs else []):
        outcomes[png] = _keep_render(result, os.path.join(folder, png))
    kept = {png: outcomes[png] for _, png in levels}
    write_atomic(outcomes_path, json.dumps(kept, indent=1, sort_keys=True) + "\n")
    _remove_stale(folder, set(kept))
    return [Render(env.label, env.file, policy_label, png, kept[png].get("success"),
                   kept[png].get("steps"), kept[png].get("error"))
            for env, png in levels]


def _keep_render(result, path: str) -> dict:
    """Write a render's PNG beside the report; its outcome, or why there is none."""
    value = result.value
    if result.error is not None:
        return {"error": f"render failed: {result.error}"}
    if not (isinstance(value, dict) and isinstance(value.get("png"), bytes)
            and value["png"].startswith(b"\x89PNG")):
        return {"error": "render failed: the worker sent no PNG"}
    with open(path, "wb") as handle:
        handle.write(value.pop("png"))
    return {key: value.get(key) for key in ("success", "steps", "error")}


def _read_outcomes(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _remove_stale(folder: str, keep: set[str]) -> None:
    """Delete renders of policies the report no longer shows."""
    for name in os.listdir(folder):
        if name.startswith("level_") and name.endswith(".png") and name not in keep:
            os.unlink(os.path.join(folder, name))
