"""Curriculum and game-value curves of several runs side by side (seeds, selection rules).

    python experiments/curriculum_curves.py RUN [RUN ...] --out curves.png

Three panels, one line per run, labelled "<run directory> (<domain> s<seed> <env-selection>)": the difficulty
measure of the level chosen at each iteration (the domain's, e.g. MiniGrid's shortest solution),
the game value (the MSNE mixture's worst-case success), and the chosen policy's success on its own
new level. Each run's own report (``coevolve report RUN``) draws the same curves for that run.
"""
import argparse
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from coevolve.config import RunConfig
from coevolve.domains import domain_of
from coevolve.records import IterationRecord
from coevolve.report.figures import save
from coevolve.report.history import measure_series
from coevolve.store import RunStore


def curves(root: str) -> dict:
    """The run's label and its three series as (iterations, values)."""
    store = RunStore(root)
    config = RunConfig.from_dict(store.load_config())
    measure = domain_of(config).difficulty_measure
    records = [IterationRecord.from_json(line) for line in store.iterations()]
    solved = [(r.iteration, chosen.success) for r in records[1:]
              for chosen in [r.chosen("policy")] if chosen is not None]
    return {"label": f"{Path(root).name} ({config.domain} s{config.seed} {config.env_selection})",
            "measure": measure,
            "difficulty": measure_series(records).get(measure, ([], [])),
            "value": ([r.iteration for r in records], [r.value for r in records]),
            "own level": tuple(map(list, zip(*solved))) if solved else ([], [])}


def figure(runs: list[dict], path: str) -> None:
    """The three panels, every run on each."""
    fig = Figure(figsize=(15, 4.2), layout="constrained")
    panels = fig.subplots(1, 3)
    measures = sorted({run["measure"] for run in runs if run["measure"]})
    titles = {"difficulty": f"chosen level: {', '.join(measures) or 'difficulty'}",
              "value": "game value (MSNE worst case)",
              "own level": "chosen policy's success on its new level"}
    for ax, key in zip(panels, titles):
        for run in runs:
            ax.plot(*run[key], "-o", markersize=3, label=run["label"])
        ax.set_title(titles[key], fontsize=10)
        ax.set_xlabel("iteration")
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in panels[1:]:
        ax.set_ylim(-0.03, 1.03)
    panels[0].legend(fontsize=8)
    save(fig, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="run directories")
    parser.add_argument("--out", required=True, help="PNG file to write")
    args = parser.parse_args()
    runs = [curves(root) for root in args.runs]
    figure(runs, args.out)
    for run in runs:
        iterations, values = run["value"]
        print(f"{run['label']}: {len(iterations) - 1} iterations, final value "
              f"{values[-1]:.3f}" if iterations else f"{run['label']}: no iterations")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
