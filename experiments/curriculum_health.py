"""Why a curriculum stops climbing: each side's limit per iteration, and the open-endedness checks.

    python experiments/curriculum_health.py RUN [RUN ...]

Per iteration, from iterations.jsonl alone: the chosen level's difficulty (the domain's measure),
the environment candidates accepted of those proposed and the rejections by category, the
mixture's success on the chosen level, the parent policy's success on it (the heaviest policy of
the previous mixture, read from the new cells), the best policy candidate's, and the game value.
The "limit" column names what held the iteration back:

- ``no level``: every environment candidate was rejected;
- ``levels too easy``: the mixture solves every accepted candidate;
- ``beyond the reference``: the reference solver does not complete every episode of the chosen
  level (minimax selection now rejects such levels; runs from before it may hold them);
- ``policy search``: no policy candidate reaches 0.8 on the new level;
- ``older levels hold the value``: the new policy solves its level but the game value, below 1,
  did not rise: the environment player's mixture leans on older levels that no single archived
  policy solves together (the new policy, climbed on the new level alone, does not either).

Then the three checks of an open-ended run: the difficulty at the last iteration over the one at
iteration 10 (target >= 1.5), the longest run of iterations with the same game value (target < 6),
and the share of iterations whose chosen policy solves its own new level at least 80% of the time.
"""
import sys

from coevolve.domains import get_domain
from coevolve.loop import REFERENCE_FLOORS
from coevolve.store import RunStore

SOLVES = 0.8


def read(root: str) -> tuple[list[dict], str | None]:
    """The run's records and the name of its difficulty measure."""
    store = RunStore(root)
    return store.iterations(), get_domain(store.load_config()["domain"]).difficulty_measure


def parent_success(previous: dict, record: dict) -> float | None:
    """The previous mixture's heaviest policy on this iteration's level (None without a level)."""
    if not record["env"]:
        return None
    weights = previous["msne"]  # archive order; the loop's parent is the first heaviest
    heaviest = max(weights, key=weights.get)
    return next((c["success"] for c in record["new_cells"]
                 if c["policy"] == heaviest and c["env"] == record["env"]["label"]), None)


def iteration_row(previous: dict, record: dict, measure: str | None) -> dict:
    """One iteration's diagnosis."""
    envs = [c for c in record["candidates"] if c["kind"] == "env"]
    accepted = [c for c in envs if c["status"] != "rejected"]
    policies = [c for c in record["candidates"] if c["kind"] == "policy" and c.get("success") is not None]
    chosen = next((c for c in policies if c["status"] == "chosen"), None)
    best = max((c["success"] for c in policies), default=None)
    level = next((c for c in envs if c["status"] == "chosen"), {})
    reference = level.get("reference_success")
    if not record["env"]:
        limit = "no level"
    elif accepted and min(c["mixture_success"] for c in accepted) >= 1.0:
        limit = "levels too easy"
    elif reference is not None and reference < REFERENCE_FLOORS["minimax"]:
        limit = "beyond the reference"
    elif best is None or best < SOLVES:
        limit = "policy search"
    elif record["value"] < 1.0 and record["value"] <= previous["value"]:
        limit = "older levels hold the value"
    else:
        limit = ""
    return {"iteration": record["iteration"],
            "difficulty": ((record["env"] or {}).get("measures") or {}).get(measure),
            "accepted": f"{len(accepted)}/{len(envs)}",
            "rejected": dict(record["counts"]["env"]["rejected"]),
            "mixture": level.get("mixture_success"), "reference": reference,
            "parent": parent_success(previous, record), "best": best,
            "chosen": chosen["success"] if chosen else None,
            "value": record["value"], "limit": limit}


def checks(rows: list[dict]) -> dict:
    """The open-endedness checks over a run's rows (iterations 1 on)."""
    difficulty = {r["iteration"]: r["difficulty"] for r in rows if r["difficulty"] is not None}
    last = max(difficulty) if difficulty else None
    growth = (difficulty[last] / difficulty[10] if last and 10 in difficulty and difficulty[10]
              else None)
    longest = run = 1
    for before, after in zip(rows, rows[1:]):
        run = run + 1 if after["value"] == before["value"] else 1
        longest = max(longest, run)
    solved = [r["chosen"] >= SOLVES for r in rows if r["chosen"] is not None]
    return {"difficulty_growth_since_10": growth, "longest_same_value": longest,
            "share_solving_own_level": sum(solved) / len(solved) if solved else None}


def show(value, width: int, digits: int = 2) -> str:
    if value is None:
        return f"{'-':>{width}}"
    return f"{value:>{width}.{digits}f}" if isinstance(value, float) else f"{value!s:>{width}}"


def main(roots: list[str]) -> None:
    for root in roots:
        records, measure = read(root)
        rows = [iteration_row(before, after, measure) for before, after in zip(records, records[1:])]
        print(f"{root}  (difficulty: {measure})")
        print(f"{'iter':>4} {'difficulty':>10} {'envs ok':>7} {'mixture':>7} {'ref':>5} {'parent':>6} "
              f"{'best':>5} {'chosen':>6} {'value':>5}  limit / rejections")
        for r in rows:
            rejected = ", ".join(f"{k} {v}" for k, v in r["rejected"].items())
            print(f"{r['iteration']:>4} {show(r['difficulty'], 10, 1)} {r['accepted']:>7} "
                  f"{show(r['mixture'], 7)} {show(r['reference'], 5)} {show(r['parent'], 6)} {show(r['best'], 5)} "
                  f"{show(r['chosen'], 6)} {show(r['value'], 5)}  {r['limit']}"
                  f"{'  (' + rejected + ')' if rejected else ''}")
        summary = checks(rows)
        print(f"difficulty at the last iteration / at 10: {show(summary['difficulty_growth_since_10'], 0)}"
              f" (target >= 1.5); longest run of one game value: {summary['longest_same_value']}"
              f" (target < 6); chosen policy solves its own level (>= {SOLVES:.0%}) in "
              f"{show(summary['share_solving_own_level'], 0)} of iterations\n")


if __name__ == "__main__":
    main(sys.argv[1:])
