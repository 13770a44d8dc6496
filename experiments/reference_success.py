"""The reference solver on a run's levels, and where regret selection would have chosen otherwise.

    python experiments/reference_success.py RUN [RUN ...]

For every iteration of a finished (or running) run: the domain's reference solver plays each
accepted environment candidate in the sandbox with the run's episodes and seeds, as the loop
plays it under ``--env-selection regret``. The table shows its success on the chosen level and
the range over the accepted candidates, and the candidate regret selection would have kept
from the same candidates (``coevolve.loop.env_preference``, with the reference floor). The first
iteration where that differs from the run's choice is where a regret run leaves the run's path;
before it, the two runs are the same. Nothing is written into the run directory.
"""
import sys

from coevolve.loop import REFERENCE_FLOORS, env_preference, refereed
from coevolve.program import Program
from coevolve.records import Candidate, Status
from coevolve.session import replay


def regret_choice(candidates: list[Candidate], solved: list[float],
                  measure: str | None) -> Candidate | None:
    """The candidate regret selection keeps among accepted ``candidates``, given the reference
    solver's success on each (its guard and its preference, as the loop applies them)."""
    kept = [c for c in (refereed(c, s, "regret") for c, s in zip(candidates, solved)) if not c.rejected]
    return min(kept, key=lambda c: env_preference(c, measure, "regret")) if kept else None


def iteration_rows(root: str) -> list[dict]:
    """Per iteration: the reference's success on the accepted levels and regret's choice."""
    rows = []
    with replay(root, workers=1) as (store, domain, reference, evaluator):
        for record in store.iterations()[1:]:
            accepted = [Candidate.from_json(c) for c in record["candidates"]
                        if c["kind"] == "env" and c["status"] != Status.REJECTED.value]
            programs = [Program("env", domain.name, store.read(c.file)) for c in accepted]
            assert all(p.sha256 == c.sha256 for p, c in zip(programs, accepted))
            cells = evaluator.evaluate([(reference, program) for program in programs])
            solved = [cell.success_rate for cell in cells]
            kept = next((n for n, c in enumerate(accepted) if c.status is Status.CHOSEN), None)
            regret = regret_choice(accepted, solved, domain.difficulty_measure)
            rows.append({"iteration": record["iteration"],
                         "chosen": None if kept is None else solved[kept],
                         "low": min(solved, default=None), "high": max(solved, default=None),
                         "same": (None if kept is None else accepted[kept].sha256)
                         == (regret.sha256 if regret else None)})
    return rows


def show(value) -> str:
    return "    -" if value is None else f"{value:5.2f}"


def main(roots: list[str]) -> None:
    for root in roots:
        rows = iteration_rows(root)
        print(f"{root}: the reference solver's success (regret's floor {REFERENCE_FLOORS['regret']:.0%})")
        print("iter chosen  lowest highest  regret keeps the same level")
        for r in rows:
            print(f"{r['iteration']:>4} {show(r['chosen'])}  {show(r['low'])}   {show(r['high'])}"
                  f"  {'yes' if r['same'] else 'no'}")
        first = next((r["iteration"] for r in rows if not r["same"]), None)
        below = sum(r["chosen"] is not None and r["chosen"] < REFERENCE_FLOORS["regret"] for r in rows)
        print(f"chosen levels below the floor: {below} of {len(rows)}; regret selection first "
              f"keeps another level at iteration {first if first else '- (never)'}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
