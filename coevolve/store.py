"""The run directory: every file written atomically; an iteration counts once it is logged.

    runs/NAME/
      config.json        the full configuration, written once
      programs/          env_0003.py, policy_0003.py; candidates/ holds every candidate
      payoff.csv         success rates, labelled rows and columns
      iterations.jsonl   one line per finished iteration
      cache.jsonl        evaluated payoff cells (so resuming recomputes nothing)
      resumes.jsonl      settings changed on resume (designers, LLM options), one line each
"""
from __future__ import annotations

import json
import os
import tempfile

from coevolve.errors import UserInputError
from coevolve.secrets import redact


def write_atomic(path: str, text: str | bytes) -> None:
    """Write ``text`` (or bytes) to ``path`` through a temporary file and a rename; secrets are
    redacted from text."""
    text = text if isinstance(text, bytes) else redact(text)
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(path))
    binary = isinstance(text, bytes)
    try:
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def program_file(kind: str, iteration: int) -> str:
    """Where the archived program of an iteration lives, relative to the run directory."""
    return os.path.join("programs", f"{kind}_{iteration:04d}.py")


def candidate_file(name: str) -> str:
    """Where a candidate called ``name`` is kept, relative to the run directory."""
    return os.path.join("programs", "candidates", name)


class RunStore:
    """Reads and writes one run directory."""

    def __init__(self, root: str):
        self.root = root

    def path(self, *parts: str) -> str:
        """A path inside the run directory."""
        return os.path.join(self.root, *parts)

    # -- config ---------------------------------------------------------------------------
    def create(self, config: dict) -> None:
        """Start a new run directory; refuses to overwrite an existing run."""
        if os.path.exists(self.path("config.json")):
            raise UserInputError(f"{self.root} already holds a run; use `coevolve resume "
                                 f"{self.root}` or choose another --out")
        os.makedirs(self.path("programs", "candidates"), exist_ok=True)
        write_atomic(self.path("config.json"), json.dumps(config, indent=2) + "\n")

    def config_changes(self) -> list[dict]:
        """Settings changed on resume, in order: ``{"from_iteration": t, "changes": {...}}``."""
        try:
            with open(self.path("resumes.jsonl"), encoding="utf-8") as handle:
                return [json.loads(line) for line in handle if line.strip()]
        except FileNotFoundError:
            return []

    def record_config_change(self, from_iteration: int, changes: dict) -> None:
        """Append a resume's changed settings (config.json itself is never rewritten)."""
        lines = [json.dumps(c, sort_keys=True) for c in self.config_changes()]
        lines.append(json.dumps({"from_iteration": from_iteration, "changes": changes},
                                sort_keys=True))
        write_atomic(self.path("resumes.jsonl"), "\n".join(lines) + "\n")

    def load_config(self) -> dict:
        """The config a run was started with."""
        try:
            with open(self.path("config.json"), encoding="utf-8") as handle:
                return json.load(handle)
        except FileNotFoundError:
            raise UserInputError(f"{self.root} is not a run directory (no config.json)") from None
        except json.JSONDecodeError as exc:
            raise UserInputError(f"{self.path('config.json')} is not valid JSON: {exc}") from None

    # -- programs -------------------------------------------------------------------------
    def save_program(self, kind: str, iteration: int, source: str) -> str:
        """Archive the chosen program of an iteration; returns its path relative to the run."""
        return self.write(program_file(kind, iteration), source)

    def write(self, relative: str, text: str) -> str:
        """Write a file inside the run (atomically); returns ``relative``."""
        write_atomic(self.path(relative), text)
        return relative

    def read(self, relative: str) -> str:
        """Text of a file inside the run."""
        with open(self.path(relative), encoding="utf-8") as handle:
            return handle.read()

    # -- iterations -----------------------------------------------------------------------
    def iterations(self) -> list[dict]:
        """Every finished iteration's record, in order."""
        try:
            with open(self.path("iterations.jsonl"), encoding="utf-8") as handle:
                return [json.loads(line) for line in handle if line.strip()]
        except FileNotFoundError:
            return []

    def append_iteration(self, record: dict) -> None:
        """Log a finished iteration (rewrites the file atomically)."""
        lines = [json.dumps(r, sort_keys=True) for r in self.iterations()]
        lines.append(json.dumps(record, sort_keys=True))
        write_atomic(self.path("iterations.jsonl"), "\n".join(lines) + "\n")
