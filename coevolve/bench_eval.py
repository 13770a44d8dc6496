"""``coevolve bench eval``: episode throughput in-process, in the sandbox, and on Ray.

One run measures the same trivial policy on the domain's seed environment, with the same
episode seeds, four ways:

1. ``in-process``: the domain's ``run_episode`` called directly (the raw step rate);
2. ``sandbox x1``: through the evaluator and a one-worker :class:`SandboxPool` (ratio to 1.);
   a cell's episodes play in 4 program processes (``evaluate.PROCESSES_PER_CELL``);
3. ``per-episode x1``: the same jobs with a fresh program process for every episode (the cost of
   a fresh process, as a ratio to 2.);
4. ``sandbox xW``: the same as 2. with W workers (speed-up over 2.);
5. ``ray xW``: the same with W actors on a local Ray instance (ratio to 4.), if ray is installed.

Every pool is warmed up (workers started, simulators imported) before its clock starts; the
modes take turns for ``--repeat`` rounds and each keeps its fastest run (the machine may be
shared: the fastest run is the one least disturbed). The payoff cells of 2.-4. must be identical, and the report says
whether they are.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import time
from dataclasses import dataclass

from coevolve.sandbox.jobs import load_program
from coevolve.domains import DOMAINS, get_domain
from coevolve.errors import UserInputError
from coevolve.evaluate import Evaluator, episode_seed
from coevolve.program import Origin, Program
from coevolve.sandbox import Limits, SandboxPool

TRIVIAL_POLICIES = {
    "minigrid": "def policy(obs, agent_pos, agent_dir):\n    return 2  # always forward\n",
    "pygame": "def policy(obs):\n    return (1.0, 0.0)  # always east\n",
}
"""Per domain, a policy that costs next to nothing, so the environment's step rate shows."""


@dataclass(frozen=True)
class Measurement:
    """One way of playing the benchmark's episodes."""

    mode: str
    """"in-process", "sandbox" or "ray"."""
    workers: int
    """Parallel workers (1 in-process)."""
    episodes: int
    """Episodes played."""
    steps: int
    """Agent steps over all episodes."""
    seconds: float
    """Wall-clock seconds, start-up excluded."""

    @property
    def episodes_per_second(self) -> float:
        """Episodes per wall-clock second."""
        return self.episodes / self.seconds

    @property
    def steps_per_second(self) -> float:
        """Agent steps per wall-clock second."""
        return self.steps / self.seconds


def add_arguments(parser) -> None:
    """Flags of ``coevolve bench eval``."""
    parser.add_argument("--domain", default="minigrid", choices=sorted(TRIVIAL_POLICIES),
                        help="domain whose seed environment is played (default: minigrid)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="workers of the parallel runs (default: one per core)")
    parser.add_argument("--episodes", type=int, default=200, help="episodes per run (default: 200)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per mode; the fastest counts (default: 3)")
    parser.add_argument("--no-ray", action="store_true", help="skip the Ray run")
    parser.add_argument("--sandbox", default="auto", choices=("auto", "bwrap", "process"),
                        help="the wall around the programs (default: auto)")
    parser.add_argument("--no-reuse", dest="reuse", action="store_false",
                        help="the sandbox runs play every episode without fingerprinting starts")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def main(args) -> int:
    """Run the benchmark and print its table (or JSON)."""
    if min(args.episodes, args.workers, args.repeat) < 1:
        raise UserInputError("--episodes, --workers and --repeat must be positive")
    load_before = os.getloadavg()[0]
    runs, notes = bench(args.domain, args.episodes, args.workers, args.repeat,
                        ray=not args.no_ray, sandbox=args.sandbox, reuse=args.reuse)
    load_after = os.getloadavg()[0]
    if args.json:
        print(json.dumps({"domain": args.domain, "load_average": [load_before, load_after],
                          "notes": notes,
                          "runs": [{**dataclasses.asdict(m),
                                    "episodes_per_second": m.episodes_per_second,
                                    "steps_per_second": m.steps_per_second} for m in runs],
                          "ratios": ratios(runs)}))
        return 0
    print(f"coevolve bench eval: {args.domain}, {args.episodes} episodes, best of {args.repeat}, "
          f"load average {load_before:.2f} -> {load_after:.2f} on {os.cpu_count()} cores")
    print(format_table(runs))
    for name, value in ratios(runs).items():
        print(f"{name}: {value:.2f}x")
    for note in notes:
        print(note)
    return 0


def bench(domain_name: str, episodes: int, workers: int, repeat: int = 1,
          ray: bool = True, sandbox: str = "auto",
          reuse: bool = True) -> tuple[list[Measurement], list[str]]:
    """All four measurements (three without Ray) and notes about the run.

    The modes take turns, ``repeat`` rounds of one run each, so that a burst of load from
    elsewhere does not fall on one mode only; each mode keeps its fastest run.
    """
    if domain_name not in TRIVIAL_POLICIES:
        raise UserInputError(f"no benchmark policy for domain {domain_name!r} "
                             f"(known: {', '.join(sorted(TRIVIAL_POLICIES))}; all: {', '.join(DOMAINS)})")
    domain = get_domain(domain_name)
    env = domain.seed_env()
    policy = Program("policy", domain.name, TRIVIAL_POLICIES[domain.name], origin=Origin("bench"))
    limits = Limits(seconds=domain.default_max_seconds, sandbox=sandbox)
    preload = (domain.env_package,)
    notes = []
    with contextlib.ExitStack() as stack:
        executors = [("sandbox", n, stack.enter_context(SandboxPool(n, limits, preload)))
                     for n in sorted({1, workers})]
        notes.append(f"sandbox: {executors[0][2].wall.describe()}")
        if ray:
            try:
                from coevolve.executors.ray import RayExecutor
                started = time.perf_counter()
                executors.append(("ray", workers, stack.enter_context(
                    RayExecutor(workers, limits, preload))))
                notes.append(f"ray: starting the local Ray instance took "
                             f"{time.perf_counter() - started:.1f} s (excluded)")
            except UserInputError as exc:
                notes.append(f"ray: skipped ({exc})")
        for _mode, n, executor in executors:  # start every worker, import the simulators
            Evaluator(domain.env_package, executor, n, seed=1).evaluate([(policy, env)])
        best: dict[tuple, Measurement] = {}
        cells = {}
        for _ in range(repeat):
            runs = [in_process(domain, env, policy, episodes),
                    per_episode(executors[0][2], domain, env, policy, episodes)]
            for mode, n, executor in executors:
                measurement, cells[mode, n] = through(executor, mode, n, domain, env, policy,
                                                      episodes, reuse)
                runs.append(measurement)
            for m in runs:
                if (m.mode, m.workers) not in best or m.seconds < best[m.mode, m.workers].seconds:
                    best[m.mode, m.workers] = m
    payoffs = [{k: v for k, v in dataclasses.asdict(c).items() if k != "policy_seconds_per_step"}
               for c in cells.values()]
    same = all(p == payoffs[0] for p in payoffs)
    notes.append("payoff cells of every executor identical: " + ("yes" if same else "NO"))
    return list(best.values()), notes


def in_process(domain, env: Program, policy: Program, episodes: int) -> Measurement:
    """The domain's runner called directly, programs re-executed per episode like a worker."""
    run_episode = domain.spec.run_episode
    seeds = [episode_seed(env.sha256, 0, i) for i in range(episodes)]
    run_episode(load_program(env.source, "env_program.py"),
                load_program(policy.source, "policy_program.py"), seed=seeds[0])  # warm-up
    steps = 0
    start = time.perf_counter()
    for seed in seeds:
        result = run_episode(load_program(env.source, "env_program.py"),
                             load_program(policy.source, "policy_program.py"), seed=seed)
        steps += result.steps
    return Measurement("in-process", 1, episodes, steps, time.perf_counter() - start)


def through(executor, mode: str, workers: int, domain, env: Program, policy: Program,
            episodes: int, reuse: bool = True):
    """The episodes through the evaluator (fresh cache) on ``executor``: measurement, cell.

    With ``reuse`` the evaluator first fingerprints every episode's start (one pass over the
    seeds' resets), as a run does."""
    evaluator = Evaluator(domain.env_package, executor, episodes, seed=0, reuse=reuse)
    start = time.perf_counter()
    cell = evaluator.evaluate([(policy, env)])[0]
    seconds = time.perf_counter() - start
    return Measurement(mode, workers, episodes, round(cell.mean_steps * episodes), seconds), cell


def per_episode(pool, domain, env: Program, policy: Program, episodes: int) -> Measurement:
    """The evaluator's jobs on a one-worker pool, each episode in a fresh program process."""
    evaluator = Evaluator(domain.env_package, pool, episodes, seed=0)
    jobs = [dataclasses.replace(evaluator.episode_job(policy, env, i), group=None)
            for i in range(episodes)]
    start = time.perf_counter()
    results = pool.run(jobs)
    seconds = time.perf_counter() - start
    steps = sum(r.value.steps for r in results if r.value is not None)
    return Measurement("per-episode", 1, episodes, steps, seconds)


def ratios(runs: list[Measurement]) -> dict[str, float]:
    """The benchmark's targets: sandbox x1 / in-process, xW / x1, ray / local pool xW."""
    by = {(m.mode, m.workers): m for m in runs}
    raw, one = by[("in-process", 1)], by[("sandbox", 1)]
    out = {"sandbox x1 / in-process (target >= 0.9)":
           one.steps_per_second / raw.steps_per_second}
    if ("per-episode", 1) in by:
        out["per-episode x1 / sandbox x1 (a fresh process for every episode)"] = (
            by[("per-episode", 1)].steps_per_second / one.steps_per_second)
    pools = [m for m in runs if m.mode == "sandbox" and m.workers > 1]
    for pool in pools:
        out[f"sandbox x{pool.workers} / sandbox x1 (target >= 1.8 for 2 on 2 cores)"] = (
            pool.steps_per_second / one.steps_per_second)
    for ray in (m for m in runs if m.mode == "ray"):
        local = by.get(("sandbox", ray.workers))
        if local is not None:
            out[f"ray x{ray.workers} / sandbox x{ray.workers} (target >= 0.8)"] = (
                ray.steps_per_second / local.steps_per_second)
    return out


def format_table(runs: list[Measurement]) -> str:
    """One line per measurement."""
    lines = [f"{'mode':<11}{'workers':>8}{'episodes':>10}{'steps':>10}{'seconds':>9}"
             f"{'episodes/s':>12}{'steps/s':>10}"]
    for m in runs:
        lines.append(f"{m.mode:<11}{m.workers:>8}{m.episodes:>10}{m.steps:>10}{m.seconds:>9.2f}"
                     f"{m.episodes_per_second:>12.1f}{m.steps_per_second:>10.0f}")
    return "\n".join(lines)
