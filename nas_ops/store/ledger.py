"""The run ledger: one SQLite file (WAL) written by the coordinator only.

Every insert is idempotent (keyed by uid / natural keys), so a resumed run that replays its
history writes nothing twice. A lock file held with ``flock`` keeps a second writer out.

Table ``arrived`` is a working table: a successful result is kept there the moment it arrives,
and moves to ``evaluations`` when the search takes it (in its deterministic order, at the end of
its batch). A run killed in the middle of a long batch resumes with those results instead of
training them again. It is empty whenever no batch is open, in ledgers of any schema.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from nas_ops.errors import ConfigError, LedgerError, RunLockedError
from nas_ops.evaluation.records import EvalRecord
from nas_ops.metrics.hypervolume import HvPoint

LEDGER_NAME = "ledger.sqlite"
_EVAL_COLUMNS = ("uid", "status", "val", "test", "complexity", "objectives", "wall_time_s",
                 "device", "error", "steps", "trained_networks", "duplicate_of", "seq",
                 "weights_sha256", "rung", "fidelity")
# meta "schema" of a new run; 2: events carry family and direction; 3: evaluations carry the
# sha256 of their weights file, and the run its components (operators, task, space); 4: the
# hypervolume after every evaluation (table `hypervolume`, meta `hv_reference`); 5: events' child
# records carry per-output complexity (`output_complexity_before` / `_after`); 6: evaluations
# carry `rung` and `fidelity`, one row per rung keyed `<uid>@r<k>` below the last (fidelity.py);
# 7: table `prefilter`, every candidate the proxy pre-filter scored and whether it was kept
SCHEMA_VERSION = 7

_SCHEMA = """
CREATE TABLE IF NOT EXISTS run (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS individuals (
    uid TEXT PRIMARY KEY, generation INTEGER NOT NULL, slot INTEGER NOT NULL,
    genome TEXT NOT NULL, hash TEXT NOT NULL, parents TEXT NOT NULL, operator TEXT,
    seed INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS variations (
    generation INTEGER NOT NULL, slot INTEGER NOT NULL, attempt INTEGER NOT NULL,
    operator TEXT NOT NULL, status TEXT NOT NULL, child TEXT, event TEXT NOT NULL,
    PRIMARY KEY (generation, slot, attempt));
CREATE TABLE IF NOT EXISTS evaluations (
    uid TEXT PRIMARY KEY, status TEXT NOT NULL, val TEXT NOT NULL, test TEXT NOT NULL,
    complexity TEXT NOT NULL, objectives TEXT NOT NULL, wall_time_s REAL NOT NULL,
    device TEXT NOT NULL, error TEXT NOT NULL, steps INTEGER NOT NULL,
    trained_networks TEXT NOT NULL, duplicate_of TEXT NOT NULL, seq INTEGER NOT NULL,
    weights_sha256 TEXT NOT NULL DEFAULT '', rung INTEGER NOT NULL DEFAULT 0,
    fidelity REAL NOT NULL DEFAULT 1.0);
CREATE TABLE IF NOT EXISTS population (
    generation INTEGER NOT NULL, position INTEGER NOT NULL, uid TEXT NOT NULL,
    PRIMARY KEY (generation, position));
CREATE TABLE IF NOT EXISTS checkpoints (
    generation INTEGER PRIMARY KEY, evals_done INTEGER NOT NULL, rng TEXT NOT NULL,
    policy_state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS diagnoses (
    uid TEXT NOT NULL, network TEXT NOT NULL, output TEXT NOT NULL, metric TEXT NOT NULL,
    value REAL NOT NULL, PRIMARY KEY (uid, network, output, metric));
CREATE TABLE IF NOT EXISTS hypervolume (
    seq INTEGER PRIMARY KEY, uid TEXT NOT NULL, evals_done INTEGER NOT NULL,
    steps_done INTEGER NOT NULL, value REAL NOT NULL);
CREATE TABLE IF NOT EXISTS arrived (uid TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS prefilter (
    generation INTEGER NOT NULL, slot INTEGER NOT NULL, uid TEXT NOT NULL, hash TEXT NOT NULL,
    proxy TEXT NOT NULL, scores TEXT NOT NULL, front INTEGER NOT NULL, kept INTEGER NOT NULL,
    PRIMARY KEY (generation, slot));
"""


class Ledger:
    """Writer (``mode="w"``) or reader (``mode="r"``) of ``RUN_DIR/ledger.sqlite``."""

    def __init__(self, run_dir: str | Path, mode: str = "r") -> None:
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LEDGER_NAME
        self._lock_fd: int | None = None
        self._depth = 0  # open transaction() blocks
        self._evaluated: set[str] = set()  # uids with an evaluation row (writer: all of them)
        self._arrived: set[str] = set()  # uids with an arrived row (writer)
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
            raise unreadable(self.path, exc) from None

    def _open(self, mode: str) -> None:
        if mode == "w":
            existed = self.path.is_file() and self.path.stat().st_size > 0
            self.db = sqlite3.connect(self.path, isolation_level=None)
            if existed:
                self._check()
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(_SCHEMA)
            self._upgrade()
            self._evaluated = {r[0] for r in self.db.execute("SELECT uid FROM evaluations")}
            self._arrived = {r[0] for r in self.db.execute("SELECT uid FROM arrived")}
        else:
            self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
            self._check()
        self.db.row_factory = sqlite3.Row

    def _check(self) -> None:
        """Refuse a file that is not an intact nas-ops ledger (one line, not sqlite3's error)."""
        problem = self.db.execute("PRAGMA quick_check").fetchone()[0]
        if problem != "ok":
            raise sqlite3.DatabaseError(problem)
        tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master")}
        if "run" not in tables:
            raise sqlite3.DatabaseError("it holds no nas-ops tables")

    def _lock(self) -> None:
        fd = os.open(self.run_dir / "ledger.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RunLockedError(f"run directory {str(self.run_dir)!r} is open for writing by "
                                 "another process; wait for it to finish or stop it") from None
        self._lock_fd = fd

    def _upgrade(self) -> None:
        """Add the columns a ledger of an older schema lacks (their defaults mean 'unknown')."""
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(evaluations)")}
        added = {"weights_sha256": "TEXT NOT NULL DEFAULT ''",
                 "rung": "INTEGER NOT NULL DEFAULT 0", "fidelity": "REAL NOT NULL DEFAULT 1.0"}
        for name, kind in added.items():
            if name not in columns:
                self.db.execute(f"ALTER TABLE evaluations ADD COLUMN {name} {kind}")

    def close(self) -> None:
        if hasattr(self, "db"):
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
    def transaction(self) -> Iterator[None]:
        """Everything written inside commits at once (blocks nest: the outermost commits); an
        exception rolls it back. A kill -9 inside leaves the ledger as it was before the block."""
        if self._depth == 0:
            self.db.execute("BEGIN IMMEDIATE")
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self.db.execute("ROLLBACK")
                self._reload_keys()
            raise
        self._depth -= 1
        if self._depth == 0:
            self.db.execute("COMMIT")

    def _reload_keys(self) -> None:
        self._evaluated = {r[0] for r in self.db.execute("SELECT uid FROM evaluations")}
        self._arrived = {r[0] for r in self.db.execute("SELECT uid FROM arrived")}

    def set_meta(self, key: str, value: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO run VALUES (?, ?)", (key, json.dumps(value)))

    def meta(self, key: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM run WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def add_individual(self, uid: str, generation: int, slot: int, genome_json: str, hash_: str,
                       parents: list[str], operator: str | None, seed: int) -> None:
        self.db.execute("INSERT OR IGNORE INTO individuals VALUES (?,?,?,?,?,?,?,?)",
                        (uid, generation, slot, genome_json, hash_, json.dumps(parents), operator,
                         seed))

    def add_variation(self, generation: int, slot: int, attempt: int, event: dict[str, Any],
                      child: str | None) -> None:
        self.db.execute("INSERT OR IGNORE INTO variations VALUES (?,?,?,?,?,?,?)",
                        (generation, slot, attempt, event["operator"], event["status"], child,
                         json.dumps(event, sort_keys=True)))

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
            f"INSERT OR IGNORE INTO evaluations ({', '.join(_EVAL_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(_EVAL_COLUMNS))})",
            (record.uid, record.status, json.dumps(record.val, sort_keys=True),
             json.dumps(record.test, sort_keys=True), json.dumps(record.complexity, sort_keys=True),
             json.dumps(objectives), record.wall_time_s, record.device, record.error,
             record.steps, json.dumps(record.trained_networks), record.duplicate_of, seq,
             record.weights_sha256, record.rung, record.fidelity))

    def keep_arrived(self, record: EvalRecord) -> None:
        """Keep a result that arrived before its batch ended (see the module docstring)."""
        self.db.execute("INSERT OR REPLACE INTO arrived VALUES (?, ?)",
                        (record.uid, json.dumps(record.to_dict(), sort_keys=True)))
        self._arrived.add(record.uid)

    def clear_arrived(self) -> None:
        """Drop kept results no batch took (a run that finished: e.g. children a changed plan
        no longer asks for)."""
        self.db.execute("DELETE FROM arrived")
        self._arrived.clear()

    def add_hypervolume(self, point: HvPoint) -> None:
        """The hypervolume after the evaluation ``point.seq`` (kept if already recorded)."""
        self.db.execute("INSERT OR IGNORE INTO hypervolume VALUES (?,?,?,?,?)", point.to_tuple())

    def set_population(self, generation: int, uids: list[str]) -> None:
        """The population after ``generation`` (replacing what an extended run had stored)."""
        with self.transaction():
            self.db.execute("DELETE FROM population WHERE generation = ?", (generation,))
            self.db.executemany("INSERT INTO population VALUES (?,?,?)",
                                [(generation, i, u) for i, u in enumerate(uids)])

    def add_checkpoint(self, generation: int, evals_done: int, rng: dict[str, Any],
                       policy_state: dict[str, Any]) -> None:
        self.db.execute("INSERT OR REPLACE INTO checkpoints VALUES (?,?,?,?)",
                        (generation, evals_done, json.dumps(rng), json.dumps(policy_state)))

    def add_prefilter(self, rows: list[tuple[int, int, str, str, str, str, int, int]]) -> None:
        """A generation's pre-filter decisions (every candidate scored), in one transaction."""
        with self.transaction():
            self.db.executemany("INSERT OR IGNORE INTO prefilter VALUES (?,?,?,?,?,?,?,?)", rows)

    def prefilter_rows(self, generation: int) -> list[sqlite3.Row]:
        """The recorded pre-filter decisions of ``generation`` in slot order ([] if none)."""
        return list(self.db.execute("SELECT * FROM prefilter WHERE generation = ? ORDER BY slot",
                                    (generation,)))

    def add_diagnoses(self, uid: str, rows: list[tuple[str, str, str, float]]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO diagnoses VALUES (?,?,?,?,?)",
                            [(uid, *row) for row in rows])

    # ------------------------------------------------------------------- reads
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
        return dataclasses.replace(row_to_record(row), diagnosis=rows)

    def arrived(self, uid: str) -> EvalRecord | None:
        """The kept result of ``uid`` whose batch had not ended, if any."""
        if self._lock_fd is not None and uid not in self._arrived:  # the writer knows
            return None
        row = self.db.execute("SELECT record FROM arrived WHERE uid = ?", (uid,)).fetchone()
        return None if row is None else EvalRecord.from_dict(json.loads(row[0]))

    def individual_genome(self, uid: str) -> str | None:
        row = self.db.execute("SELECT genome FROM individuals WHERE uid = ?", (uid,)).fetchone()
        return None if row is None else str(row[0])

    def count_evaluations(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0])


def unreadable(path: Path, exc: Exception) -> LedgerError:
    """The one-line error for a ledger file SQLite cannot read."""
    return LedgerError(f"{str(path)!r} is not a readable nas-ops ledger (truncated, overwritten "
                       f"or not a ledger: {exc}); restore it or start a new run")


def row_to_record(row: sqlite3.Row) -> EvalRecord:
    return EvalRecord(uid=row["uid"], status=row["status"], val=json.loads(row["val"]),
                      test=json.loads(row["test"]), complexity=json.loads(row["complexity"]),
                      wall_time_s=row["wall_time_s"], device=row["device"], error=row["error"],
                      steps=row["steps"], trained_networks=json.loads(row["trained_networks"]),
                      duplicate_of=row["duplicate_of"],
                      weights_sha256=_column(row, "weights_sha256", ""),
                      rung=_column(row, "rung", 0), fidelity=_column(row, "fidelity", 1.0))


def _column(row: sqlite3.Row, name: str, default: Any) -> Any:
    """``row[name]``, or ``default`` for a column an older ledger does not have."""
    return row[name] if name in row.keys() else default  # noqa: SIM118 - `in row` tests values
