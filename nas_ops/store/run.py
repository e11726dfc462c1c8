"""Reading a run back as typed records: ``nas_ops.load_run(RUN_DIR)``.

Variation events come back as :class:`~nas_ops.variation.VariationEvent`; events of ledgers
written before schema 2 (no ``family``/``direction``) load with both ``"unknown"``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nas_ops.errors import ConfigError
from nas_ops.evaluation.records import EvalRecord
from nas_ops.genome import Genome, from_json, to_json
from nas_ops.store.ledger import LEDGER_NAME, Ledger, row_to_record
from nas_ops.variation.events import VariationEvent


@dataclass(frozen=True)
class Individual:
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


@dataclass(frozen=True)
class Variation:
    generation: int
    slot: int
    attempt: int
    operator: str
    status: str
    child: str | None
    event: VariationEvent


@dataclass
class Run:
    """Everything a run recorded. ``individuals`` are in creation order."""

    run_dir: Path
    meta: dict[str, Any]
    individuals: list[Individual]
    variations: list[Variation]
    populations: dict[int, list[str]]
    checkpoints: list[dict[str, Any]]
    diagnoses: list[tuple[str, str, str, str, float]] = field(default_factory=list)

    @property
    def config(self) -> dict[str, Any]:
        return dict(self.meta.get("config", {}))

    def by_uid(self) -> dict[str, Individual]:
        return {i.uid: i for i in self.individuals}

    def evaluated(self) -> list[Individual]:
        return [i for i in self.individuals if i.evaluation is not None]


def load_run(run_dir: str | Path) -> Run:
    """Read ``RUN_DIR/ledger.sqlite`` (read-only; safe while a search is writing)."""
    path = Path(run_dir)
    if not (path / LEDGER_NAME).is_file():
        raise ConfigError(f"{str(path)!r} is not a run directory (no {LEDGER_NAME})")
    ledger = Ledger(path, "r")
    try:
        db = ledger.db
        meta = {r["key"]: json.loads(r["value"]) for r in db.execute("SELECT * FROM run")}
        evals = {r["uid"]: (row_to_record(r), tuple(json.loads(r["objectives"])))
                 for r in db.execute("SELECT * FROM evaluations")}
        individuals = []
        for r in db.execute("SELECT * FROM individuals ORDER BY generation, slot, uid"):
            ev, obj = evals.get(r["uid"], (None, ()))
            individuals.append(Individual(
                uid=r["uid"], generation=r["generation"], slot=r["slot"],
                genome=from_json(r["genome"]), hash=r["hash"],
                parents=tuple(json.loads(r["parents"])), operator=r["operator"], seed=r["seed"],
                evaluation=ev, objectives=obj))
        variations = [Variation(r["generation"], r["slot"], r["attempt"], r["operator"],
                                r["status"], r["child"],
                                VariationEvent.from_dict(json.loads(r["event"])))
                      for r in db.execute("SELECT * FROM variations "
                                          "ORDER BY generation, slot, attempt")]
        pops: dict[int, list[str]] = {}
        for r in db.execute("SELECT * FROM population ORDER BY generation, position"):
            pops.setdefault(r["generation"], []).append(r["uid"])
        checkpoints = [{"generation": r["generation"], "evals_done": r["evals_done"],
                        "rng": json.loads(r["rng"]), "policy_state": json.loads(r["policy_state"])}
                       for r in db.execute("SELECT * FROM checkpoints ORDER BY generation")]
        diagnoses = [tuple(r) for r in db.execute("SELECT * FROM diagnoses")]
    finally:
        ledger.close()
    return Run(path, meta, individuals, variations, pops, checkpoints, diagnoses)  # type: ignore[arg-type]


def run_contents(run_dir: str | Path) -> dict[str, Any]:
    """A run's recorded contents without timings, order of completion or device: two runs of the
    same config and seed on CPU have equal contents whatever the number of workers."""
    run = load_run(run_dir)
    individuals = {i.uid: {"genome": to_json(i.genome), "hash": i.hash,
                           "parents": list(i.parents), "operator": i.operator, "seed": i.seed,
                           "objectives": list(i.objectives),
                           "evaluation": None if i.evaluation is None else {
                               "status": i.evaluation.status, "val": i.evaluation.val,
                               "test": i.evaluation.test, "complexity": i.evaluation.complexity,
                               "steps": i.evaluation.steps, "error": i.evaluation.error,
                               "trained": i.evaluation.trained_networks,
                               "duplicate_of": i.evaluation.duplicate_of}}
                   for i in run.individuals}
    variations = [(v.generation, v.slot, v.attempt, v.operator, v.status, v.child,
                   json.dumps(v.event.to_dict(), sort_keys=True)) for v in run.variations]
    checkpoints = [(c["generation"], c["evals_done"], c["rng"], c["policy_state"])
                   for c in run.checkpoints]
    return {"config": run.meta.get("config"), "individuals": individuals,
            "variations": variations, "populations": run.populations, "checkpoints": checkpoints,
            "status": run.meta.get("status")}
