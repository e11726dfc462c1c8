"""Builds the fixture ledgers ``tests/store/old_ledgers/schema-<v>/ledger.sqlite``: the same small
search (six individuals of two generations: four sampled, one child trained, one duplicate
child; one failed evaluation) written in the table layout, event format, run metadata and config
keys of each ledger schema version 1 to 7, as nas-ops wrote them then (``git log -S
SCHEMA_VERSION``). The layouts are written out here with sqlite3, not taken from
:mod:`nas_ops.store.schema`, so that they stay what the old versions wrote.

    PYTHONPATH=. python tests/store/old_ledgers/build.py

The files are committed; tests/store/test_old_ledgers.py reads them.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from nas_ops.config import RunConfig, SearchConfig
from nas_ops.genome import Genome, complexity, structural_hash, to_json
from nas_ops.genome.shapes import output_cost
from nas_ops.metrics.hypervolume import Tracker, reference_for
from nas_ops.rng import generator
from nas_ops.spaces import get_space
from nas_ops.tasks import InputSpec, OutputSpec

HERE = Path(__file__).parent
VERSIONS = range(1, 8)
SEED = 5
SIGNATURE = SimpleNamespace(
    name="mnist1d", inputs=(InputSpec("x", "signal", (1, 40)),),
    outputs=(OutputSpec("class", "classification", 10),
             OutputSpec("histogram", "regression", 32),
             OutputSpec("reconstruction", "generation", 40, source="x")))
OBJECTIVES = [("class", "accuracy"), ("histogram", "mse"), ("reconstruction", "recon_mse"),
              ("parameters", "parameters")]
WORST = [0.0, 1e6, 1e6, 1e12]

# schema 1: the tables of the first ledger
V1_TABLES = """
CREATE TABLE run (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE individuals (
    uid TEXT PRIMARY KEY, generation INTEGER NOT NULL, slot INTEGER NOT NULL,
    genome TEXT NOT NULL, hash TEXT NOT NULL, parents TEXT NOT NULL, operator TEXT,
    seed INTEGER NOT NULL);
CREATE TABLE variations (
    generation INTEGER NOT NULL, slot INTEGER NOT NULL, attempt INTEGER NOT NULL,
    operator TEXT NOT NULL, status TEXT NOT NULL, child TEXT, event TEXT NOT NULL,
    PRIMARY KEY (generation, slot, attempt));
CREATE TABLE evaluations (
    uid TEXT PRIMARY KEY, status TEXT NOT NULL, val TEXT NOT NULL, test TEXT NOT NULL,
    complexity TEXT NOT NULL, objectives TEXT NOT NULL, wall_time_s REAL NOT NULL,
    device TEXT NOT NULL, error TEXT NOT NULL, steps INTEGER NOT NULL,
    trained_networks TEXT NOT NULL, duplicate_of TEXT NOT NULL, seq INTEGER NOT NULL);
CREATE TABLE population (
    generation INTEGER NOT NULL, position INTEGER NOT NULL, uid TEXT NOT NULL,
    PRIMARY KEY (generation, position));
CREATE TABLE checkpoints (
    generation INTEGER PRIMARY KEY, evals_done INTEGER NOT NULL, rng TEXT NOT NULL,
    policy_state TEXT NOT NULL);
CREATE TABLE diagnoses (
    uid TEXT NOT NULL, network TEXT NOT NULL, output TEXT NOT NULL, metric TEXT NOT NULL,
    value REAL NOT NULL, PRIMARY KEY (uid, network, output, metric));
"""
# what each later version added to the layout
ADDED = {
    3: ["ALTER TABLE evaluations ADD COLUMN weights_sha256 TEXT NOT NULL DEFAULT ''"],
    4: ["CREATE TABLE hypervolume (seq INTEGER PRIMARY KEY, uid TEXT NOT NULL, "
        "evals_done INTEGER NOT NULL, steps_done INTEGER NOT NULL, value REAL NOT NULL)"],
    5: ["CREATE TABLE arrived (uid TEXT PRIMARY KEY, record TEXT NOT NULL)"],
    6: ["ALTER TABLE evaluations ADD COLUMN rung INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE evaluations ADD COLUMN fidelity REAL NOT NULL DEFAULT 1.0"],
    7: ["CREATE TABLE prefilter (generation INTEGER NOT NULL, slot INTEGER NOT NULL, "
        "uid TEXT NOT NULL, hash TEXT NOT NULL, proxy TEXT NOT NULL, scores TEXT NOT NULL, "
        "front INTEGER NOT NULL, kept INTEGER NOT NULL, PRIMARY KEY (generation, slot))"],
}
# config keys a run of each version did not record yet (section -> keys; None: no section)
_POLICY = ["explore", "unimportant", "scaling", "decay", "window"]
_STUDY = ["matched_controls", "base_patience", "base_eval_every", "base_max_epochs",
          "base_max_steps", "children_at_chance"]
_LATER: dict[str, list[str]] = {"task": ["sample_metric"], "search": ["hv_reference"],
                                "policy": ["guidelines", *_POLICY], "budget": ["total_steps"],
                                "study": _STUDY, "evaluation": [
                                    "sample_quality", "diagnose_capacity", "relevance_draws",
                                    "relevance_noise", "fuse", "max_group", "memory_budget"]}
NOT_YET: dict[int, dict[str, list[str] | None]] = {
    1: {**_LATER, "policy": _POLICY, "study": None,
        "evaluation": [*_LATER["evaluation"], "diagnose"]},
    2: dict(_LATER),
    3: {**_LATER, "evaluation": _LATER["evaluation"][:4]},
    4: {**_LATER, "search": [], "evaluation": _LATER["evaluation"][:4]},
    5: {"policy": ["guidelines", *_POLICY], "evaluation": ["diagnose_capacity"],
        "budget": ["total_steps"], "study": ["children_at_chance"]},
    6: {}, 7: {},
}


def config_record(version: int) -> dict[str, Any]:
    """The config as a run of ``version`` recorded it."""
    cfg = RunConfig(search=SearchConfig(population=4, offspring=2, generations=1), seed=SEED)
    data = cfg.to_dict()
    for section, keys in NOT_YET[version].items():
        if keys is None:
            del data[section]
        else:
            for key in keys:
                data[section].pop(key, None)
    return data


def genomes() -> dict[str, Genome]:
    space = get_space("multinet")
    sampled = {f"g000-{k}": space.sample(SIGNATURE, generator(SEED, "fixture", k))  # type: ignore[arg-type]
               for k in range(4)}
    child = space.sample(SIGNATURE, generator(SEED, "fixture", 10))  # type: ignore[arg-type]
    return {**sampled, "g001-0": child, "g001-1": sampled["g000-2"]}


def _values(k: int) -> dict[str, dict[str, float]]:
    return {"class": {"accuracy": 0.2 + 0.1 * k}, "histogram": {"mse": 0.04 - 0.005 * k},
            "reconstruction": {"recon_mse": 0.03 + 0.002 * k}}


def evaluations(gs: dict[str, Genome]) -> list[dict[str, Any]]:
    """The evaluation rows in the order the run settled them (without the later columns)."""
    rows = []
    for seq, (uid, k) in enumerate([("g000-0", 0), ("g000-1", 1), ("g000-2", 2), ("g000-3", 3),
                                    ("g001-0", 4), ("g001-1", 2)]):
        cx = complexity(gs[uid]).as_dict()
        status = "failed" if uid == "g000-3" else "duplicate" if uid == "g001-1" else "ok"
        val = {} if status == "failed" else _values(k)
        obj = WORST if status == "failed" else [
            *(v for out in val.values() for v in out.values()), float(cx["parameters"])]
        rows.append({"uid": uid, "status": status, "val": val, "test": val, "complexity": cx,
                     "objectives": obj, "wall_time_s": 0.0 if status == "duplicate" else 1.5,
                     "device": "cpu", "error": "RuntimeError: boom" if status == "failed" else "",
                     "steps": 0 if status == "duplicate" else 40 + k,
                     "trained_networks": [] if status == "duplicate" else gs[uid].network_ids,
                     "duplicate_of": "g000-2" if status == "duplicate" else "", "seq": seq,
                     "weights_sha256": f"{seq:064x}" if status == "ok" else ""})
    return rows


def event(version: int, gs: dict[str, Genome], parent: str, child: str | None) -> dict[str, Any]:
    """A variation event of ``version``'s format (``child`` None: not applicable)."""
    before = complexity(gs[parent]).as_dict()
    per_child = [] if child is None else [{
        "diff": {"nodes_added": [], "nodes_removed": [], "nodes_changed": ["n0"],
                 "edges_added": [], "edges_removed": [], "hyper_changed": []},
        "touched": ["n0"], "affected_outputs": ["class", "histogram"], "neutral": False,
        "complexity_before": before, "complexity_after": complexity(gs[child]).as_dict(),
        "output_complexity_before": output_cost(gs[parent]),
        "output_complexity_after": output_cost(gs[child])}]
    data = {"operator": "widen_layer", "version": 1, "parents": [parent],
            "children": [child] if child else [],
            "decisions": [{"name": "network", "value": "n0"}],
            "diff": per_child[0]["diff"] if child else {},
            "touched": ["n0"] if child else [],
            "affected_outputs": ["class", "histogram"] if child else [],
            "complexity_before": before,
            "complexity_after": [per_child[0]["complexity_after"]] if child else [],
            "status": "ok" if child else "not_applicable",
            "reason": "" if child else "no layer to widen", "neutral": False,
            "per_child": per_child, "inheritance": [{}] if child else [],
            "family": "layer", "direction": "grow"}
    if version < 2:
        del data["family"], data["direction"]
    if version < 5:
        for rec in per_child:
            del rec["output_complexity_before"], rec["output_complexity_after"]
    return data


def meta(version: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "config": config_record(version), "seed": SEED, "created": "2026-11-30T12:00:00+0000",
        "status": "finished",
        "versions": {"nas_ops": "0.1.0", "torch": "2.13.0+cpu", "numpy": "2.1.0",
                     "python": "3.11.7"}}
    if version >= 2:
        out["schema"] = version
    if version >= 3:
        out["components"] = {
            "operators": [{"name": "widen_layer", "distribution": "", "version": 1}],
            "task": {"name": "mnist1d", "distribution": ""},
            "space": {"name": "multinet", "distribution": ""}}
    if version >= 4:
        out["hv_reference"] = reference().to_dict()
    if version >= 5:  # written when a run finishes since late in schema 4
        out["steps_spent"] = sum(r["steps"] for r in evaluations(genomes()))
        out["stopped_by"] = "generations"
    return out


def reference() -> Any:
    return reference_for([n for n, _ in OBJECTIVES], [m for _, m in OBJECTIVES])


def write(version: int, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.execute("PRAGMA page_size = 1024")
    db.executescript(V1_TABLES)
    for v in range(2, version + 1):
        for statement in ADDED.get(v, []):
            db.execute(statement)
    gs = genomes()
    db.executemany("INSERT INTO run VALUES (?, ?)",
                   [(k, json.dumps(v)) for k, v in meta(version).items()])
    for uid, g in gs.items():
        gen, slot = int(uid[1:4]), int(uid[5:])
        parents, op = (["g000-0"], "widen_layer") if uid == "g001-0" else \
            (["g000-2"], "widen_layer") if uid == "g001-1" else ([], None)
        db.execute("INSERT INTO individuals VALUES (?,?,?,?,?,?,?,?)",
                   (uid, gen, slot, to_json(g), structural_hash(g), json.dumps(parents), op,
                    1000 + 10 * gen + slot))
    for g, s, a, parent, child in [(1, 0, 0, "g000-1", None), (1, 0, 1, "g000-0", "g001-0"),
                                   (1, 1, 0, "g000-2", "g001-1")]:
        ev = event(version, gs, parent, child)
        db.execute("INSERT INTO variations VALUES (?,?,?,?,?,?,?)",
                   (g, s, a, ev["operator"], ev["status"], child, json.dumps(ev, sort_keys=True)))
    _evaluations(db, version, gs)
    db.executemany("INSERT INTO population VALUES (?,?,?)",
                   [(0, i, f"g000-{i}") for i in range(4)]
                   + [(1, i, u) for i, u in enumerate(["g001-0", "g000-2", "g000-1", "g001-1"])])
    db.executemany("INSERT INTO checkpoints VALUES (?,?,?,?)",
                   [(g, 4 + 2 * g, json.dumps({"seed": SEED, "next_generation": g + 1}),
                     json.dumps({})) for g in (0, 1)])
    db.executemany("INSERT INTO diagnoses VALUES (?,?,?,?,?)",
                   [("g000-0", net, "class", "relevance", 0.5 + i)
                    for i, net in enumerate(gs["g000-0"].network_ids[:2])])
    if version >= 7:
        db.executemany("INSERT INTO prefilter VALUES (?,?,?,?,?,?,?,?)", [
            (1, 0, "g001-0", structural_hash(gs["g001-0"]), "synflow",
             json.dumps({"class": 3.5, "histogram": "inf"}), 0, 1),
            (1, 1, "g001-1", structural_hash(gs["g001-1"]), "synflow",
             json.dumps({"class": 1.25, "histogram": 2.0}), 1, 1)])
    db.commit()
    db.execute("VACUUM")
    db.close()


def _evaluations(db: sqlite3.Connection, version: int, gs: dict[str, Genome]) -> None:
    columns = ["uid", "status", "val", "test", "complexity", "objectives", "wall_time_s",
               "device", "error", "steps", "trained_networks", "duplicate_of", "seq"]
    if version >= 3:
        columns.append("weights_sha256")
    if version >= 6:
        columns += ["rung", "fidelity"]
    tracker = Tracker(reference())
    for row in evaluations(gs):
        row = {**row, "rung": 0, "fidelity": 1.0}
        db.execute(f"INSERT INTO evaluations ({', '.join(columns)}) "
                   f"VALUES ({', '.join('?' * len(columns))})",
                   [json.dumps(row[c]) if isinstance(row[c], dict | list) else row[c]
                    for c in columns])
        ok = row["status"] in ("ok", "duplicate")
        point = tracker.add(row["uid"], row["objectives"] if ok else None,
                            0 if row["status"] == "duplicate" else row["steps"])
        if version >= 4:
            db.execute("INSERT INTO hypervolume VALUES (?,?,?,?,?)", point.to_tuple())


if __name__ == "__main__":
    for v in VERSIONS:
        write(v, HERE / f"schema-{v}" / "ledger.sqlite")
        print(f"schema {v}: {(HERE / f'schema-{v}' / 'ledger.sqlite').stat().st_size} bytes")
