"""Kill a run with SIGKILL at several points, resume it, and compare with an uninterrupted run.

    python experiments/crash_resume.py --domain minigrid --iterations 4 --delays 3 8 15 25

Prints, per kill point, how many iterations had finished when it was killed and whether the
resumed run's archive (sha256 of every program) and payoff matrix equal the reference run's.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time


def archive(root: str):
    """(program sha256s in order, payoff.csv text) of a finished run."""
    with open(os.path.join(root, "iterations.jsonl"), encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    shas = [(r[kind] or {}).get("sha256") for r in records for kind in ("env", "policy")]
    with open(os.path.join(root, "payoff.csv"), encoding="utf-8") as handle:
        return shas, handle.read()


def finished(root: str) -> int:
    path = os.path.join(root, "iterations.jsonl")
    if not os.path.exists(path):
        return 0
    with open(path, encoding="utf-8") as handle:
        return sum(1 for _ in handle)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domain", default="minigrid")
    parser.add_argument("--iterations", type=int, default=4)
    parser.add_argument("--episodes", type=int, default=4)
    parser.add_argument("--delays", type=float, nargs="+", default=[3, 8, 15, 25])
    args = parser.parse_args()
    common = ["--domain", args.domain, "--iterations", str(args.iterations),
              "--episodes", str(args.episodes), "--quiet"]
    cli = [sys.executable, "-m", "coevolve"]
    with tempfile.TemporaryDirectory() as tmp:
        reference = os.path.join(tmp, "reference")
        start = time.monotonic()
        subprocess.run([*cli, "run", *common, "--out", reference], check=True,
                       stderr=subprocess.DEVNULL)
        print(f"reference run: {time.monotonic() - start:.1f} s")
        expected = archive(reference)
        for n, delay in enumerate(args.delays):
            root = os.path.join(tmp, f"killed{n}")
            process = subprocess.Popen([*cli, "run", *common, "--out", root],
                                       stderr=subprocess.DEVNULL)
            time.sleep(delay)
            process.send_signal(signal.SIGKILL)
            process.wait()
            done = finished(root)
            subprocess.run([*cli, "resume", root, "--quiet"], check=True,
                           stderr=subprocess.DEVNULL)
            same = archive(root) == expected
            print(f"killed after {delay:5.1f} s ({done} iteration lines written): "
                  f"resumed archive {'identical' if same else 'DIFFERENT'}")


if __name__ == "__main__":
    main()
