"""What a run shows while it works: a progress bar per evaluation and a line per iteration."""
from __future__ import annotations

import sys

from tqdm import tqdm

from coevolve.records import IterationRecord


class Progress:
    """Progress display on stderr; ``quiet`` silences the bars but keeps iteration lines."""

    def __init__(self, quiet: bool = False, stream=None):
        self.quiet = quiet
        self._stream = stream

    @property
    def stream(self):
        """Where the display goes: the given stream, else stderr as it is now."""
        return self._stream or sys.stderr

    def counter(self, description: str):
        """A ``progress(done, total)`` callback drawing a bar for one evaluation."""
        state = {"bar": None}

        def update(done: int, total: int) -> None:
            if self.quiet:
                return
            if state["bar"] is None:
                state["bar"] = tqdm(total=total, desc=description, unit="ep", leave=False,
                                    file=self.stream, dynamic_ncols=True)
            state["bar"].update(done - state["bar"].n)
            if done >= total:
                state["bar"].close()

        return update

    def message(self, text: str) -> None:
        """One line of status."""
        tqdm.write(text, file=self.stream)

    def iteration_done(self, record: IterationRecord) -> None:
        """The summary line of a finished iteration."""
        s = record.scores
        counts = record.counts["env"]
        env_text = (f"env {record.env.label} ({counts['accepted']}/{counts['proposed']} ok, "
                    f"mixture {chosen_env_challenge(record):.2f} on it)"
                    if record.env else "env: none accepted")
        self.message(
            f"iter {record.iteration:3d} | {env_text} | "
            f"policy {record.policy.label if record.policy else '-'} | "
            f"value {record.value:.3f} | worst-case greedy {s['greedy']['worst']:.2f} "
            f"uniform {s['uniform']['worst']:.2f} msne {s['msne']['worst']:.2f} | "
            f"mean msne {s['msne']['mean']:.2f} | {record.seconds:.1f} s" + _episodes_text(record)
            + _llm_text(record))


def _episodes_text(record: IterationRecord) -> str:
    """' | 120 episodes played, 300 reused'; empty for records without counts."""
    counts = record.episodes
    if not counts:
        return ""
    return f" | {counts['played']} episodes played, {counts['reused']} reused"


def _llm_text(record: IterationRecord) -> str:
    """The iteration line's LLM usage, e.g. ' | llm 12 req 34.5k tok'; empty for other designers."""
    usage = record.llm
    if not usage:
        return ""
    return f" | llm {usage['requests']} req {usage['total_tokens'] / 1000:.1f}k tok"


def chosen_env_challenge(record: IterationRecord) -> float:
    """The old mixture's success on the environment chosen this iteration (before the policy
    designer answered it): how hard the new level was for the archive."""
    chosen = record.chosen("env")
    return chosen.mixture_success if chosen else float("nan")
