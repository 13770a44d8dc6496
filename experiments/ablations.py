"""The COvolve paper's ablations over finished runs: is the curriculum necessary, and MSNE vs
greedy across seeds.

    python experiments/ablations.py RUN [RUN ...] [--out DIR]

Zero-shot (the paper: "is curriculum necessary?"): from the domain's seed policy, the offline
policy designer gets the curriculum's policy budget -- as many rounds as the run had iterations,
each proposing K hill-climbing candidates with the run's search steps -- on the run's hardest
archived level only (the largest difficulty measure); each round starts from the best so far,
and the best is kept. Its success on that level is compared with the curriculum's newest policy
and its MSNE mixture on the same level, all with the run's episodes and seeds.

Across seeds (the paper's D.3 and its MSNE-vs-greedy comparison): each run's final game value
and the greedy / uniform / MSNE worst-case and mean success over its own archive, and, where
`coevolve heldout` has written heldout.json, the held-out success of each strategy.

Prints both tables and writes DIR/ablations.png (default DIR: the first run).
"""
import argparse
import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from coevolve.designers.base import PolicyRequest  # noqa: E402
from coevolve.designers.offline import OfflineDesigner  # noqa: E402
from coevolve.evaluate import Evaluator  # noqa: E402
from coevolve.loop import designer_rng  # noqa: E402
from coevolve.program import Program  # noqa: E402
from coevolve.session import Session  # noqa: E402
from coevolve.traces import success_on  # noqa: E402


def zero_shot(session: Session) -> dict:
    """The zero-shot search on the run's hardest level, beside the curriculum's result there."""
    config, domain, archive = session.config, session.domain, session.archive
    measure = domain.difficulty_measure
    hardest = max(range(len(archive.envs)), key=lambda j: archive.measures[j].get(measure, j))
    level = archive.envs[hardest]
    evaluator = Evaluator(domain.env_package, session.executor, config.episodes, config.seed)
    score = success_on(evaluator, domain, level)
    designer = OfflineDesigner(domain, config.max_mutations, config.search_steps)
    best = domain.seed_policy()
    best_score, curve = score(best), []
    for t in range(1, config.iterations + 1):
        request = PolicyRequest(best, level, t, config.candidates, best_score,
                                check=lambda p: session.screener.policy_rejection(p, level),
                                score=score)
        for candidate in designer.propose_policies(request, designer_rng(config.seed, t, "policy")):
            if isinstance(candidate, Program) and score(candidate) > best_score:
                best, best_score = candidate, score(candidate)
        curve.append(best_score)
    values = archive.payoffs.complete()
    weights = archive.msne.row_strategy
    return {"run": session.root, "level": archive.payoffs.env_labels[hardest],
            "difficulty": f"{measure} {archive.measures[hardest].get(measure, float('nan')):.1f}",
            "zero_shot": best_score, "curve": curve,
            "newest": float(values[-1, hardest]),
            "msne": float(weights @ values[:, hardest]),
            "best_archived": float(values[:, hardest].max())}


def across_seeds(root: str) -> dict:
    """The final scores of one run, and its held-out table if there is one."""
    with open(os.path.join(root, "iterations.jsonl"), encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    with open(os.path.join(root, "config.json"), encoding="utf-8") as handle:
        seed = json.load(handle)["seed"]
    heldout = {}
    if os.path.exists(os.path.join(root, "heldout.json")):
        with open(os.path.join(root, "heldout.json"), encoding="utf-8") as handle:
            for row in json.load(handle)["results"]:
                heldout.setdefault(row["strategy"], []).append(row["success_rate"])
    return {"run": root, "seed": seed, "records": records, "scores": records[-1]["scores"],
            "value": records[-1]["value"],
            "heldout": {s: float(np.mean(v)) for s, v in heldout.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", metavar="RUN")
    parser.add_argument("--out", help="where ablations.png goes (default: the first run)")
    args = parser.parse_args()
    shots, seeds = [], [across_seeds(root) for root in args.runs]
    for root in args.runs:
        session = Session.reopen(root)
        try:
            shots.append(zero_shot(session))
        finally:
            session.close()

    print("Zero-shot against curriculum, on each run's hardest archived level")
    print(f"{'run':<28} {'level':<9} {'difficulty':<24} {'zero-shot':>9} {'newest':>7} "
          f"{'msne':>6} {'best archived':>13}")
    for s in shots:
        print(f"{os.path.basename(s['run']):<28} {s['level']:<9} {s['difficulty']:<24} "
              f"{s['zero_shot']:9.2f} {s['newest']:7.2f} {s['msne']:6.2f} {s['best_archived']:13.2f}")
    print("\nAcross seeds: final value; worst-case / mean success over the run's own archive; "
          "mean held-out success")
    print(f"{'run':<28} {'seed':>4} {'value':>6}  {'greedy':>11} {'uniform':>11} {'msne':>11}"
          f"  {'held-out greedy/uniform/msne':>28}")
    for s in seeds:
        cells = "  ".join(f"{s['scores'][k]['worst']:.2f}/{s['scores'][k]['mean']:.2f}"
                          for k in ("greedy", "uniform", "msne"))
        held = "/".join(f"{s['heldout'][k]:.2f}" for k in ("greedy", "uniform", "msne")
                        if k in s["heldout"]) or "-"
        print(f"{os.path.basename(s['run']):<28} {s['seed']:>4} {s['value']:6.2f}  {cells}  {held:>28}")

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for s in shots:
        name = os.path.basename(s["run"])
        left.plot(range(1, len(s["curve"]) + 1), s["curve"], marker="o", label=f"zero-shot {name}")
        left.axhline(s["msne"], linestyle="--", color=left.lines[-1].get_color(),
                     label=f"curriculum MSNE {name}")
    left.set(title="Hardest archived level: success", xlabel="zero-shot round (= iteration budget)",
             ylabel="success rate", ylim=(-0.05, 1.05))
    left.legend(fontsize=7)
    for s in seeds:
        its = [r["iteration"] for r in s["records"]]
        right.plot(its, [r["scores"]["msne"]["worst"] for r in s["records"]],
                   label=f"MSNE worst, seed {s['seed']}")
        right.plot(its, [r["scores"]["greedy"]["worst"] for r in s["records"]], linestyle=":",
                   label=f"greedy worst, seed {s['seed']}")
    right.set(title="Worst case over the archive", xlabel="iteration", ylabel="success rate",
              ylim=(-0.05, 1.05))
    right.legend(fontsize=7)
    figure.tight_layout()
    out = os.path.join(args.out or args.runs[0], "ablations.png")
    figure.savefig(out, dpi=120)
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
