"""Every file a co-evolution run writes, through :class:`coevolve.store.RunStore`.

config.json when the run starts, resumes.jsonl when a resume changes settings. An iteration is logged in one go, after it has finished: its candidates' sources, the programs
it archived, payoff.csv, then its line in iterations.jsonl (from then on the iteration counts;
a run killed earlier repeats it on resume, identically). :meth:`Recorder.archived` reads an
archived program back for a resume.
"""
from __future__ import annotations

from coevolve.errors import UserInputError
from coevolve.payoff import PayoffMatrix
from coevolve.program import Program
from coevolve.records import ArchiveEntry, IterationRecord
from coevolve.store import RunStore


class Recorder:
    """Writes a run's iterations into its run directory."""

    def __init__(self, store: RunStore):
        self.store = store

    def begin(self, config: dict) -> None:
        """Create the run directory with its config.json (refused if it holds a run)."""
        self.store.create(config)

    def note_resume(self, from_iteration: int, changes: dict) -> None:
        """Record settings a resume changed (resumes.jsonl)."""
        self.store.record_config_change(from_iteration, changes)

    def log(self, record: IterationRecord, payoffs: PayoffMatrix) -> None:
        """Write the iteration: candidates, archived programs, payoff.csv, its line."""
        for candidate in record.candidates:
            if candidate.program is not None:
                self.store.write(candidate.file, candidate.program.source)
        for entry in (record.env, record.policy):
            if entry is not None:
                self.store.write(entry.file, entry.program.source)
        payoffs.save_csv(self.store.path("payoff.csv"))
        self.store.append_iteration(record.to_json())

    def iterations(self) -> list[IterationRecord]:
        """The finished iterations, in order."""
        return [IterationRecord.from_json(line) for line in self.store.iterations()]

    def archived(self, kind: str, entry: ArchiveEntry, domain: str) -> Program:
        """The program an iteration archived, checked against its logged sha256."""
        program = Program(kind, domain, self.store.read(entry.file), entry.parent, entry.origin)
        if program.sha256 != entry.sha256:
            raise UserInputError(f"{self.store.path(entry.file)} was modified after it was "
                                 f"archived (sha256 differs)")
        return program
