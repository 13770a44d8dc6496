"""Whether the environment player can still beat the archive: its policies against the reference.

    python experiments/policy_vs_reference.py RUN [RUN ...]

For every iteration of a run with a new level and a new policy: the iteration's policy and the
domain's reference solver (the feasibility check's planner, the judge of what a level may ask)
each play that level with the run's episodes and seeds, in the sandbox. The table shows both
success rates and mean steps, and the policy's steps over the reference's. A ratio at or below 1
on every level means the policies are as good as the judge: a level the reference completes
within its budget is one they complete too, so the game value stays at 1 whatever the
environment designer writes ("levels too easy" in curriculum_health.py). Nothing is written
into the run directory.
"""
import sys

from coevolve.program import Program
from coevolve.session import replay


def iteration_rows(root: str) -> list[dict]:
    """Per iteration: the new policy's and the reference's cells on the new level."""
    rows = []
    with replay(root, workers=0) as (store, domain, reference, evaluator):
        for record in store.iterations()[1:]:
            if not record["env"] or not record["policy"]:
                continue
            level = Program("env", domain.name, store.read(record["env"]["file"]))
            policy = Program("policy", domain.name, store.read(record["policy"]["file"]))
            mine, judge = evaluator.evaluate([(policy, level), (reference, level)])
            rows.append({"iteration": record["iteration"], "policy": mine, "reference": judge,
                         "ratio": mine.mean_steps / judge.mean_steps if judge.mean_steps else None})
    return rows


def main(roots: list[str]) -> None:
    for root in roots:
        rows = iteration_rows(root)
        print(f"{root}: the iteration's policy against the reference solver on its level")
        print("iter  policy success steps  reference success steps  steps ratio")
        for r in rows:
            p, j = r["policy"], r["reference"]
            ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}"
            print(f"{r['iteration']:>4}  {p.success_rate:14.2f} {p.mean_steps:5.0f}  "
                  f"{j.success_rate:17.2f} {j.mean_steps:5.0f}  {ratio:>11}")
        ratios = [r["ratio"] for r in rows if r["ratio"] is not None]
        if ratios:
            print(f"steps ratio: median {sorted(ratios)[len(ratios) // 2]:.2f}, max {max(ratios):.2f}; "
                  f"the policy completes at least as often as the reference on "
                  f"{sum(r['policy'].success_rate >= r['reference'].success_rate for r in rows)} "
                  f"of {len(rows)} levels\n")


if __name__ == "__main__":
    main(sys.argv[1:])
