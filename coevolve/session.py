"""A run's parts, wired once: created fresh, or rebuilt from a run directory.

A :class:`Session` holds what the loop passes around — the configuration, the domain, the
designer, the executor, the evaluator, the screener, the recorder and the archive — and nothing
the parts do themselves. :meth:`Session.reopen` rebuilds the archive from iterations.jsonl;
every cell comes back from the evaluation cache.
"""
from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace

from solvers.meta import META_SOLVERS

from coevolve.archive import Archive
from coevolve.config import RunConfig
from coevolve.designers import designer_for
from coevolve.domains import domain_of
from coevolve.errors import UserInputError
from coevolve.evaluate import Evaluator, ResultCache
from coevolve.executors import make_executor
from coevolve.progress import Progress
from coevolve.recorder import Recorder
from coevolve.sandbox import Limits
from coevolve.screener import Screener
from coevolve.store import RunStore
from coevolve.user_programs import check_seed_programs, keep_seed_programs, seed_programs


@dataclass(frozen=True)
class Session:
    """The parts of one run; see the module docstring."""

    config: RunConfig
    domain: object
    """The :class:`coevolve.domains.Domain`."""
    designer: object
    """The :class:`coevolve.designers.base.Designer`."""
    executor: object
    """Where programs run (a SandboxPool or a RayExecutor)."""
    evaluator: Evaluator
    screener: Screener
    recorder: Recorder
    archive: Archive
    progress: Progress
    next_iteration: int = 0
    """The first iteration still to play."""

    @classmethod
    def create(cls, config: RunConfig, root: str, progress: Progress | None = None,
               executor=None, designer=None) -> "Session":
        """A new run in ``root`` (which must not hold a run yet)."""
        # a bad domain, meta-solver, selection, designer or executor is a user error before
        # anything is written
        domain = domain_of(config)
        if config.meta_solver not in META_SOLVERS:
            raise UserInputError(f"--meta-solver {config.meta_solver!r}: choose one of "
                                 f"{', '.join(sorted(META_SOLVERS))}")
        if config.env_selection == "regret" and domain.reference_policy() is None:
            raise UserInputError(f"--env-selection regret needs a reference solver, and the "
                                 f"{domain.name} domain has none (REFERENCE_POLICY in "
                                 f"{domain.policy_package})")
        designer = designer or designer_for(domain, config)
        seeds = seed_programs(config, domain)  # read and validated before any process starts
        executor = executor or executor_for(config)
        config = replace(config, sandbox=getattr(executor, "sandbox_mode", config.sandbox))
        recorder = Recorder(RunStore(root))
        try:
            if config.seed_env or config.seed_policy:
                evaluator = Evaluator(domain.env_package, executor, config.episodes, config.seed)
                check_seed_programs(*seeds, Screener(domain, executor, evaluator,
                                                     config.check_seeds))
            recorder.begin(config.to_dict())
            keep_seed_programs(config, *seeds, recorder.store)
        except BaseException:
            executor.close()
            raise
        return cls._wire(config, recorder, progress, executor, designer, Archive(), 0)

    @classmethod
    def reopen(cls, root: str, iterations: int | None = None, changes: dict | None = None,
               progress: Progress | None = None, executor=None, designer=None) -> "Session":
        """Rebuild a run from its directory; cells come back from the cache.

        ``changes`` are settings that differ from here on (a designer switch, LLM options);
        they are recorded in resumes.jsonl, so later resumes keep them.
        """
        recorder = Recorder(RunStore(root))
        store = recorder.store
        config = RunConfig.from_dict(store.load_config())
        for change in store.config_changes():
            config = RunConfig.from_dict({**config.to_dict(), **change["changes"]})
        if iterations is not None:
            config = replace(config, iterations=iterations)
        changes = {k: v for k, v in (changes or {}).items() if getattr(config, k) != v}
        domain = domain_of(config)
        if changes:  # a designer switch or new LLM options: built first, so a bad one writes nothing
            config = replace(config, **changes)
            designer = designer or designer_for(domain, config)
        records = recorder.iterations()
        session = cls._wire(config, recorder, progress, executor or executor_for(config),
                            designer or designer_for(domain, config), None,
                            records[-1].iteration + 1 if records else 0)
        if changes:
            recorder.note_resume(session.next_iteration, changes)
        try:
            archive = Archive.reload(
                records, lambda kind, entry: recorder.archived(kind, entry, domain.name),
                session.counted("resume: reloading cells"))
        except BaseException:
            session.close()
            raise
        return replace(session, archive=archive)

    @classmethod
    def _wire(cls, config, recorder, progress, executor, designer, archive,
              next_iteration) -> "Session":
        domain = domain_of(config)
        if hasattr(designer, "attach_transcript"):  # the llm designer's llm.jsonl
            designer.attach_transcript(recorder.store.path("llm.jsonl"))
        evaluator = Evaluator(domain.env_package, executor, config.episodes, config.seed,
                              ResultCache(recorder.store.path("cache.jsonl")),
                              reuse=config.reuse)
        screener = Screener(domain, executor, evaluator, config.check_seeds)
        return cls(config, domain, designer, executor, evaluator, screener, recorder, archive,
                   progress or Progress(), next_iteration)

    def seed_programs(self) -> tuple:
        """Iteration 0's environment and policy: the user's seeds kept in the run directory,
        else the domain's."""
        return seed_programs(self.config, self.domain, self.recorder.store)

    @property
    def root(self) -> str:
        """The run directory."""
        return self.recorder.store.root

    def counted(self, description: str):
        """``evaluate(pairs) -> cells`` with a progress bar called ``description``."""
        return lambda pairs: self.evaluator.evaluate(pairs, self.progress.counter(description))

    def close(self) -> None:
        """Stop the workers."""
        self.executor.close()


def executor_for(config: RunConfig):
    """The executor a run's configuration asks for, with its domain's limits and preload."""
    domain = domain_of(config)
    seconds = config.episode_seconds or domain.default_max_seconds
    return make_executor(config.executor, config.workers,
                         Limits(seconds=seconds, memory_mb=config.memory_mb,
                                sandbox=config.sandbox),
                         preload=(domain.env_package,), address=config.ray_address)


@contextmanager
def replay(root: str, workers: int):
    """A run directory's store, domain and reference solver, and an evaluator that plays with
    the run's episodes and seeds (``workers`` worker processes), for experiments that play a
    run's programs again outside the loop; the workers stop on leaving.

    Raises:
        SystemExit: if the run's domain has no reference solver.
    """
    store = RunStore(root)
    config = RunConfig.from_dict(store.load_config())
    domain = domain_of(config)
    reference = domain.reference_policy()
    if reference is None:
        raise SystemExit(f"the {domain.name} domain has no reference solver")
    executor = executor_for(replace(config, workers=workers))
    try:
        yield store, domain, reference, Evaluator(domain.env_package, executor, config.episodes,
                                                  config.seed, reuse=config.reuse)
    finally:
        executor.close()


def default_run_dir(config: RunConfig) -> str:
    """runs/<domain>-<designer>-s<seed>-<timestamp>."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return os.path.join("runs", f"{config.domain}-{config.designer}-s{config.seed}-{stamp}")
