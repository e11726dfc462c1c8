"""The one place that decides what a command may write to, or replace at, its ``--out`` (or
``out=``): checked before any work, so that a refused directory costs nothing and leaves nothing
behind, with one line naming the directory and what is wrong with it.

Two kinds of output:

- a **run** (``search``, ``study``, ``demo``) or an **experiment** is written *inside* ``--out``,
  which must be new, empty, or that same kind of output (a run with the same config continues;
  an experiment resumes). Nothing there is ever deleted.
- a **report**, **comparison** or **capacity report** is written into a temporary sibling and
  renamed to ``--out`` at the end (:func:`replacing`). It replaces an existing directory only if
  that directory is the output of the same command, recognised by the marker file that command
  wrote (``.nas-ops-report``, ``.nas-ops-compare``, ``.nas-ops-capacity``), and holds no run.

A directory holding a ledger (``ledger.sqlite``) is never replaced, by any command, and is the
``--out`` of nothing but the run it holds.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from nas_ops.errors import ConfigError
from nas_ops.infra.files import atomic_dir
from nas_ops.store.ledger import LEDGER_NAME

#: the marker file each replaceable kind of output holds (written by :func:`replacing`)
MARKERS = {"report": ".nas-ops-report", "comparison": ".nas-ops-compare",
           "capacity report": ".nas-ops-capacity"}
EXPERIMENT_FILE = "plan.json"


def _label(out: Path, flag: str) -> str:
    return f"{flag} {str(out)!r}"


def _run_inside(out: Path) -> Path | None:
    """The directory of the first ledger at or below ``out`` (None: no run there)."""
    for root, _dirs, files in os.walk(out):
        if LEDGER_NAME in files:
            return Path(root)
    return None


def _refuse_a_run(out: Path, flag: str, what: str) -> None:
    if (out / LEDGER_NAME).exists():
        raise ConfigError(f"{_label(out, flag)} holds a nas-ops run ({LEDGER_NAME}), which is "
                          f"never replaced or written over; choose a new directory for the {what}")


def check_run_dir(out: Path, flag: str = "--out") -> None:
    """Refuse, as the directory of a new run, a non-empty directory that holds no run (a run
    with the same config continues there; the engine refuses another config)."""
    if out.is_dir() and not (out / LEDGER_NAME).exists() and any(out.iterdir()):
        raise ConfigError(f"{_label(out, flag)} is not empty and holds no nas-ops run; choose a "
                          "new or empty directory")


def check_run_out(out: str | Path) -> None:
    """Everything about a run directory ``--out`` (search, study, demo), before any work."""
    check_writable_out(out, inside=True)
    check_run_dir(Path(out))


def check_experiment_out(out: str | Path) -> None:
    """Refuse, as an experiment's ``--out``, a run directory, or a non-empty directory that
    holds no experiment (one with a ``plan.json`` resumes)."""
    path = Path(out)
    check_writable_out(path, inside=True)
    if path.is_dir():
        _refuse_a_run(path, "--out", "experiment")
        if not (path / EXPERIMENT_FILE).is_file() and any(path.iterdir()):
            raise ConfigError(f"--out {str(path)!r} is not empty and holds no experiment; "
                              "choose a new or empty directory")


def check_replaceable(out: str | Path, what: str, *, force: bool | None = None,
                      flag: str = "--out") -> None:
    """Refuse, before any work, an ``out`` that the ``what`` (a key of :data:`MARKERS`) may not
    replace: a file, an unwritable place, a run, a non-empty directory without ``what``'s
    marker, or one holding a run anywhere inside. ``force``: None when the command replaces its
    own output freely; False when that needs ``--force`` (which was not given)."""
    path = Path(out)
    check_writable_out(path, inside=False, flag=flag)
    if not path.is_dir() or not any(path.iterdir()):
        return
    _refuse_a_run(path, flag, what)
    hint = "; --force replaces only a " + what if force is not None else ""
    if not (path / MARKERS[what]).is_file():
        raise ConfigError(f"{_label(path, flag)} is not empty and holds no nas-ops {what}; "
                          f"choose a new or empty directory{hint}")
    inner = _run_inside(path)
    if inner is not None:
        raise ConfigError(f"{_label(path, flag)} holds a nas-ops run in {str(inner)!r}, which "
                          f"is never replaced; move it out or choose a new directory")
    if force is False:
        raise ConfigError(f"{_label(path, flag)} already holds a {what}; pass --force to "
                          "replace it, or choose a new directory")


@contextmanager
def replacing(out: str | Path, what: str, *, flag: str = "--out") -> Iterator[Path]:
    """Yield an empty temporary directory to write the ``what`` into; when the block ends
    without error it holds ``what``'s marker and replaces ``out`` in one rename (checked again
    just before: only ``what``'s own output is ever replaced). On error nothing changes."""
    path = Path(out)
    with atomic_dir(path) as tmp:
        yield tmp
        (tmp / MARKERS[what]).write_text(f"nas-ops {what}\n")
        check_replaceable(path, what, flag=flag)


def check_writable_out(out: str | Path, *, inside: bool, flag: str = "--out") -> None:
    """Refuse, before any work, an ``--out`` directory nothing could be written to: a file, a
    path under a file, a read-only or special file system. ``inside``: the command writes into
    ``out`` itself (a run directory); otherwise it writes a sibling and renames it to ``out``.
    Leaves nothing behind (the probe is a temporary directory, removed at once)."""
    out = Path(out)
    name = _label(out, flag)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{name} is a file, not a directory")
    if not inside and os.path.ismount(out):
        raise ConfigError(f"{name} cannot be written: it is a mount point, which "
                          "cannot be replaced; choose a directory inside it")
    place = out.absolute() if inside else out.absolute().parent
    while not place.exists() and place != place.parent:
        place = place.parent
    if not place.is_dir():
        raise ConfigError(f"{name} cannot be created: {str(place)!r} is a file")
    try:
        with tempfile.TemporaryDirectory(dir=place, prefix=".nas-ops-probe-"):
            pass
    except OSError as exc:
        raise ConfigError(f"{name} cannot be written: {str(place)!r} is read-only "
                          f"(creating a directory there fails: {exc.strerror or exc})") from None
