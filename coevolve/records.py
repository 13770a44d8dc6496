"""What a run logs: typed, frozen candidate and iteration records, and their JSON form.

iterations.jsonl holds one :meth:`IterationRecord.to_json` object per finished iteration. The
keys and values are those earlier versions wrote, so old run directories resume and render:
:meth:`IterationRecord.from_json` reads them back (a key an older version did not write takes
its default).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from enum import Enum

from coevolve.program import Origin, Program


class Status(str, Enum):
    """What became of a candidate."""

    ACCEPTED = "accepted"
    """It passed screening (and was evaluated) but another was kept."""
    CHOSEN = "chosen"
    """It was kept: archived as the iteration's environment or policy."""
    REJECTED = "rejected"
    """It failed screening; ``category`` and ``reason`` say why."""


class Category(str, Enum):
    """Why a candidate was rejected."""

    INVALID = "invalid"
    """The static checks failed (syntax, contract names, imports)."""
    INFEASIBLE = "infeasible"
    """The domain's feasibility check said the level cannot be solved or built."""
    CHECK_FAILED = "check_failed"
    """The feasibility check itself failed in the sandbox (an exception, a timeout)."""
    RUNTIME = "runtime"
    """The policy failed at run time in its short probe episode."""
    DUPLICATE = "duplicate"
    """Identical to a program already in the archive."""
    NOT_WRITTEN = "not_written"
    """The designer's requests produced no program."""
    UNSOLVED_BY_REFERENCE = "unsolved_by_reference"
    """Regret selection: the domain's reference solver completes too few of its episodes."""


@dataclass(frozen=True)
class Candidate:
    """One candidate of an iteration: its file, fate and (once evaluated) its scores."""

    kind: str
    """"env" or "policy"."""
    sha256: str | None
    """The program's sha256 (None when no program was written)."""
    file: str | None
    """Where the candidate is kept, relative to the run directory."""
    note: str | None
    """The program's origin note (for a slot without a program, why)."""
    status: Status
    category: Category | None = None
    """Why it was rejected (None unless rejected)."""
    reason: str | None = None
    """The rejection's reason in words."""
    slot: str | None = None
    """The designer's conversation of a slot that produced no program."""
    measures: dict | None = None
    """Environment candidates that were checked: the level's measures."""
    mixture_success: float | None = None
    """Accepted environments: the mixture's success on it (the environment player's payoff)."""
    mixture_return: float | None = None
    """Accepted environments: the mixture's mean return on it."""
    reference_success: float | None = None
    """Environments the domain's reference solver played (every accepted one under regret
    selection, the chosen one otherwise): its success rate."""
    success: float | None = None
    """Accepted policies: success rate on the new environment."""
    mean_return: float | None = None
    """Accepted policies: mean return on the new environment."""
    first_error: str | None = None
    """Accepted policies: the first abnormal episode ending on the new environment."""
    program: Program | None = field(default=None, compare=False, repr=False)
    """The program itself (not logged; None for records read back from a file)."""

    @property
    def rejected(self) -> bool:
        """Whether screening rejected it."""
        return self.status is Status.REJECTED

    def challenged(self, success: float, mean_return: float) -> "Candidate":
        """This environment candidate with the mixture's success and return on it."""
        return replace(self, mixture_success=float(success), mixture_return=float(mean_return))

    def refereed(self, success: float) -> "Candidate":
        """This environment candidate with the reference solver's success on it."""
        return replace(self, reference_success=float(success))

    def refused(self, category: Category, reason: str) -> "Candidate":
        """This candidate, rejected after screening."""
        return replace(self, status=Status.REJECTED, category=category, reason=reason)

    def scored(self, success: float, mean_return: float, first_error: str | None) -> "Candidate":
        """This policy candidate with its cell on the new environment."""
        return replace(self, success=success, mean_return=mean_return, first_error=first_error)

    def chosen(self) -> "Candidate":
        """This candidate, kept."""
        return replace(self, status=Status.CHOSEN)

    def to_json(self) -> dict:
        """The candidate's entry in its iteration's line."""
        data = {"kind": self.kind, "sha256": self.sha256, "file": self.file, "note": self.note,
                "status": self.status.value,
                "category": self.category.value if self.category else None,
                "reason": self.reason}
        if self.slot is not None:
            data["slot"] = self.slot
        if self.measures is not None:
            data["measures"] = dict(self.measures)
        if self.mixture_success is not None:
            data.update(mixture_success=self.mixture_success, mixture_return=self.mixture_return)
        if self.reference_success is not None:
            data["reference_success"] = self.reference_success
        if self.success is not None:
            data.update(success=self.success, mean_return=self.mean_return,
                        first_error=self.first_error)
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Candidate":
        """Inverse of :meth:`to_json`."""
        category = data.get("category")
        return cls(data["kind"], data.get("sha256"), data.get("file"), data.get("note"),
                   Status(data["status"]), Category(category) if category else None,
                   data.get("reason"), data.get("slot"), data.get("measures"),
                   data.get("mixture_success"), data.get("mixture_return"),
                   data.get("reference_success"), data.get("success"), data.get("mean_return"),
                   data.get("first_error"))


@dataclass(frozen=True)
class ArchiveEntry:
    """The program an iteration archived, as its line names it."""

    label: str
    """Its row or column in payoff.csv, e.g. "env_0003"."""
    file: str
    """The archived program, relative to the run directory."""
    sha256: str
    parent: str | None = None
    """The parent program's sha256."""
    origin: Origin = field(default_factory=Origin)
    measures: dict | None = None
    """Environments: the level's measures (None for policies)."""
    program: Program | None = field(default=None, compare=False, repr=False)
    """The program itself (not logged; None for records read back from a file)."""

    @classmethod
    def of(cls, program: Program, iteration: int, file: str,
           measures: dict | None = None) -> "ArchiveEntry":
        """The entry of ``program`` archived in ``iteration`` as ``file``."""
        return cls(f"{program.kind}_{iteration:04d}", file, program.sha256, program.parent,
                   program.origin, measures, program)

    def to_json(self) -> dict:
        """The entry as its iteration's line holds it."""
        data = {"label": self.label, "file": self.file, "sha256": self.sha256,
                "parent": self.parent, "origin": asdict(self.origin)}
        if self.measures is not None:
            data["measures"] = dict(self.measures)
        return data

    @classmethod
    def from_json(cls, data: dict | None) -> "ArchiveEntry | None":
        """Inverse of :meth:`to_json` (None stays None)."""
        if not data:
            return None
        return cls(data["label"], data["file"], data["sha256"], data.get("parent"),
                   Origin(**data.get("origin", {})), data.get("measures"))


@dataclass(frozen=True)
class IterationRecord:
    """One finished iteration: its line in iterations.jsonl."""

    iteration: int
    env: ArchiveEntry | None
    """The environment archived (None if no candidate was accepted)."""
    policy: ArchiveEntry | None
    """The policy archived (None if no candidate was accepted)."""
    msne: dict
    """Policy label -> MSNE weight after the iteration."""
    value: float
    """The game value of the MSNE (NaN for a line without one)."""
    scores: dict
    """Strategy (greedy, uniform, msne) -> worst-case and mean success on the archive."""
    candidates: tuple = ()
    """Every :class:`Candidate`, environments first."""
    env_mixture: dict | None = None
    """Environment label -> the environment player's MSNE weight."""
    new_cells: tuple = ()
    """The payoff cells evaluated in this iteration (dicts, see :func:`cell_entry`)."""
    episodes: dict | None = None
    """Episodes "played" and "reused" in this iteration."""
    timings: dict = field(default_factory=dict)
    """Seconds per step of the iteration."""
    payoff_shape: tuple | None = None
    """(policies, environments) after the iteration."""
    seconds: float = 0.0
    """Wall-clock seconds of the iteration."""
    wall_time: float | None = None
    """When it was logged (seconds since the epoch)."""
    llm: dict | None = None
    """LLM requests and tokens of the run so far (LLM designers only)."""
    mixture: dict | None = None
    """Policy label -> weight of the meta-solver's mixture, when it is not the MSNE (uniform,
    latest): the mixture the designers answered in the next iteration."""

    @property
    def counts(self) -> dict:
        """Per kind: candidates proposed, accepted (chosen included), rejected per category."""
        counts = {}
        for kind in ("env", "policy"):
            mine = [c for c in self.candidates if c.kind == kind]
            rejected = Counter(c.category.value if c.category else None
                               for c in mine if c.rejected)
            counts[kind] = {"proposed": len(mine), "accepted": sum(not c.rejected for c in mine),
                            "rejected": dict(rejected)}
        return counts

    def chosen(self, kind: str) -> Candidate | None:
        """The candidate of ``kind`` kept in this iteration, if any."""
        return next((c for c in self.candidates
                     if c.kind == kind and c.status is Status.CHOSEN), None)

    def to_json(self) -> dict:
        """The line of iterations.jsonl."""
        data = {"iteration": self.iteration,
                "env": self.env.to_json() if self.env else None,
                "policy": self.policy.to_json() if self.policy else None,
                "msne": dict(self.msne), "env_mixture": self.env_mixture, "value": self.value,
                "scores": self.scores, "counts": self.counts,
                "candidates": [c.to_json() for c in self.candidates],
                "new_cells": list(self.new_cells), "episodes": self.episodes,
                "timings": dict(self.timings),
                "payoff_shape": list(self.payoff_shape) if self.payoff_shape else None,
                "seconds": self.seconds, "wall_time": self.wall_time}
        if self.llm is not None:
            data["llm"] = self.llm
        if self.mixture is not None:
            data["mixture"] = dict(self.mixture)
        return data

    @classmethod
    def from_json(cls, data: dict) -> "IterationRecord":
        """Inverse of :meth:`to_json`."""
        return cls(data["iteration"], ArchiveEntry.from_json(data.get("env")),
                   ArchiveEntry.from_json(data.get("policy")), data["msne"],
                   data.get("value", float("nan")), data.get("scores", {}),
                   tuple(Candidate.from_json(c) for c in data.get("candidates", [])),
                   data.get("env_mixture"), tuple(data.get("new_cells", [])),
                   data.get("episodes"), data.get("timings", {}),
                   tuple(data["payoff_shape"]) if data.get("payoff_shape") else None,
                   data.get("seconds", 0.0), data.get("wall_time"), data.get("llm"),
                   data.get("mixture"))


def cell_entry(policy_label: str, env_label: str, cell) -> dict:
    """A payoff cell (a :class:`~coevolve.evaluate.CellResult`) as a record lists it."""
    return {"policy": policy_label, "env": env_label, "success": cell.success_rate,
            "mean_return": round(cell.mean_return, 4), "mean_steps": round(cell.mean_steps, 1),
            "errors": cell.errors, "first_error": cell.first_error,
            "policy_seconds_per_step": round(cell.policy_seconds_per_step, 6),
            "reused": cell.reused}
