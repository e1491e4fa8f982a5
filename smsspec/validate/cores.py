"""How many processes a check may use, and whether it may fork them."""

from __future__ import annotations

import os

JOBS_ENV = "SMSSPEC_JOBS"
_forked = False  # this process is itself a worker: it starts no others


def jobs() -> int:
    """Processes to use: SMSSPEC_JOBS, else the CPUs this process may run on (1 in a worker)."""
    if _forked:
        return 1
    configured = os.environ.get(JOBS_ENV, "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Forking is safe here: a POSIX system that is not macOS, and no other thread (a lock
    another thread holds would stay held in the child)."""
    import threading

    return hasattr(os, "fork") and os.name == "posix" and os.uname().sysname != "Darwin" and threading.active_count() == 1


def as_worker() -> None:
    """Mark this process as a worker; what the parent had loaded is never garbage, so the
    collector stops scanning it."""
    global _forked
    _forked = True
    import gc

    gc.freeze()
