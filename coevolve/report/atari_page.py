"""The sections of an Atari run's report: summary, learning curve, the best policy's play and code.

The Atari mode writes ``summary.json``, ``curve.png`` and ``best_policy.py`` itself; the report
copies the curve and the policy beside the page, shows the per-iteration history of
``iterations.jsonl`` (of ``state.json`` for a run of an earlier version) and, for a finished
run, a few screens of the best policy's play, played in the sandbox
(:func:`envs.atari.frames.play_frames`).
"""
from __future__ import annotations

import os
import shutil

from coevolve.evaluate import episode_seed
from coevolve.program import source_sha256
from coevolve.report.html import Section, esc, image, link, number, table
from coevolve.report.renders import run_sandbox
from coevolve.report.rundata import RunData
from coevolve.sandbox import Job
from coevolve.store import write_atomic
from envs.atari import Protocol

CURVE = "curve.png"
"""The learning curve an Atari run writes."""
BEST_POLICY = "best_policy.py"
"""The standalone best policy an Atari run writes."""
FRAMES = {"every": 200, "count": 6}
"""Screens of the best policy's play shown: one every 200 agent steps, six at most."""


def atari_sections(data: RunData, folder: str, executor=None):
    """(title, subtitle, sections, notes) of an Atari run's report; ``executor`` (a sandbox
    pool, or one of its own when None) plays the best policy for its screens."""
    config = data.config
    summary = data.summary or {}
    game = config.get("game", "?")
    last = data.iterations[-1] if data.iterations else data.state
    sections, notes = [_summary(summary, last, config)], []
    if os.path.exists(os.path.join(data.root, CURVE)):
        shutil.copyfile(os.path.join(data.root, CURVE), os.path.join(folder, "atari_curve.png"))
        sections.append(Section("atari-curve", "Learning curve", image(
            "atari_curve.png", f"{game}: score per iteration")))
    else:
        notes.append(f"learning curve (no {CURVE} in the run directory yet)")
    history = list(data.iterations) or (data.state or {}).get("history", [])
    if history:
        rows = [[h.get("iteration"), number(h.get("candidate_mean"), 2),
                 number(h.get("best_mean"), 2), number(h.get("best_std"), 2), h.get("stage", "-"),
                 h.get("invalid", "-"), h.get("env_steps", "-"), number(h.get("seconds"), 1)]
                for h in history]
        sections.append(Section("atari-history", "Iterations", table(
            ["iteration", "evaluated candidate mean", "best mean", "best std", "feedback stage",
             "invalid candidates", "environment steps", "seconds"], rows, {0, 1, 2, 3, 5, 6, 7})))
    source = _best_source(data)
    if source is not None and data.summary:
        sections.append(_play(config, source, folder, executor))
    if source is not None:
        write_atomic(os.path.join(folder, "programs", BEST_POLICY), source)
        sections.append(Section("atari-policy", "Best policy", (
            f"<p>{link('programs/' + BEST_POLICY, BEST_POLICY)} (a standalone program: "
            f"<code>python {BEST_POLICY}</code> plays an episode).</p><pre>{esc(source)}</pre>")))
    else:
        notes.append("the best policy (no best_policy.py and no checkpoint)")
    title = f"coevolve Atari report: {os.path.basename(os.path.normpath(data.root))}"
    subtitle = (f"{game}, {config.get('designer', '?')} optimiser, seed {config.get('seed', '?')}; "
                f"{summary.get('iterations', len(history))} iterations.")
    return title, subtitle, sections, notes


def _summary(summary: dict, state: dict | None, config: dict) -> Section:
    state = state or {}  # the last iteration's record, or an earlier version's checkpoint
    best_mean = summary.get("best_mean", state.get("best_mean"))
    best_std = summary.get("best_std", state.get("best_std"))
    rows = [["best mean score", f"{number(best_mean, 2)} ± {number(best_std, 2)}"],
            ["feedback stage", summary.get("stage", "-")],
            ["environment steps", summary.get("env_steps", state.get("env_steps", "-"))],
            ["wall-clock seconds", number(summary.get("seconds", state.get("seconds")), 1)]]
    settings = [[key, value] for key, value in sorted(config.items())]
    return Section("atari-summary", "Summary", table(["quantity", "value"], rows) + (
        "<details><summary>Configuration</summary>" + table(["setting", "value"], settings)
        + "</details>"))


def _best_source(data: RunData) -> str | None:
    path = os.path.join(data.root, BEST_POLICY)
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    if data.iterations:
        with open(os.path.join(data.root, data.iterations[-1]["best"]["file"]),
                  encoding="utf-8") as handle:
            return handle.read()
    return (data.state or {}).get("best_source")


def _play(config: dict, source: str, folder: str, executor) -> Section:
    """Screens of the best policy's play on the run's protocol (episode seed of its own)."""
    protocol = Protocol(config.get("game", "Pong"), config.get("sticky", 0.25),
                        config.get("max_steps", 27_000), purpose="report")
    env = protocol.source()
    job = Job("envs.atari.frames", "play_frames", env, source,
              {"seed": episode_seed(source_sha256(env), config.get("seed", 0), 0), **FRAMES})
    with run_sandbox(executor, config, config.get("episode_seconds", 600.0), "envs.atari",
                     1) as pool:
        result = pool.run([job])[0]
    value = result.value if isinstance(result.value, dict) else {}
    frames = [f for f in value.get("frames", []) if isinstance(f, bytes) and f[:4] == b"\x89PNG"]
    if result.error or not frames:
        why = result.error or value.get("error") or "no screen came back"
        return Section("atari-play", "Play", f"<p>No screens: {esc(why)}</p>")
    cards = []
    for n, (png, step, score) in enumerate(zip(frames, value["steps"], value["scores"])):
        name = f"atari_frame_{n}.png"
        write_atomic(os.path.join(folder, name), png)
        cards.append(f"<figure>{image(name, f'step {step}', 'level')}<figcaption>step "
                     f"{esc(step)}, score {number(score, 0)}</figcaption></figure>")
    error = f" The program failed: {esc(value['error'])}." if value.get("error") else ""
    return Section("atari-play", "Play", (
        f"<p>The best policy on the run's protocol, one screen every {FRAMES['every']} agent "
        f"steps (played in the sandbox).{error}</p><div class=\"levels\">{''.join(cards)}</div>"))
