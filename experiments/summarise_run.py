"""Print a run's curriculum and scores per iteration: `python experiments/summarise_run.py DIR`."""
import json
import sys

from coevolve.progress import chosen_env_challenge
from coevolve.records import IterationRecord


def main(root: str) -> None:
    with open(f"{root}/iterations.jsonl", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    keys = [k for k in records[0]["env"]["measures"] if not k.endswith(("_min", "_max"))]
    print("iter " + " ".join(f"{k[:12]:>12}" for k in keys)
          + "  challenge  value  greedy(worst/mean) uniform(worst/mean) msne(worst/mean)  seconds")
    for r in records:
        m = (r["env"] or {}).get("measures", {})
        s = r["scores"]
        print(f"{r['iteration']:4d} " + " ".join(f"{m.get(k, float('nan')):12.1f}" for k in keys)
              + f"  {chosen_env_challenge(IterationRecord.from_json(r)):9.2f}  {r['value']:.2f}   {s['greedy']['worst']:.2f}/{s['greedy']['mean']:.2f}"
              f"          {s['uniform']['worst']:.2f}/{s['uniform']['mean']:.2f}"
              f"          {s['msne']['worst']:.2f}/{s['msne']['mean']:.2f}     {r['seconds']:.1f}")


if __name__ == "__main__":
    main(sys.argv[1])
