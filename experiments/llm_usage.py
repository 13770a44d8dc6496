"""Requests, tokens and prompt sizes of an llm run against a local OpenAI-protocol server.

    python experiments/llm_usage.py --domain minigrid --iterations 3 --out /tmp/usage-minigrid
    python experiments/llm_usage.py --domain atari --iterations 2 --episodes 1 --out /tmp/usage-pong
    python experiments/llm_usage.py --count /tmp/usage-minigrid/llm.jsonl   # prompt sizes only

The local server (tests/llm/conftest.py) plays a model that answers every request with a
mutant of the program the prompt asks it to start from, made by the domain's offline operators
(a repair request gets another mutant); for ``--domain atari`` (Pong) it answers with a
``select_action`` whose dead band grows with every request. It reports no ``usage``, so the run's own token
counts are the client's estimate (characters / 4). Prompt sizes are then counted exactly with
an OpenAI tokenizer (``bpe_openai``'s o200k_base and cl100k_base, if importable: install it in
a separate virtualenv and pass ``--count`` there) or else with the same characters / 4.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import threading
from collections import defaultdict

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


def operator_model(domain_name: str):
    """A server script answering with offline mutants of the prompt's starting program."""
    from coevolve.designers.generic import mutate_generic
    from coevolve.domains import get_domain
    from coevolve.program import Program
    domain, lock, counter = get_domain(domain_name), threading.Lock(), [0]

    def script(body):
        first = body["messages"][1]["content"]
        kind = "env" if "environment designer" in first else "policy"
        source = re.search(r"start from this one\)\n\n```python\n(.*?)\n```", first, re.S).group(1)
        with lock:
            counter[0] += 1
            rng = np.random.default_rng(counter[0])
        try:
            mutant, _ = domain.mutate(Program(kind, domain_name, source + "\n"), rng)
        except ValueError:
            mutant, _ = mutate_generic(source + "\n", rng)
        return {"content": f"Here is the new version.\n```python\n{mutant}```", "usage": None}
    return script


PONG_ANSWER = """I aim the paddle's centre at the ball, with a dead band of {band} pixels.
```python
def select_action(predicted_y, obs):
    if predicted_y is None or "Player" not in obs:
        return 0
    centre = obs["Player"]["y"] + 7
    if predicted_y + 2 < centre - {band}:
        return 2
    if predicted_y + 2 > centre + {band}:
        return 3
    return 0
```"""


def pong_model():
    """A server script answering Pong requests with a select_action of a new dead band."""
    lock, counter = threading.Lock(), [0]

    def script(body):
        with lock:
            counter[0] += 1
            band = 2 + counter[0]
        return {"content": PONG_ANSWER.format(band=band), "usage": None}
    return script


def run(args) -> str:
    import importlib.util
    spec = importlib.util.spec_from_file_location("chat_server", os.path.join(
        os.path.dirname(__file__), "..", "tests", "llm", "conftest.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    ChatServer = module.ChatServer  # noqa: N806 - a class
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    model = pong_model() if args.domain == "atari" else operator_model(args.domain)
    with ChatServer(model) as server:
        env.update(OPENAI_BASE_URL=server.url, OPENAI_API_KEY="local")
        if args.domain == "atari":
            command = [sys.executable, "-m", "coevolve", "atari", "--game", "Pong",
                       "--designer", "llm", "--model", "pong-model", "--iterations",
                       str(args.iterations), "--episodes", str(args.episodes), "--max-steps",
                       "1000", "--screen-steps", "500", "--workers", str(args.workers),
                       "--out", args.out]
        else:
            command = [sys.executable, "-m", "coevolve", "run", "--domain", args.domain,
                       "--designer", "llm", "--model", "operator-model", "--iterations",
                       str(args.iterations), "--episodes", str(args.episodes), "--candidates",
                       str(args.candidates), "--workers", str(args.workers), "--out",
                       args.out, "--quiet"]
        subprocess.run(command, env=env, check=True)
        served = len(server.requests)
    print(f"server answered {served} requests")
    return os.path.join(args.out, "llm.jsonl")


def counter():
    """(name, count(text)) of the best token counter available."""
    try:
        import bpe_openai
    except ImportError:
        return [("chars/4", lambda text: len(text) // 4)]
    return [(name, lambda text, e=bpe_openai.get_encoding(name): len(e.encode(text)))
            for name in ("o200k_base", "cl100k_base")] + [("chars/4", lambda t: len(t) // 4)]


def count(path: str) -> None:
    """Prompt sizes per role (first requests and repairs), and usage per iteration."""
    with open(path, encoding="utf-8") as handle:
        entries = [json.loads(line) for line in handle if line.strip()]
    requests = [e for e in entries if e.get("type") == "request"]
    counters = counter()
    sizes = defaultdict(list)
    for e in requests:
        parts = e["slot"].split("/")
        role, attempt = ("atari", parts[-1]) if parts[0].startswith("step") else (parts[1],
                                                                                   parts[-1])
        text = "\n".join(m["content"] for m in e["messages"])
        sizes[(role, "first" if attempt == "r0" else "repair")].append(
            [f(text) for _, f in counters])
    print("prompt sizes (tokens: " + ", ".join(n for n, _ in counters) + "): min / mean / max")
    for (role, which), rows in sorted(sizes.items()):
        cols = np.array(rows)
        cells = [f"{c.min()}/{c.mean():.0f}/{c.max()}" for c in cols.T]
        print(f"  {role:6s} {which:6s} n={len(rows):2d}  " + "   ".join(cells))
    per = defaultdict(lambda: [0, 0, 0])
    for e in requests:
        head = e["slot"].split("/")[0]
        it = int(head[4:]) if head.startswith(("iter", "step")) else 0
        usage = e.get("usage") or {}
        per[it][0] += usage.get("requests", 1)
        per[it][1] += usage.get("prompt_tokens", 0)
        per[it][2] += usage.get("completion_tokens", 0)
    print("per iteration: requests, prompt tokens, completion tokens (as the client counted them)")
    for it in sorted(per):
        print(f"  iteration {it}: {per[it][0]} requests, {per[it][1]} prompt + {per[it][2]} "
              f"completion tokens")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domain", default="minigrid")
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--episodes", type=int, default=4)
    parser.add_argument("--candidates", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=None)
    parser.add_argument("--count", default=None, help="only count the prompts of this llm.jsonl")
    args = parser.parse_args()
    count(args.count or run(args))


if __name__ == "__main__":
    main()
