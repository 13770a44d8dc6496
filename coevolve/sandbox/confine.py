"""What a program process does to itself, after the fork and before any program code runs.

In both sandbox modes a program process:

- keeps only its reply pipe and /dev/null open;
- caps its address space, file size, open files and core dumps (``setrlimit``);
- restricts its file system view with Landlock where the kernel has it: read-only beneath the
  interpreter, its packages and the project's packages, read-write beneath its own scratch
  folder, nothing else (not /proc of other processes, not the run directory, not $HOME);
- installs a seccomp filter: no new processes (fork, vfork, clone without CLONE_THREAD, clone3),
  no sockets, no ptrace or cross-process memory access, no signals to other processes, no
  io_uring, no System V IPC, no new namespaces.

With bubblewrap around the worker these are a second wall; in process mode they are the wall.
"""
from __future__ import annotations

import ctypes
import errno
import os
import platform
import resource
import struct
from collections.abc import Sequence

FILE_LIMIT_MB = 64
"""Largest file a program may write (RLIMIT_FSIZE), in MiB."""
OPEN_FILES = 64
"""Most files a program process may hold open (RLIMIT_NOFILE)."""

_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 38, 22, 2
_PR_SET_DUMPABLE, _PR_SET_PDEATHSIG = 4, 1


def set_undumpable() -> None:
    """Make this process's memory, fds and environment unreadable to its same-user peers."""
    _libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)


def set_parent_death_signal() -> None:
    """Be killed (SIGKILL) as soon as the parent process exits, whatever session we are in."""
    _libc.prctl(_PR_SET_PDEATHSIG, 9, 0, 0, 0)


def close_other_fds(keep: Sequence[int]) -> None:
    """Close every file descriptor above 2 except ``keep``."""
    keep = sorted(set(keep))
    low = 3
    for fd in keep:
        if fd >= low:
            os.closerange(low, fd)
            low = fd + 1
    os.closerange(low, OPEN_FILES * 64)


def limit_resources(memory_mb: int) -> None:
    """Address space, file size, open files; no core files."""
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    size = FILE_LIMIT_MB * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (OPEN_FILES, OPEN_FILES))


# -- Landlock -----------------------------------------------------------------------------
_LANDLOCK_CREATE, _LANDLOCK_ADD_RULE, _LANDLOCK_RESTRICT = 444, 445, 446
_READ = (1 << 0) | (1 << 2) | (1 << 3)  # execute, read file, read dir
_WRITE_ABI1 = (1 << 1) | sum(1 << bit for bit in range(4, 13))  # write file, remove, make *
_REFER, _TRUNCATE = 1 << 13, 1 << 14


def landlock_abi() -> int:
    """The kernel's Landlock ABI version; 0 where Landlock is missing or disabled."""
    if platform.machine() not in ("x86_64", "aarch64"):
        return 0
    version = _libc.syscall(_LANDLOCK_CREATE, None, 0, 1)
    return max(0, version)


def restrict_files(read_roots: Sequence[str], write_roots: Sequence[str]) -> bool:
    """Landlock: read beneath ``read_roots``, read and write beneath ``write_roots``, no more.

    Returns False (and changes nothing) where the kernel has no Landlock.
    """
    abi = landlock_abi()
    if abi < 1:
        return False
    write = _WRITE_ABI1 | (_REFER if abi >= 2 else 0) | (_TRUNCATE if abi >= 3 else 0)
    handled = _READ | write
    attr = struct.pack("=Q", handled)
    ruleset = _libc.syscall(_LANDLOCK_CREATE, attr, len(attr), 0)
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    try:
        for roots, access in ((read_roots, _READ), (write_roots, handled)):
            for root in roots:
                try:
                    fd = os.open(root, os.O_PATH | os.O_CLOEXEC)
                except OSError:
                    continue
                try:
                    allowed = access if os.path.isdir(root) else access & ~(1 << 3) & ~_WRITE_DIRS
                    rule = struct.pack("=Qi", allowed, fd)
                    if _libc.syscall(_LANDLOCK_ADD_RULE, ruleset, 1, rule, 0) < 0:
                        raise OSError(ctypes.get_errno(), f"landlock_add_rule failed for {root}")
                finally:
                    os.close(fd)
        _no_new_privileges()
        if _libc.syscall(_LANDLOCK_RESTRICT, ruleset, 0) < 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(ruleset)
    return True


_WRITE_DIRS = sum(1 << bit for bit in range(4, 13)) | _REFER  # rights that only apply to dirs


# -- seccomp ------------------------------------------------------------------------------
_SYSCALLS = {
    # name: (x86_64, aarch64); None where the architecture has no such call
    "fork": (57, None), "vfork": (58, None), "clone": (56, 220), "clone3": (435, 435),
    "ptrace": (101, 117), "process_vm_readv": (310, 270), "process_vm_writev": (311, 271),
    "socket": (41, 198), "socketpair": (53, 199), "kill": (62, 129), "tkill": (200, 130),
    "tgkill": (234, 131), "io_uring_setup": (425, 425), "io_uring_enter": (426, 426),
    "io_uring_register": (427, 427), "unshare": (272, 97), "setns": (308, 268),
    "shmget": (29, 194), "msgget": (68, 186), "semget": (64, 190), "mount": (165, 40),
    "pidfd_open": (434, 434), "pidfd_getfd": (438, 438), "userfaultfd": (323, 282),
    "bpf": (321, 280), "perf_event_open": (298, 241), "keyctl": (250, 219),
    "add_key": (248, 217), "request_key": (249, 218),
}
_DENIED = ("fork", "vfork", "ptrace", "process_vm_readv", "process_vm_writev", "socket",
           "socketpair", "io_uring_setup", "io_uring_enter", "io_uring_register", "unshare",
           "setns", "shmget", "msgget", "semget", "mount", "pidfd_open", "pidfd_getfd",
           "userfaultfd", "bpf", "perf_event_open", "keyctl", "add_key", "request_key")
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_CLONE_THREAD = 0x00010000
_LD_W_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_ALLOW, _KILL = 0x7FFF0000, 0x80000000


def _errno(code: int) -> int:
    return 0x00050000 | code


def seccomp_filter(own_pid: int, machine: str | None = None) -> bytes | None:
    """The BPF program (packed sock_filter array) of the filter; None on other architectures."""
    machine = machine or platform.machine()
    if machine not in _AUDIT_ARCH:
        return None
    column = 0 if machine == "x86_64" else 1
    number = {name: calls[column] for name, calls in _SYSCALLS.items() if calls[column] is not None}
    program = [(_LD_W_ABS, 0, 0, 4),                      # arch
               (_JEQ, 1, 0, _AUDIT_ARCH[machine]), (_RET, 0, 0, _KILL),
               (_LD_W_ABS, 0, 0, 0)]                       # syscall number
    if machine == "x86_64":                                # no x32 ABI calls
        program += [(_JGE, 0, 1, 0x40000000), (_RET, 0, 0, _errno(errno.EPERM))]
    for name in _DENIED:
        if name in number:
            program += [(_JEQ, 0, 1, number[name]), (_RET, 0, 0, _errno(errno.EPERM))]
    # clone3 passes its flags in memory: refuse it, and libc falls back to clone
    program += [(_JEQ, 0, 1, number["clone3"]), (_RET, 0, 0, _errno(errno.ENOSYS))]
    # clone: threads only
    program += [(_JEQ, 0, 4, number["clone"]), (_LD_W_ABS, 0, 0, 16),
                (_JSET, 1, 0, _CLONE_THREAD), (_RET, 0, 0, _errno(errno.EPERM)),
                (_RET, 0, 0, _ALLOW)]
    # signals: only to this process
    for name in ("kill", "tkill", "tgkill"):
        program += [(_JEQ, 0, 4, number[name]), (_LD_W_ABS, 0, 0, 16),
                    (_JEQ, 1, 0, own_pid), (_RET, 0, 0, _errno(errno.EPERM)),
                    (_RET, 0, 0, _ALLOW)]
    program.append((_RET, 0, 0, _ALLOW))
    return b"".join(struct.pack("=HBBI", *instruction) for instruction in program)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _no_new_privileges() -> None:
    if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")


def install_seccomp() -> bool:
    """Load the filter into this process; False on architectures it does not cover."""
    program = seccomp_filter(os.getpid())
    if program is None:
        return False
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    _no_new_privileges()
    if _libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")
    return True


def confine(memory_mb: int, keep_fds: Sequence[int], read_roots: Sequence[str],
            write_roots: Sequence[str]) -> None:
    """Everything above, in order; raises OSError if a step the kernel offers fails."""
    close_other_fds(keep_fds)
    restrict_files(read_roots, write_roots)
    limit_resources(memory_mb)
    install_seccomp()
