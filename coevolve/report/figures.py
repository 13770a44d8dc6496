"""The report's matplotlib figures, each written as one PNG.

Figures are built on :class:`matplotlib.figure.Figure` directly (the Agg canvas, no pyplot), so
making a report touches no global plotting state and needs no display.
"""
from __future__ import annotations

import math
import os
import tempfile

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from coevolve.report.history import STRATEGIES, SuccessGrid

COLOURS = {"greedy": "tab:orange", "uniform": "tab:green", "msne": "tab:blue"}
NAMES = {"greedy": "UED-Greedy (newest policy)", "uniform": "UED-Uniform",
         "msne": "COvolve (MSNE mixture)"}
MAX_TICKS = 24


def save(fig: Figure, path: str) -> None:
    """Write ``fig`` as PNG to ``path`` atomically (a page being viewed never sees half a file)."""
    folder = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".png")
    os.close(fd)
    try:
        fig.savefig(tmp, format="png", dpi=100)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def covolve_figure(grids: dict[str, SuccessGrid], scores: dict, path: str) -> None:
    """Newest policy and MSNE mixture per environment (heatmaps), and the archive scores."""
    fig = Figure(figsize=(16, 4.8), layout="constrained")
    axes = fig.subplots(1, 3, width_ratios=[1, 1, 1.15])
    image = None
    for ax, name in zip(axes[:2], ("greedy", "msne")):
        image = _heatmap(ax, grids[name], f"{NAMES[name]}: success per archived environment")
    fig.colorbar(image, ax=list(axes[:2]), label="success rate", shrink=0.9)
    iterations = grids["msne"].iterations
    ax = axes[2]
    for name, width in zip(STRATEGIES, (5.0, 3.0, 1.3)):  # wide to thin: equal lines stay visible
        ax.plot(iterations, scores[name]["worst"], "-o", color=COLOURS[name], markersize=width + 2,
                linewidth=width, label=f"{NAMES[name]}, worst case")
        ax.plot(iterations, scores[name]["mean"], "--", color=COLOURS[name], linewidth=width,
                label=f"{NAMES[name]}, mean")
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("iteration")
    ax.set_ylabel("success rate on the environment archive")
    ax.set_title("Archive success: worst case (solid) and mean (dashed)")
    _integer_ticks(ax.xaxis, iterations)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    save(fig, path)


def _heatmap(ax, grid: SuccessGrid, title: str):
    masked = np.ma.masked_invalid(grid.values)
    image = ax.imshow(masked, aspect="auto", origin="lower", vmin=0.0, vmax=1.0,
                      cmap="viridis", interpolation="nearest")
    ax.set_facecolor("#e8e8e8")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("archived environment (grey: not yet in the archive)")
    ax.set_ylabel("iteration")
    _label_ticks(ax, "x", grid.env_labels)
    _label_ticks(ax, "y", [str(t) for t in grid.iterations])
    return image


def _label_ticks(ax, which: str, labels) -> None:
    step = max(1, math.ceil(len(labels) / MAX_TICKS))
    positions = list(range(0, len(labels), step))
    setter = ax.set_xticks if which == "x" else ax.set_yticks
    setter(positions, [labels[i] for i in positions],
           **({"rotation": 60, "ha": "right", "fontsize": 7} if which == "x" else {}))


def _integer_ticks(axis, iterations) -> None:
    step = max(1, math.ceil(len(iterations) / MAX_TICKS))
    axis.set_ticks(list(iterations)[::step])


def msne_figure(iterations, labels, weights: np.ndarray, values, path: str) -> None:
    """The MSNE weights over iterations (stacked) and the game value."""
    fig = Figure(figsize=(12, 6.5), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[2, 1])
    used = [j for j in range(len(labels)) if weights[:, j].max() > 1e-9]
    colours = [_cycle(j) for j in used]
    top.stackplot(iterations, weights[:, used].T, labels=[labels[j] for j in used],
                  colors=colours, alpha=0.9)
    top.set_ylim(0, 1)
    top.set_ylabel("MSNE weight")
    top.set_title("MSNE mixture over the policy archive (policies that ever had weight)")
    top.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1),
               ncol=max(1, math.ceil(len(used) / 18)), title="policy")
    bottom.plot(iterations, values, "-o", color="black", markersize=4, label="game value")
    bottom.set_ylim(-0.03, 1.03)
    bottom.set_xlabel("iteration")
    bottom.set_ylabel("game value")
    bottom.set_title("Game value: the MSNE mixture's guaranteed (worst-case) success")
    bottom.grid(alpha=0.3)
    bottom.legend(fontsize=8, loc="lower left")
    _integer_ticks(bottom.xaxis, iterations)
    save(fig, path)


def _cycle(index: int):
    return colormaps["tab20"](index % 20)


def curriculum_figure(series: dict, path: str) -> None:
    """One small plot per level measure of the environment chosen at each iteration."""
    names = list(series)
    columns = min(3, len(names))
    rows = math.ceil(len(names) / columns)
    height = 3.0 * rows
    fig = Figure(figsize=(4.6 * columns, height))  # many panels: a fixed layout is much faster
    fig.subplots_adjust(left=0.9 / (4.6 * columns), right=0.98, bottom=0.55 / height,
                        top=1 - 0.35 / height, hspace=0.75, wspace=0.35)
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax, name in zip(axes, names):
        iterations, values = series[name]
        ax.plot(iterations, values, "-o", markersize=4, color="tab:purple")
        ax.set_title(name.replace("_", " "), fontsize=10)
        ax.set_xlabel("iteration")
        ax.set_ylabel(name, fontsize=8)
        ax.grid(alpha=0.3)
        _integer_ticks(ax.xaxis, iterations)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    save(fig, path)


def candidates_figure(iterations, outcomes: dict[str, tuple[list, np.ndarray]], path: str) -> None:
    """Candidates per iteration for each designer, stacked by outcome."""
    fig = Figure(figsize=(12, 3.6 * len(outcomes)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(outcomes), 1, squeeze=False)).ravel()
    for ax, (kind, (names, table)) in zip(axes, outcomes.items()):
        bottom = np.zeros(len(iterations))
        for j, name in enumerate(names):
            colour = "tab:green" if name == "accepted" else _cycle(j + 2)
            ax.bar(iterations, table[:, j], bottom=bottom, color=colour, label=name)
            bottom += table[:, j]
        ax.set_title(f"{kind} candidates per iteration, by outcome")
        ax.set_xlabel("iteration")
        ax.set_ylabel("candidates")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
        _integer_ticks(ax.xaxis, iterations)
    save(fig, path)


def tokens_figure(iterations, usage: dict[str, np.ndarray], path: str) -> None:
    """LLM tokens per iteration, one line per kind, and the running total."""
    fig = Figure(figsize=(12, 3.8), layout="constrained")
    per_iteration, total = fig.subplots(1, 2)
    for name, values in usage.items():
        per_iteration.plot(iterations, values, "-o", markersize=4, label=name)
        total.plot(iterations, np.cumsum(values), "-", label=name)
    for ax, title in ((per_iteration, "LLM tokens per iteration"),
                      (total, "LLM tokens, running total")):
        ax.set_title(title)
        ax.set_xlabel("iteration")
        ax.set_ylabel("tokens")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        _integer_ticks(ax.xaxis, iterations)
    save(fig, path)

