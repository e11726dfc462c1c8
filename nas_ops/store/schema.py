"""The ledger's schema, in one place: its tables, its version and what each version added, the
codecs between rows and typed records, the run's metadata (:class:`RunMeta`), and how a ledger of
an older schema is read (what it lacks and what stands in for it).

The writer (:class:`~nas_ops.store.ledger.Ledger`) creates the tables and encodes rows here; the
reader (:func:`~nas_ops.store.run.load_run`) decodes them here. docs/ledger.md describes every
table and column.

Old schemas. A ledger keeps the schema it was created with (meta ``schema``; absent = 1), also
when it is resumed. Opened for writing it gets the tables (:data:`TABLES`) and the columns
(:data:`ADDED_COLUMNS`) it lacks, both empty or at their "unknown" default. Read as it is:

- schema < 2: variation events have no ``family``/``direction`` (``"unknown"``, see
  :meth:`~nas_ops.variation.VariationEvent.from_dict`);
- schema < 3: evaluations have no ``weights_sha256`` (``""``) and the run no ``components``;
- schema < 4: no ``hypervolume`` table and no ``hv_reference``: the curve is recomputed from the
  evaluations against the default reference of the run's objectives (:func:`filled_curve`);
- schema < 5: child records have no per-output complexity (the analysis computes it);
- schema < 6: evaluations have no ``rung``/``fidelity`` (0 and 1.0: every run was single-fidelity);
- schema < 7: no ``prefilter`` table (no candidate was pre-filtered).

Metadata that appeared inside a schema version (``bases``, ``applicability``, ``steps_spent``,
``stopped_by``, ``guidelines``) is simply absent from runs recorded before it: see each field of
:class:`RunMeta`. A config recorded before a config key existed takes that key's default
(:func:`~nas_ops.config.config_from_record`).
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nas_ops.config import RunConfig, config_from_record
from nas_ops.errors import ConfigError, GenomeError, LedgerError
from nas_ops.fidelity import individual_of
from nas_ops.genome import Genome, from_json
from nas_ops.metrics.hypervolume import Reference, curve, reference_for
from nas_ops.records import EvalRecord, HvPoint
from nas_ops.variation.events import VariationEvent

LEDGER_NAME = "ledger.sqlite"
SCHEMA_VERSION = 7

#: what each schema version added (meta ``schema`` of a run created by that version)
HISTORY: dict[int, str] = {
    1: "tables run, individuals, variations, evaluations, population, checkpoints, diagnoses",
    2: "meta schema; variation events carry family and direction",
    3: "evaluations.weights_sha256 (sha256 of the weights file); meta components",
    4: "table hypervolume (the hypervolume after every evaluation); meta hv_reference",
    5: "child records of variation events carry output_complexity_before / _after",
    6: "evaluations.rung and .fidelity; one row per rung, keyed <uid>@r<k> below the last",
    7: "table prefilter (every candidate the proxy pre-filter scored)",
}

TABLES = """
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

#: columns added to a table since schema 1: name -> (definition, value of an older row)
ADDED_COLUMNS: dict[str, dict[str, tuple[str, Any]]] = {
    "evaluations": {"weights_sha256": ("TEXT NOT NULL DEFAULT ''", ""),
                    "rung": ("INTEGER NOT NULL DEFAULT 0", 0),
                    "fidelity": ("REAL NOT NULL DEFAULT 1.0", 1.0)},
}

EVAL_COLUMNS = ("uid", "status", "val", "test", "complexity", "objectives", "wall_time_s",
                "device", "error", "steps", "trained_networks", "duplicate_of", "seq",
                "weights_sha256", "rung", "fidelity")


#: the tables a ledger of each schema must hold (``arrived``, a working table that is empty
#: whenever no batch is open, is created when missing); a missing one is damage
REQUIRED_TABLES: dict[int, tuple[str, ...]] = {
    1: ("run", "individuals", "variations", "evaluations", "population", "checkpoints",
        "diagnoses"),
    4: ("hypervolume",),
    7: ("prefilter",),
}


def required_tables(schema: int) -> list[str]:
    """The tables a ledger of ``schema`` holds since it was created (see :data:`HISTORY`)."""
    return [t for since, names in REQUIRED_TABLES.items() if since <= schema for t in names]


class DamagedRow(LedgerError):
    """A row of a readable ledger whose content cannot be decoded: its message names the table,
    the row, the column and the individual; :class:`~nas_ops.store.ledger.Ledger` adds the file."""

    def __init__(self, table: str, row: str, column: str, individual: str | None,
                 problem: str) -> None:
        whose = f" (individual {individual})" if individual else ""
        super().__init__(f"table {table}, row {row}{whose}, column {column}: {problem}")


def decode(text: Any, table: str, row: str, column: str, individual: str | None = None) -> Any:
    """``json.loads(text)``, or a :class:`DamagedRow` naming where the broken JSON is."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        problem = f"broken JSON ({exc.msg}, character {exc.pos})"
    except RecursionError:
        problem = "JSON nested too deeply"
    except TypeError:
        problem = f"holds {type(text).__name__}, not JSON text"
    raise DamagedRow(table, row, column, individual, problem)


def _uid_row(uid: str) -> str:
    return f"uid {uid!r}"


def missing_columns(db: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """``(table, column, definition)`` of every column an older ledger lacks."""
    out: list[tuple[str, str, str]] = []
    for table, added in ADDED_COLUMNS.items():
        have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        out.extend((table, name, kind) for name, (kind, _) in added.items() if name not in have)
    return out


def tables(db: sqlite3.Connection) -> set[str]:
    """The tables a ledger holds (an older one lacks some of :data:`TABLES`)."""
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


# ------------------------------------------------------------------------------- run metadata
@dataclass(frozen=True)
class RunMeta:
    """The ``run`` table: what a run recorded about itself, typed. Each field names the schema
    that added it and what a run recorded without it reads as."""

    #: the whole validated config (schema 1); None only when a run recorded none
    config: RunConfig | None = None
    #: the run's seed (schema 1; absent: the config's)
    seed: int = 0
    #: when the run started, ``%Y-%m-%dT%H:%M:%S%z`` (schema 1)
    created: str = ""
    #: ``running`` or ``finished`` (schema 1; ``unknown`` when absent)
    status: str = "unknown"
    #: nas_ops, torch, numpy and python versions of the run's start (schema 1)
    versions: dict[str, str] = field(default_factory=dict)
    #: ``search`` or ``study`` (a search records none)
    kind: str = "search"
    #: the ledger schema the run was created with (absent: 1)
    schema: int = 1
    #: operators (name, version, distribution), task and space the run started with (schema
    #: 3); None: it resumes with the operators registered now
    components: dict[str, Any] | None = None
    #: studies (schema 3 on): each base's ``converged``, ``steps`` and ``chance_level``
    bases: dict[str, Any] | None = None
    #: studies (schema 3 on): the edit children per base and operator
    applicability: dict[str, Any] | None = None
    #: the hypervolume reference point (schema 4); None: the run predates it
    hv_reference: Reference | None = None
    #: optimizer steps of all evaluations, written when the run finishes (schema 4 on; None:
    #: not finished, or finished before it existed)
    steps_spent: int | None = None
    #: what ended the run: ``total_steps``, ``max_evals``, ``generations`` or ``plan`` (schema
    #: 4 on; ``""``: not finished, or finished before it existed)
    stopped_by: str = ""
    #: ``guided`` runs (schema 5 on): ``{path, sha256, rules}``, the rules the run uses
    guidelines: dict[str, Any] | None = None
    #: keys this version does not know, as recorded
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> RunMeta:
        """Decode the ``run`` table's JSON values (key -> value)."""
        known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        kw: dict[str, Any] = {k: v for k, v in values.items() if k in known and v is not None}
        if "config" in kw:
            try:
                kw["config"] = config_from_record(kw["config"])
            except ConfigError as exc:
                raise ConfigError(f"the run's recorded config cannot be read: {exc}") from None
        if "hv_reference" in kw:
            kw["hv_reference"] = Reference.from_dict(kw["hv_reference"])
        if "seed" not in kw and kw.get("config") is not None:
            kw["seed"] = kw["config"].seed
        for key, kind in (("seed", int), ("schema", int), ("steps_spent", int)):
            if key in kw:
                kw[key] = kind(kw[key])
        extra = {k: v for k, v in values.items() if k not in known}
        return cls(**kw, extra=extra)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str]]) -> RunMeta:
        """Decode the rows ``(key, JSON value)`` of the ``run`` table."""
        return cls.from_values({key: decode(value, "run", f"key {key!r}", "value")
                                for key, value in rows})


def meta_row(key: str, value: Any) -> tuple[str, str]:
    """The ``run`` row of one metadata value (a config or a reference as its plain data)."""
    if isinstance(value, RunConfig | Reference):
        value = value.to_dict()
    return key, json.dumps(value)


# ------------------------------------------------------------------------------ row records
@dataclass(frozen=True)
class Individual:
    """One genome of a run and its evaluation.

    ``objectives`` are the values the search ranked it by, in the order of
    :meth:`~nas_ops.store.Run.objectives`: each task output's primary validation metric in task
    output order, then the complexity objective (``search.complexity_objective``, parameters by
    default; absent when it is ``"none"``). They are stored as measured, never negated: accuracy
    (higher is better) sits next to ``mse`` / ``recon_mse`` and the parameter count (lower is
    better); :attr:`~nas_ops.store.Objective.higher_is_better` says which. A failed evaluation,
    or a metric that is not finite, stores the worst value: 0.0 for accuracy, 1e6 for an error
    metric, 1e12 for complexity. A duplicate (``evaluation.duplicate_of``) repeats its
    original's values.
    """

    uid: str
    generation: int
    slot: int
    genome: Genome
    hash: str
    parents: tuple[str, ...]
    operator: str | None
    seed: int
    evaluation: EvalRecord | None
    objectives: tuple[float, ...] = ()
    #: multi-fidelity runs: its evaluations below the last rung (keys ``<uid>@r<k>``), in rung
    #: order; ``evaluation`` is its last-rung one, or the highest rung it reached when it was
    #: stopped (docs/fidelity.md). Empty in single-fidelity runs.
    rungs: tuple[EvalRecord, ...] = ()


@dataclass(frozen=True)
class Variation:
    generation: int
    slot: int
    attempt: int
    operator: str
    status: str
    child: str | None
    event: VariationEvent


def individual_row(uid: str, generation: int, slot: int, genome_json: str, hash_: str,
                   parents: Sequence[str], operator: str | None, seed: int) -> tuple[Any, ...]:
    return (uid, generation, slot, genome_json, hash_, json.dumps(list(parents)), operator, seed)


def individual_from_row(row: sqlite3.Row, evaluation: EvalRecord | None,
                        objectives: tuple[float, ...],
                        rungs: tuple[EvalRecord, ...]) -> Individual:
    uid = row["uid"]
    return Individual(uid=uid, generation=row["generation"], slot=row["slot"],
                      genome=genome_from_row(uid, row["genome"]), hash=row["hash"],
                      parents=tuple(decode(row["parents"], "individuals", _uid_row(uid),
                                           "parents", uid)),
                      operator=row["operator"], seed=row["seed"], evaluation=evaluation,
                      objectives=objectives, rungs=rungs)


def genome_from_row(uid: str, text: str) -> Genome:
    """The genome of the ``individuals`` row of ``uid``; one that does not parse is damage."""
    try:
        return from_json(text)
    except GenomeError as exc:
        raise DamagedRow("individuals", _uid_row(uid), "genome", uid,
                         f"not a readable genome ({exc})") from None


def variation_row(generation: int, slot: int, attempt: int,
                  event: VariationEvent | Mapping[str, Any], child: str | None) -> tuple[Any, ...]:
    """``event`` is a :class:`VariationEvent` or its JSON form as plain data (a hand-made or
    older event)."""
    if isinstance(event, Mapping):
        return (generation, slot, attempt, event["operator"], event["status"], child,
                json.dumps(event, sort_keys=True))
    return (generation, slot, attempt, event.operator, event.status, child, event.to_json())


def variation_from_row(row: sqlite3.Row) -> Variation:
    where = f"generation {row['generation']}, slot {row['slot']}, attempt {row['attempt']}"
    event = VariationEvent.from_dict(decode(row["event"], "variations", where, "event",
                                            row["child"]))
    return Variation(row["generation"], row["slot"], row["attempt"], row["operator"],
                     row["status"], row["child"], event)


def evaluation_row(record: EvalRecord, objectives: Sequence[float], seq: int) -> tuple[Any, ...]:
    """The ``evaluations`` row of ``record``, in the order of :data:`EVAL_COLUMNS`."""
    return (record.uid, record.status, json.dumps(record.val, sort_keys=True),
            json.dumps(record.test, sort_keys=True), json.dumps(record.complexity, sort_keys=True),
            json.dumps(list(objectives)), record.wall_time_s, record.device, record.error,
            record.steps, json.dumps(record.trained_networks), record.duplicate_of, seq,
            record.weights_sha256, record.rung, record.fidelity)


def record_from_row(row: sqlite3.Row) -> EvalRecord:
    """The evaluation of an ``evaluations`` row (without its diagnosis rows); a column an older
    ledger lacks takes the value :data:`ADDED_COLUMNS` gives older rows."""
    have = set(row.keys())
    added = {name: row[name] if name in have else old
             for name, (_, old) in ADDED_COLUMNS["evaluations"].items()}
    val, test, complexity, trained = (_eval_json(row, c) for c in (
        "val", "test", "complexity", "trained_networks"))
    return EvalRecord(uid=row["uid"], status=row["status"], val=val, test=test,
                      complexity=complexity, wall_time_s=row["wall_time_s"],
                      device=row["device"], error=row["error"], steps=row["steps"],
                      trained_networks=trained, duplicate_of=row["duplicate_of"], **added)


def _eval_json(row: sqlite3.Row, column: str) -> Any:
    key = row["uid"]
    return decode(row[column], "evaluations", _uid_row(key), column, individual_of(key))


def objectives_from_row(row: sqlite3.Row) -> tuple[float, ...]:
    return tuple(_eval_json(row, "objectives"))


def checkpoint_row(generation: int, evals_done: int, rng: Mapping[str, Any],
                   policy_state: Mapping[str, Any]) -> tuple[Any, ...]:
    return (generation, evals_done, json.dumps(rng), json.dumps(policy_state))


def checkpoint_from_row(row: sqlite3.Row) -> dict[str, Any]:
    where = f"generation {row['generation']}"
    return {"generation": row["generation"], "evals_done": row["evals_done"],
            "rng": decode(row["rng"], "checkpoints", where, "rng"),
            "policy_state": decode(row["policy_state"], "checkpoints", where, "policy_state")}


def hv_point_from_row(row: sqlite3.Row) -> HvPoint:
    return HvPoint(row["seq"], row["uid"], row["evals_done"], row["steps_done"], row["value"])


def prefilter_from_row(row: sqlite3.Row) -> dict[str, Any]:
    """A ``prefilter`` row: its columns, ``scores`` as {output: float}, ``kept`` as a bool."""
    scores = decode(row["scores"], "prefilter",
                    f"generation {row['generation']}, slot {row['slot']}", "scores", row["uid"])
    return {**dict(row), "scores": {k: float(v) for k, v in scores.items()},
            "kept": bool(row["kept"])}


def reference_of(meta: RunMeta, objectives: Sequence[tuple[str, str]]) -> Reference:
    """The hypervolume reference point a run recorded when it started; for a ledger older than
    schema 4, the default one of its ``objectives`` ``(name, metric)``."""
    if meta.hv_reference is not None:
        return meta.hv_reference
    return reference_for([name for name, _ in objectives], [metric for _, metric in objectives])


def filled_curve(recorded: list[HvPoint] | None, reference: Reference, order: Sequence[str],
                 individuals: Mapping[str, Individual]) -> list[HvPoint]:
    """A run's hypervolume curve: the recorded one, or for a ledger older than schema 4 (not
    resumed since, so its table is missing or shorter than ``order``, the evaluation keys in
    the order the run settled them) the curve recomputed from its individuals' evaluations.
    Objectives of another length than the reference's count as failed."""
    if recorded is not None and len(recorded) >= len(order):
        return recorded
    return curve(reference, [
        (uid, ev.status if len(ind.objectives) == len(reference.point) else "failed",
         ind.objectives, ev.steps)
        for uid in order if (ind := individuals.get(uid)) is not None
        and (ev := ind.evaluation) is not None])
