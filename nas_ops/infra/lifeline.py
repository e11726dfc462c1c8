"""Worker processes die with their coordinator, and a worker whose coordinator is gone writes
nothing.

:func:`init_worker` is the initializer of every pool worker. On Linux it first asks the kernel
to SIGKILL the worker when its parent dies (``prctl(PR_SET_PDEATHSIG)``), and it remembers the
coordinator's pid, so that :func:`coordinator_gone` can be checked before any weights file is
written (elsewhere, and should the signal not come, that check is what stops an orphan). This
module imports no torch: a spawned worker arms the signal before the seconds torch takes to load.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1
_coordinator: int | None = None  # set in worker processes only


def bind_to_coordinator(pid: int) -> None:
    """Tie this worker process to its coordinator ``pid``: die (SIGKILL) when it dies."""
    global _coordinator
    _coordinator = pid
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no usable libc
            pass
    if coordinator_gone():  # it died before the signal was armed
        os._exit(1)


def init_worker(coordinator: int, threads: int) -> None:
    """Pool worker initializer: bind to ``coordinator``, then use ``threads`` torch threads."""
    bind_to_coordinator(coordinator)
    import torch  # only now: the worker is bound before the heavy import

    torch.set_num_threads(threads)


def coordinator_gone() -> bool:
    """Whether this is a worker process whose coordinator no longer runs."""
    return _coordinator is not None and os.getppid() != _coordinator
