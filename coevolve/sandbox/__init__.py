"""The sandbox: untrusted programs run only here.

``SandboxPool.run(jobs)`` spreads jobs over W workers behind an operating-system wall
(:mod:`~coevolve.sandbox.wall`: bubblewrap namespaces, or the process fallback). A worker is a
zygote that never runs program code: each group of jobs runs in a fresh forked process that
confines itself (:mod:`~coevolve.sandbox.confine`: Landlock, seccomp, resource limits) and sends
back plain data (:mod:`~coevolve.sandbox.codec`), never pickles. A job that hangs, crashes, runs
out of memory or answers garbage comes back as a :class:`JobResult` with the reason in
``error``; the pool goes on with the next job.
"""
from coevolve.sandbox.pool import Job, JobResult, Limits, SandboxError, SandboxPool, batches_of
from coevolve.sandbox.wall import MODES, Wall, resolve, worker_environment

__all__ = ["Job", "JobResult", "Limits", "MODES", "SandboxError", "SandboxPool", "Wall",
           "batches_of", "resolve", "worker_environment"]
