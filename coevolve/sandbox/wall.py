"""The operating-system wall around worker processes: bubblewrap, or the process fallback.

``--sandbox auto|bwrap|process`` picks the wall:

- ``bwrap``: every worker runs under bubblewrap with new user, PID, network, IPC, UTS and cgroup
  namespaces, its own /proc, a private size-capped /tmp and HOME, uid 65534 inside, and a
  read-only view of only the interpreter, its packages, the project's packages and /usr. The
  run directory, the user's home and the host's /tmp do not exist in there. It dies with its
  parent.
- ``process``: plain worker processes. Each program process still confines itself (Landlock
  where the kernel has it, seccomp, resource limits: :mod:`coevolve.sandbox.confine`), but
  shares the host's namespaces.
- ``auto`` (the default): ``bwrap`` if a probe of the exact command works, else ``process``
  with one warning line saying what is then not contained.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import site
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass

from coevolve.errors import UserInputError
from coevolve.secrets import is_secret_name

MODES = ("auto", "bwrap", "process")
ROOTS_VARIABLE = "COEVOLVE_SANDBOX_ROOTS"
"""Environment variable handing the zygote the folders it may read."""
PROJECT_PACKAGES = ("coevolve", "envs", "policies", "solvers")
SYSTEM_ROOTS = ("/usr", "/etc/ld.so.cache", "/etc/fonts", "/etc/localtime")
TMP_MB = 256
"""Size of the private /tmp under bubblewrap, in MiB."""
SANDBOX_UID = 65534


@dataclass(frozen=True)
class Wall:
    """The wall in force."""

    mode: str
    """"bwrap" or "process"."""
    note: str | None = None
    """Why ``auto`` fell back to ``process``, or None."""

    def describe(self) -> str:
        """One line for progress headers and reports."""
        if self.mode == "bwrap":
            return "bwrap (namespaces, read-only view, no network) + seccomp + Landlock"
        return "process (no namespaces) + seccomp + Landlock where the kernel has it"


def sandbox_roots(modules: Sequence[str] = ()) -> list[str]:
    """Folders a worker may read: the interpreter, its packages, our packages and /usr."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, *site.getsitepackages()}
    user_site = site.getusersitepackages()
    if isinstance(user_site, str) and os.path.isdir(user_site):
        roots.add(user_site)
    for name in {*PROJECT_PACKAGES, *(m.split(".")[0] for m in modules)}:
        spec = importlib.util.find_spec(name)
        if spec is None:
            continue
        if spec.submodule_search_locations:
            roots.update(spec.submodule_search_locations)
        elif spec.origin:
            roots.add(spec.origin)
    roots.update(path for path in SYSTEM_ROOTS if os.path.exists(path))
    for link in ("/lib", "/lib64", "/bin", "/sbin"):
        if os.path.isdir(link) and not os.path.islink(link):
            roots.add(link)
    resolved = {os.path.realpath(path) for path in roots if os.path.exists(path)}
    return sorted(path for path in resolved
                  if not any(path.startswith(other + os.sep) for other in resolved))


def read_roots() -> list[str]:
    """The zygote's view of :func:`sandbox_roots`, as its parent computed them."""
    given = os.environ.get(ROOTS_VARIABLE)
    return given.split(os.pathsep) if given else sandbox_roots()


def bwrap_command(roots: Sequence[str], command: Sequence[str]) -> list[str]:
    """The bubblewrap command line that runs ``command`` behind the wall."""
    args = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session",
            "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--hostname", "sandbox",
            "--cap-drop", "ALL", "--proc", "/proc", "--dev", "/dev",
            "--size", str(TMP_MB * 1024 * 1024), "--tmpfs", "/tmp",
            "--dir", "/tmp/home", "--chdir", "/tmp"]
    for path in roots:
        args += ["--ro-bind", path, path]
    for link in ("/lib", "/lib64", "/bin", "/sbin"):
        if os.path.islink(link):
            args += ["--symlink", os.readlink(link), link]
    return args + ["--", *command]


_probes: dict[tuple, str | None] = {}


def probe_bwrap(roots: Sequence[str]) -> str | None:
    """None if bubblewrap runs this interpreter behind the wall here, else why not."""
    key = tuple(roots)
    if key not in _probes:
        _probes[key] = _probe(roots)
    return _probes[key]


def _probe(roots: Sequence[str]) -> str | None:
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed (apt-get install bubblewrap)"
    command = bwrap_command(roots, [sys.executable, "-c",
                                    "import coevolve.sandbox.zygote; print('ok')"])
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60,
                              env=worker_environment(roots), cwd=tempfile.gettempdir())
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap did not run: {exc}"
    if done.returncode != 0 or done.stdout.strip() != "ok":
        lines = (done.stderr or done.stdout).strip().splitlines()
        return f"bubblewrap failed: {lines[-1] if lines else f'exit status {done.returncode}'}"
    return None


def resolve(requested: str, modules: Sequence[str] = ()) -> Wall:
    """The wall for ``--sandbox requested``; raises UserInputError if ``bwrap`` cannot work."""
    if requested not in MODES:
        raise UserInputError(f"unknown sandbox {requested!r} (known: {', '.join(MODES)})")
    if requested == "process":
        return Wall("process")
    problem = probe_bwrap(sandbox_roots(modules))
    if problem is None:
        return Wall("bwrap")
    if requested == "bwrap":
        raise UserInputError(f"--sandbox bwrap: {problem}")
    return Wall("process", note=problem)


def fallback_warning(wall: Wall) -> str | None:
    """The one warning line of an ``auto`` fallback, or None."""
    if wall.note is None:
        return None
    return (f"warning: sandbox falls back to process mode ({wall.note}); programs then share "
            f"this machine's PID, network and IPC namespaces and run as your user: only "
            f"seccomp and Landlock (if the kernel has it) keep them from your files, other "
            f"processes and the network")


def worker_environment(roots: Sequence[str], environ: dict[str, str] | None = None) -> dict[str, str]:
    """A worker's environment: this one without secrets, plus the sandbox's settings."""
    environ = dict(os.environ if environ is None else environ)
    clean = {name: value for name, value in environ.items() if not is_secret_name(name)}
    clean.update({
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
        "PYTHONHASHSEED": "0",  # set/dict iteration in programs is the same in every worker
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy",
        "PYGAME_HIDE_SUPPORT_PROMPT": "1",
        ROOTS_VARIABLE: os.pathsep.join(roots),
    })
    return clean
