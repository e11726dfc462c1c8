"""Error tree of nas-ops.

Every error a user can cause is a :class:`NasOpsError`; each subclass also inherits the matching
builtin so that callers who catch ``ValueError`` or ``KeyError`` keep working. The CLI turns any
``NasOpsError`` into one line on stderr and exit code 2.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any


class NasOpsError(Exception):
    """Base class of every error raised on purpose by nas-ops."""

    def __str__(self) -> str:  # KeyError quotes its message; keep one clean line for all
        return str(self.args[0]) if self.args else self.__class__.__name__


class ConfigError(NasOpsError, ValueError):
    """A configuration file or option is malformed or holds a bad value."""


class UnknownNameError(NasOpsError, KeyError):
    """A name (operator, space, task, ...) is not registered; the message lists valid names."""


class RegistryCollisionError(NasOpsError, ValueError):
    """Two entries were registered under one name."""


class GenomeError(NasOpsError, ValueError):
    """A genome is malformed or breaks a structural rule; the message names the node and rule."""


class TaskError(NasOpsError, ValueError):
    """A task or dataset cannot be built (missing file, bad shapes, unknown option)."""


class CapacityError(NasOpsError, ValueError):
    """A capacity-allocation problem is ill-posed or too large."""


class EvaluationError(NasOpsError, RuntimeError):
    """An evaluation failed in a way the caller must hear about."""


class AllFailedError(EvaluationError):
    """Every evaluation of a run failed (the message gives the most common reason). The run is
    recorded and finished; ``summary`` is its :class:`~nas_ops.engine.SearchSummary`."""

    def __init__(self, message: str, summary: Any = None) -> None:
        super().__init__(message)
        self.summary = summary


class LedgerError(NasOpsError, RuntimeError):
    """A run's ledger.sqlite is unreadable: truncated, overwritten, or not a nas-ops ledger."""


class MachineError(NasOpsError, RuntimeError):
    """The machine failed under a run: no space left on a device, an I/O error while writing.
    Not the candidate's failure: nothing is recorded for the evaluation in flight and the run
    stops; once the disk is fixed, a resume gives the run that never stopped. ``what``: what
    failed where; ``resume``: how to resume (the CLI names the command)."""

    def __init__(self, what: str, resume: str = "resume the run") -> None:
        super().__init__(f"{what}; the run stopped and nothing is recorded as failed: free space "
                         f"or fix the disk, then {resume}")
        self.what, self.resume = what, resume

    def __reduce__(self) -> tuple[Any, ...]:  # from a worker process, as it was raised
        return (type(self), (self.what, self.resume))


class RunLockedError(NasOpsError, RuntimeError):
    """Another process already holds a run directory for writing."""


class MissingDependencyError(NasOpsError, ImportError):
    """An optional dependency (ray, mlxtend, ...) is not installed."""


def unknown(kind: str, name: object, valid: list[str] | tuple[str, ...]) -> UnknownNameError:
    """Build the standard 'unknown X' error listing the valid choices."""
    choices = ", ".join(sorted(valid)) or "(none registered)"
    return UnknownNameError(f"unknown {kind} {name!r}; valid choices: {choices}")


def check_keys(where: str, table: Iterable[str], valid: Sequence[str]) -> None:
    """One :class:`ConfigError` line for the first key of ``table`` not in ``valid``."""
    for key in table:
        if key not in valid:
            raise ConfigError(f"unknown key {where}.{key}; valid keys: {', '.join(valid)}")


def regular_file(path: str | Path, what: str, kind: str) -> Path:
    """``path`` as a Path, or one :class:`ConfigError` line when it names a directory ("config
    file 'x' is a directory, not a TOML file": ``what`` and ``kind``), nothing, or something
    that is not a regular file (``/dev/null``)."""
    p = Path(path)
    if p.is_dir():
        raise ConfigError(f"{what} {str(p)!r} is a directory, not a {kind}")
    if not p.is_file():
        state = "is not a regular file" if p.exists() else "does not exist"
        raise ConfigError(f"{what} {str(p)!r} {state}")
    return p
