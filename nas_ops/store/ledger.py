"""The run ledger: one SQLite file (WAL) written by the coordinator only.

Every insert is idempotent (keyed by uid / natural keys), so a resumed run that replays its
history writes nothing twice. A lock file held with ``flock`` keeps a second writer out.

Table ``arrived`` is a working table: a successful result is kept there the moment it arrives
(if it took at least ``engine.search.KEEP_ARRIVED_S`` to compute), and moves to
``evaluations`` when the search takes it (in its deterministic order, at the end of its batch).
A run killed in the middle of a long batch resumes with those results instead of training them
again. It is empty whenever no batch is open, in ledgers of any schema.
"""

from __future__ import annotations

import dataclasses
import fcntl
import functools
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from nas_ops.errors import ConfigError, LedgerError, MachineError, RunLockedError
from nas_ops.fidelity import individual_of
from nas_ops.records import EvalRecord, HvPoint
from nas_ops.store.schema import (
    EVAL_COLUMNS,
    LEDGER_NAME,
    SCHEMA_VERSION,
    TABLES,
    DamagedRow,
    Individual,
    RunMeta,
    Variation,
    checkpoint_from_row,
    checkpoint_row,
    decode,
    evaluation_row,
    hv_point_from_row,
    individual_from_row,
    individual_row,
    meta_row,
    missing_columns,
    objectives_from_row,
    prefilter_from_row,
    record_from_row,
    required_tables,
    tables,
    variation_from_row,
    variation_row,
)
from nas_ops.variation.events import VariationEvent

__all__ = ["LEDGER_NAME", "SCHEMA_VERSION", "Ledger", "unreadable"]

_R = TypeVar("_R")


def _names_file(read: Callable[..., _R]) -> Callable[..., _R]:
    """A read whose row cannot be decoded raises one :class:`LedgerError` line naming the
    ledger file, the table, the row, the column and the individual."""
    @functools.wraps(read)
    def wrapper(self: Ledger, *args: Any, **kwargs: Any) -> _R:
        try:
            return read(self, *args, **kwargs)
        except DamagedRow as exc:
            raise damaged(self.path, str(exc)) from None
    return wrapper


def _writes(write: Callable[..., _R]) -> Callable[..., _R]:
    """A write that fails because the machine did (a full disk, an I/O error) raises
    :class:`MachineError` (the run stops, nothing is recorded as failed), not sqlite3's error."""
    @functools.wraps(write)
    def wrapper(self: Ledger, *args: Any, **kwargs: Any) -> _R:
        try:
            return write(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise self.machine_error(exc) or exc from None
    return wrapper


class Ledger:
    """Writer (``mode="w"``) or reader (``mode="r"``) of ``RUN_DIR/ledger.sqlite``."""

    def __init__(self, run_dir: str | Path, mode: str = "r") -> None:
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LEDGER_NAME
        self._lock_fd: int | None = None
        self._depth = 0  # open transaction() blocks
        self._held_since: float | None = None  # when the open SQLite transaction began
        self._evaluated: set[str] = set()  # uids with an evaluation row (writer: all of them)
        self._arrived: set[str] = set()  # uids with an arrived row (writer)
        self._individuals: set[str] | None = None  # uids with an individuals row (writer)
        if mode == "w":
            try:
                self.run_dir.mkdir(parents=True, exist_ok=True)
                self._lock()
            except OSError as exc:
                raise ConfigError(f"run directory {str(self.run_dir)!r} cannot be written: "
                                  f"{exc.strerror}") from None
        try:
            self._open(mode)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise self.machine_error(exc) or unreadable(self.path, exc) from None
        except LedgerError:
            self.close()
            raise

    def _open(self, mode: str) -> None:
        if mode == "w":
            existed = self.path.is_file() and self.path.stat().st_size > 0
            self.db = sqlite3.connect(self.path, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            if existed:
                self._check()
                self.verify()  # before anything is written to it
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            # commits append to the write-ahead log; folding it into the file (which syncs the
            # disk) every 10,000 pages (~40 MB) rather than SQLite's 1,000 keeps a table search
            # off the disk; a killed process loses nothing committed either way
            self.db.execute("PRAGMA wal_autocheckpoint=10000")
            self.db.executescript(TABLES)
            self._upgrade()
            self._reload_keys()
        else:
            self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
            self.db.row_factory = sqlite3.Row
            self._check()

    def _check(self) -> None:
        """Refuse a file that is not an intact nas-ops ledger (one line, not sqlite3's error):
        a damaged file, one without the tables its schema has, or one of a newer schema."""
        problem = self.db.execute("PRAGMA quick_check").fetchone()[0]
        if problem != "ok":
            raise sqlite3.DatabaseError(problem)
        have = tables(self.db)
        if "run" not in have:
            raise sqlite3.DatabaseError("it holds no nas-ops tables")
        schema = self._schema()
        if schema > SCHEMA_VERSION:
            raise LedgerError(f"{str(self.path)!r} has ledger schema {schema}, newer than this "
                              f"nas-ops reads (up to {SCHEMA_VERSION}); upgrade nas-ops to read "
                              "it, nothing was changed")
        for table in required_tables(schema):
            if table not in have:
                raise damaged(self.path, f"table {table} is missing (a schema-{schema} ledger "
                                         "has it)")

    @_names_file
    def _schema(self) -> int:
        """The schema the ledger was created with (meta ``schema``; absent = 1)."""
        row = self.db.execute("SELECT value FROM run WHERE key = 'schema'").fetchone()
        value = 1 if row is None else decode(row[0], "run", "key 'schema'", "value")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise DamagedRow("run", "key 'schema'", "value", None,
                             f"{value!r} is not a schema version")
        return value

    @_names_file
    def verify(self) -> None:
        """Decode every row of the ledger (a resumed run writes to no damaged ledger): the
        first one that cannot be decoded raises a :class:`LedgerError` naming it."""
        self.run_meta()
        self.individuals()
        self.variations()
        self.checkpoints()
        self.prefilter()
        if "arrived" in tables(self.db):
            for uid, record in self.db.execute("SELECT uid, record FROM arrived"):
                decode(record, "arrived", f"uid {uid!r}", "record", individual_of(uid))

    def _lock(self) -> None:
        fd = os.open(self.run_dir / "ledger.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RunLockedError(f"run directory {str(self.run_dir)!r} is open for writing by "
                                 "another process; wait for it to finish or stop it") from None
        self._lock_fd = fd

    def machine_error(self, exc: sqlite3.Error) -> MachineError | None:
        """The :class:`MachineError` of a failed write the machine caused (SQLite's FULL and
        IOERR codes), or None."""
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        if code not in (sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR):
            return None
        return MachineError(f"{exc} while writing {str(self.path)!r}")

    def _upgrade(self) -> None:
        """Add the columns a ledger of an older schema lacks (their defaults mean 'unknown')."""
        for table, name, kind in missing_columns(self.db):
            self.db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")

    def close(self) -> None:
        if hasattr(self, "db"):
            self.commit()  # the blocks held, if any, ended well
            self.db.close()
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writes
    @contextmanager
    def transaction(self, hold_s: float = 0.0) -> Iterator[None]:
        """Everything written inside commits at once (blocks nest: the outermost commits); an
        exception rolls it back. A kill -9 inside leaves the ledger as it was before the block.

        ``hold_s`` > 0 (an outermost block of a search whose results cost microseconds, a table
        lookup): a block that ends well may stay uncommitted, to commit with the blocks after it
        once ``hold_s`` seconds have passed since the first of them began, or at
        :meth:`commit` / :meth:`close`. A kill then loses whole blocks of the last ``hold_s``
        seconds, never part of one; an exception rolls back every held block with its own."""
        began = self._held_since
        if began is None:  # no SQLite transaction is open
            self._execute("BEGIN IMMEDIATE")
            began = self._held_since = time.monotonic()
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self._held_since = None
                self.db.execute("ROLLBACK")
                self._reload_keys()
            raise
        self._depth -= 1
        if self._depth == 0 and (hold_s <= 0 or time.monotonic() - began >= hold_s):
            self.commit()

    def commit(self) -> None:
        """Commit the blocks :meth:`transaction` holds (none: nothing to do)."""
        if self._held_since is not None and self._depth == 0:
            self._held_since = None
            self._execute("COMMIT")

    @_writes
    def _execute(self, sql: str) -> None:
        self.db.execute(sql)

    def _reload_keys(self) -> None:
        """The writer's record of which uids have an evaluation or an arrived row."""
        self._evaluated = {r[0] for r in self.db.execute("SELECT uid FROM evaluations")}
        self._arrived = {r[0] for r in self.db.execute("SELECT uid FROM arrived")}
        self._individuals = {r[0] for r in self.db.execute("SELECT uid FROM individuals")}

    @_writes
    def set_meta(self, key: str, value: Any) -> None:
        """Record the metadata value ``key`` (see :class:`~nas_ops.store.schema.RunMeta`)."""
        self.db.execute("INSERT OR REPLACE INTO run VALUES (?, ?)", meta_row(key, value))

    @_names_file
    def meta(self, key: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM run WHERE key = ?", (key,)).fetchone()
        return decode(row[0], "run", f"key {key!r}", "value") if row else default

    @_writes
    def add_individual(self, uid: str, generation: int, slot: int, genome_json: str, hash_: str,
                       parents: list[str], operator: str | None, seed: int) -> None:
        self.db.execute("INSERT OR IGNORE INTO individuals VALUES (?,?,?,?,?,?,?,?)",
                        individual_row(uid, generation, slot, genome_json, hash_, parents,
                                       operator, seed))
        if self._individuals is not None:
            self._individuals.add(uid)

    @_writes
    def add_variation(self, generation: int, slot: int, attempt: int,
                      event: VariationEvent | dict[str, Any], child: str | None) -> None:
        self.db.execute("INSERT OR IGNORE INTO variations VALUES (?,?,?,?,?,?,?)",
                        variation_row(generation, slot, attempt, event, child))

    @_writes
    def add_evaluation(self, record: EvalRecord, objectives: list[float],
                       hypervolume: HvPoint | None = None) -> None:
        """The evaluation, its diagnosis rows and the hypervolume after it, in one
        transaction."""
        with self.transaction():
            self._insert_evaluation(record, objectives)
            if record.uid in self._arrived:
                self.db.execute("DELETE FROM arrived WHERE uid = ?", (record.uid,))
                self._arrived.discard(record.uid)
            if record.diagnosis:
                self.db.executemany("INSERT OR REPLACE INTO diagnoses VALUES (?,?,?,?,?)",
                                    [(record.uid, *row) for row in record.diagnosis])
            if hypervolume is not None:
                self.add_hypervolume(hypervolume)

    def _insert_evaluation(self, record: EvalRecord, objectives: list[float]) -> None:
        if record.uid in self._evaluated:
            return  # kept as recorded (inserts are idempotent)
        seq = len(self._evaluated)
        self._evaluated.add(record.uid)
        self.db.execute(
            f"INSERT OR IGNORE INTO evaluations ({', '.join(EVAL_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(EVAL_COLUMNS))})",
            evaluation_row(record, objectives, seq))

    @_writes
    def keep_arrived(self, record: EvalRecord) -> None:
        """Keep a result that arrived before its batch ended (see the module docstring)."""
        self.db.execute("INSERT OR REPLACE INTO arrived VALUES (?, ?)",
                        (record.uid, record.to_json()))
        self._arrived.add(record.uid)

    @_writes
    def clear_arrived(self) -> None:
        """Drop kept results no batch took (a run that finished: e.g. children a changed plan
        no longer asks for)."""
        self.db.execute("DELETE FROM arrived")
        self._arrived.clear()

    @_writes
    def add_hypervolume(self, point: HvPoint) -> None:
        """The hypervolume after the evaluation ``point.seq`` (kept if already recorded)."""
        self.db.execute("INSERT OR IGNORE INTO hypervolume VALUES (?,?,?,?,?)", point.to_tuple())

    @_writes
    def set_population(self, generation: int, uids: list[str]) -> None:
        """The population after ``generation`` (replacing what an extended run had stored)."""
        with self.transaction():
            self.db.execute("DELETE FROM population WHERE generation = ?", (generation,))
            self.db.executemany("INSERT INTO population VALUES (?,?,?)",
                                [(generation, i, u) for i, u in enumerate(uids)])

    @_writes
    def add_checkpoint(self, generation: int, evals_done: int, rng: dict[str, Any],
                       policy_state: dict[str, Any]) -> None:
        self.db.execute("INSERT OR REPLACE INTO checkpoints VALUES (?,?,?,?)",
                        checkpoint_row(generation, evals_done, rng, policy_state))

    @_writes
    def add_prefilter(self, rows: list[tuple[int, int, str, str, str, str, int, int]]) -> None:
        """A generation's pre-filter decisions (every candidate scored), in one transaction."""
        with self.transaction():
            self.db.executemany("INSERT OR IGNORE INTO prefilter VALUES (?,?,?,?,?,?,?,?)", rows)

    def prefilter_rows(self, generation: int) -> list[sqlite3.Row]:
        """The recorded pre-filter decisions of ``generation`` in slot order ([] if none)."""
        return list(self.db.execute("SELECT * FROM prefilter WHERE generation = ? ORDER BY slot",
                                    (generation,)))

    @_writes
    def add_diagnoses(self, uid: str, rows: list[tuple[str, str, str, float]]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO diagnoses VALUES (?,?,?,?,?)",
                            [(uid, *row) for row in rows])

    # ------------------------------------------------------------------- reads
    @_names_file
    def evaluation(self, uid: str) -> EvalRecord | None:
        """The stored evaluation of ``uid`` with its diagnosis rows (None if there is none)."""
        if self._lock_fd is not None and uid not in self._evaluated:  # the writer knows
            return None
        row = self.db.execute("SELECT * FROM evaluations WHERE uid = ?", (uid,)).fetchone()
        if row is None:
            return None
        rows = [(r[0], r[1], r[2], float(r[3])) for r in self.db.execute(
            "SELECT network, output, metric, value FROM diagnoses WHERE uid = ? "
            "ORDER BY network, output, metric", (uid,))]
        return dataclasses.replace(record_from_row(row), diagnosis=rows)

    @_names_file
    def arrived(self, uid: str) -> EvalRecord | None:
        """The kept result of ``uid`` whose batch had not ended, if any."""
        if self._lock_fd is not None and uid not in self._arrived:  # the writer knows
            return None
        row = self.db.execute("SELECT record FROM arrived WHERE uid = ?", (uid,)).fetchone()
        return None if row is None else EvalRecord.from_dict(
            decode(row[0], "arrived", f"uid {uid!r}", "record", individual_of(uid)))

    def individual_genome(self, uid: str) -> str | None:
        """The stored genome JSON of ``uid`` (None if it has none; a writer knows without
        asking the file)."""
        if self._individuals is not None and uid not in self._individuals:
            return None
        row = self.db.execute("SELECT genome FROM individuals WHERE uid = ?", (uid,)).fetchone()
        return None if row is None else str(row[0])

    @_names_file
    def evaluations(self) -> dict[str, EvalRecord]:
        """Every stored evaluation by key, without diagnosis rows (a summary of a run that needs
        its results but not its genomes or events)."""
        return {r["uid"]: record_from_row(r) for r in self.db.execute("SELECT * FROM evaluations")}

    @_names_file
    def choices(self) -> list[tuple[str, Any]]:
        """(operator, the value of its first decision or None) of every variation attempt, in
        order: what a policy chose, without decoding whole events."""
        out = []
        for r in self.db.execute("SELECT operator, event, child, generation, slot, attempt "
                                 "FROM variations ORDER BY generation, slot, attempt"):
            where = f"generation {r['generation']}, slot {r['slot']}, attempt {r['attempt']}"
            decisions = decode(r["event"], "variations", where, "event", r["child"]).get(
                "decisions") or []
            out.append((r["operator"], decisions[0].get("value") if decisions else None))
        return out

    def count_evaluations(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0])

    # ----------------------------------------------------- a whole run, typed (load_run)
    @_names_file
    def run_meta(self) -> RunMeta:
        return RunMeta.from_rows(self.db.execute("SELECT key, value FROM run"))

    @_names_file
    def individuals(self) -> list[Individual]:
        """Every individual in creation order, with its evaluation and objectives; in a
        multi-fidelity run with its rung evaluations too (an individual stopped below the last
        rung gets the highest one it reached)."""
        evals = {r["uid"]: (record_from_row(r), objectives_from_row(r))
                 for r in self.db.execute("SELECT * FROM evaluations")}
        rungs: dict[str, list[tuple[EvalRecord, tuple[float, ...]]]] = {}
        for key, value in evals.items():
            if individual_of(key) != key:
                rungs.setdefault(individual_of(key), []).append(value)
        out = []
        for r in self.db.execute("SELECT * FROM individuals ORDER BY generation, slot, uid"):
            below = sorted(rungs.get(r["uid"], []), key=lambda v: v[0].rung)
            ev, obj = evals.get(r["uid"], below[-1] if below else (None, ()))
            out.append(individual_from_row(r, ev, obj, tuple(v[0] for v in below)))
        return out

    def settled(self) -> list[str]:
        """The evaluation keys in the order the run settled them."""
        return [r[0] for r in self.db.execute("SELECT uid FROM evaluations ORDER BY seq")]

    @_names_file
    def variations(self) -> list[Variation]:
        return [variation_from_row(r) for r in self.db.execute(
            "SELECT * FROM variations ORDER BY generation, slot, attempt")]

    def populations(self) -> dict[int, list[str]]:
        pops: dict[int, list[str]] = {}
        for r in self.db.execute("SELECT * FROM population ORDER BY generation, position"):
            pops.setdefault(r["generation"], []).append(r["uid"])
        return pops

    @_names_file
    def checkpoints(self) -> list[dict[str, Any]]:
        return [checkpoint_from_row(r)
                for r in self.db.execute("SELECT * FROM checkpoints ORDER BY generation")]

    def diagnoses(self) -> list[tuple[str, str, str, str, float]]:
        return [(r[0], r[1], r[2], r[3], r[4]) for r in self.db.execute("SELECT * FROM diagnoses")]

    def hypervolume(self) -> list[HvPoint] | None:
        """The recorded hypervolume curve; None when the ledger has no such table (schema
        < 4)."""
        if "hypervolume" not in tables(self.db):
            return None
        return [hv_point_from_row(r)
                for r in self.db.execute("SELECT * FROM hypervolume ORDER BY seq")]

    @_names_file
    def prefilter(self) -> list[dict[str, Any]]:
        """Every pre-filter decision by generation and slot ([] without the table: schema
        < 7)."""
        if "prefilter" not in tables(self.db):
            return []
        return [prefilter_from_row(r)
                for r in self.db.execute("SELECT * FROM prefilter ORDER BY generation, slot")]


def damaged(path: Path, what: str) -> LedgerError:
    """The one-line error for damage inside a readable ledger (``what``: where it is)."""
    return LedgerError(f"{str(path)!r} is damaged: {what}; restore the ledger from a copy or "
                       "start a new run")


def unreadable(path: Path, exc: Exception) -> LedgerError:
    """The one-line error for a ledger file SQLite cannot read."""
    return LedgerError(f"{str(path)!r} is not a readable nas-ops ledger (truncated, overwritten "
                       f"or not a ledger: {exc}); restore it or start a new run")
