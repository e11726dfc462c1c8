"""Reading a run back as typed records: ``nas_ops.load_run(RUN_DIR)``, and what a researcher
does next with it: the Pareto front, the best individual per output, a trained model.

Variation events come back as :class:`~nas_ops.variation.VariationEvent`; events of ledgers
written before schema 2 (no ``family``/``direction``) load with both ``"unknown"``. Reading a run
imports no torch; :meth:`Run.model` imports it when called.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nas_ops.errors import ConfigError, NasOpsError, unknown
from nas_ops.evaluation.records import EvalRecord
from nas_ops.fidelity import individual_of
from nas_ops.files import file_sha256
from nas_ops.genome import Genome, from_json, to_json
from nas_ops.genome.nodes import primary_metric
from nas_ops.metrics.hypervolume import HvPoint, Reference, curve, reference_for
from nas_ops.pareto import first_front
from nas_ops.store.ledger import LEDGER_NAME, Ledger, row_to_record
from nas_ops.variation.events import VariationEvent

if TYPE_CHECKING:
    from nas_ops.phenotype import Phenotype

WEIGHTS_DIR = "weights"


def weights_path(run_dir: str | Path, uid: str) -> Path:
    """Where a run keeps the trained weights of ``uid``: ``RUN_DIR/weights/<uid>.pt``."""
    return Path(run_dir) / WEIGHTS_DIR / f"{uid}.pt"


@dataclass(frozen=True)
class Objective:
    """One objective of a run, as stored in ``Individual.objectives``: an output's primary
    validation metric (``output`` set), or the complexity objective (``output`` is None)."""

    output: str | None
    metric: str
    higher_is_better: bool

    @property
    def name(self) -> str:
        return self.metric if self.output is None else f"{self.output} {self.metric}"


@dataclass(frozen=True)
class Individual:
    """One genome of a run and its evaluation.

    ``objectives`` are the values the search ranked it by, in the order of
    :meth:`Run.objectives`: each task output's primary validation metric in task output order,
    then the complexity objective (``search.complexity_objective``, parameters by default; absent
    when it is ``"none"``). They are stored as measured, never negated: accuracy (higher is
    better) sits next to ``mse`` / ``recon_mse`` and the parameter count (lower is better);
    :attr:`Objective.higher_is_better` says which. A failed evaluation, or a metric that is not
    finite, stores the worst value: 0.0 for accuracy, 1e6 for an error metric, 1e12 for
    complexity. A duplicate (``evaluation.duplicate_of``) repeats its original's values.
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
    #: the hypervolume after every evaluation (schema 4; recomputed for older ledgers)
    hypervolume: list[HvPoint] = field(default_factory=list)
    #: every candidate the proxy pre-filter scored (schema 7; docs/fidelity.md), by generation
    #: and slot: generation, slot, uid, hash, proxy, scores ({output: value}), front, kept
    prefilter: list[dict[str, Any]] = field(default_factory=list)

    @property
    def config(self) -> dict[str, Any]:
        return dict(self.meta.get("config", {}))

    @property
    def sample_metric(self) -> str:
        """What ranked the run's generation outputs (``task.sample_metric``; ``recon_mse`` for
        a run recorded before the key existed)."""
        return str(self.config.get("task", {}).get("sample_metric", "recon_mse"))

    def by_uid(self) -> dict[str, Individual]:
        return {i.uid: i for i in self.individuals}

    def evaluated(self) -> list[Individual]:
        return [i for i in self.individuals if i.evaluation is not None]

    def objectives(self) -> list[Objective]:
        """What each value of ``Individual.objectives`` is, and its direction. The outputs and
        their kinds come from the run's genomes (a genome's outputs are its task's, in task
        order), the direction from each kind's primary metric: accuracy is maximized, mse and
        recon_mse are minimized, and so is the complexity objective. A generation output is
        ranked by the run's ``task.sample_metric`` (``recon_mse`` when none was recorded)."""
        outs = self.individuals[0].genome.outputs if self.individuals else ()
        objs = [Objective(o.id, *primary_metric(o.kind, self.sample_metric)) for o in outs]
        search = self.config.get("search", {})
        cx = str(search.get("complexity_objective", "parameters") or "parameters")
        return objs if cx == "none" else [*objs, Objective(None, cx, False)]

    def ok(self) -> list[Individual]:
        """The individuals with a usable full-fidelity evaluation: trained (``ok``) or a
        ``duplicate`` (a multi-fidelity run's children stopped at a lower rung are left out)."""
        return [i for i in self.individuals if i.evaluation is not None and i.evaluation.ok
                and i.evaluation.fidelity == 1.0]

    def hv_reference(self) -> Reference:
        """The hypervolume reference point the run recorded when it started; for a ledger
        older than schema 4, the default one of its :meth:`objectives`."""
        if "hv_reference" in self.meta:
            return Reference.from_dict(self.meta["hv_reference"])
        objs = self.objectives()
        return reference_for([o.output or o.metric for o in objs], [o.metric for o in objs])

    def pareto_front(self) -> list[Individual]:
        """The non-dominated individuals (by uid) among :meth:`ok` over the run's
        :meth:`objectives`: the front ``nas-ops search`` prints, sorted the same way (DEAP)."""
        weights = tuple(1.0 if o.higher_is_better else -1.0 for o in self.objectives())
        front = first_front({i.uid: i.objectives for i in self.ok()}, weights)
        by_uid = self.by_uid()
        return [by_uid[u] for u in front]

    def best(self, output: str) -> Individual:
        """The individual with the best validation value of ``output``'s primary metric (the
        first one, in creation order, on a tie), as ``nas-ops search`` prints it."""
        index = {o.output: k for k, o in enumerate(self.objectives()) if o.output is not None}
        if output not in index:
            raise unknown("output", output, list(index))
        k = index[output]
        sign = 1.0 if self.objectives()[k].higher_is_better else -1.0
        ok = self.ok()
        if not ok:
            raise NasOpsError(f"run {str(self.run_dir)!r} has no successfully evaluated "
                              f"individual, so none is best for {output!r}")
        return max(ok, key=lambda i: sign * i.objectives[k])

    def weights_path(self, uid: str) -> Path:
        """``RUN_DIR/weights/<uid>.pt`` (a duplicate has none: see :meth:`model`)."""
        return weights_path(self.run_dir, uid)

    def trained_individual(self, uid: str) -> Individual:
        """``uid`` itself, or for a duplicate the individual whose trained result it reuses."""
        by_uid = self.by_uid()
        if uid not in by_uid:
            raise unknown("individual", uid, list(by_uid))
        ind, seen = by_uid[uid], {uid}
        while ind.evaluation is not None and ind.evaluation.status == "duplicate":
            original = ind.evaluation.duplicate_of
            if original in seen or original not in by_uid:
                raise NasOpsError(f"individual {uid!r} is a duplicate of {original!r}, which the "
                                  "run does not hold")
            ind = by_uid[original]
            seen.add(original)
        if ind.evaluation is None or ind.evaluation.status != "ok":
            why = "was not evaluated" if ind.evaluation is None else \
                f"failed: {ind.evaluation.error}"
            raise NasOpsError(f"individual {ind.uid!r} has no trained model: it {why}")
        return ind

    def model(self, uid: str, device: str | None = None) -> Phenotype:
        """The trained model of ``uid`` (in evaluation mode), with the weights its evaluation
        saved; a duplicate gets its original's model. A missing or unreadable weights file, or
        one whose sha256 is not the recorded one, is a :class:`~nas_ops.errors.NasOpsError`
        naming it. Imports torch."""
        import torch  # lazily: reading a run needs no torch

        from nas_ops.phenotype import build_model

        ind = self.trained_individual(uid)
        path = self.weights_path(ind.uid)
        whose = ind.uid if ind.uid == uid else f"{ind.uid} (the original of duplicate {uid})"
        if not path.is_file():
            raise NasOpsError(f"the trained weights of {whose} are missing: no file {path}")
        recorded = ind.evaluation.weights_sha256 if ind.evaluation is not None else ""
        if recorded and file_sha256(path) != recorded:
            raise NasOpsError(f"the weights file {path} of {whose} is not the one its evaluation "
                              "wrote (sha256 differs from the ledger's)")
        model = build_model(ind.genome, seed=ind.seed)
        try:
            model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        except Exception as exc:  # noqa: BLE001  (unpickling and state-dict errors vary)
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise NasOpsError(f"the weights file {path} of {whose} cannot be loaded: "
                              f"{reason}") from exc
        model.eval()
        return model if device is None else model.to(device)


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
        rungs: dict[str, list[tuple[EvalRecord, tuple[float, ...]]]] = {}
        for key, value in evals.items():
            if individual_of(key) != key:
                rungs.setdefault(individual_of(key), []).append(value)
        individuals = []
        for r in db.execute("SELECT * FROM individuals ORDER BY generation, slot, uid"):
            below = sorted(rungs.get(r["uid"], []), key=lambda v: v[0].rung)
            ev, obj = evals.get(r["uid"], below[-1] if below else (None, ()))
            individuals.append(Individual(
                uid=r["uid"], generation=r["generation"], slot=r["slot"],
                genome=from_json(r["genome"]), hash=r["hash"],
                parents=tuple(json.loads(r["parents"])), operator=r["operator"], seed=r["seed"],
                evaluation=ev, objectives=obj, rungs=tuple(v[0] for v in below)))
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
        hv = _hypervolume_rows(db)
        prefilter = _prefilter_rows(db)
        order = [r["uid"] for r in db.execute("SELECT uid FROM evaluations ORDER BY seq")]
    finally:
        ledger.close()
    run = Run(path, meta, individuals, variations, pops, checkpoints, diagnoses)  # type: ignore[arg-type]
    run.prefilter = prefilter
    if hv is None or len(hv) < len(order):  # schema < 4 (not resumed since): recompute
        ref, by_uid = run.hv_reference(), run.by_uid()
        run.hypervolume = curve(ref, [  # objectives of another length than the run's count none
            (u, ev.status if len(by_uid[u].objectives) == len(ref.point) else "failed",
             by_uid[u].objectives, ev.steps)
            for u in order if u in by_uid and (ev := by_uid[u].evaluation) is not None])
    else:
        run.hypervolume = hv
    return run


def _hypervolume_rows(db: Any) -> list[HvPoint] | None:
    """The ledger's hypervolume table, None when it has none (schema < 4)."""
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "hypervolume" not in tables:
        return None
    return [HvPoint(r["seq"], r["uid"], r["evals_done"], r["steps_done"], r["value"])
            for r in db.execute("SELECT * FROM hypervolume ORDER BY seq")]


def _prefilter_rows(db: Any) -> list[dict[str, Any]]:
    """The ledger's pre-filter table ([] when it has none: schema < 7)."""
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "prefilter" not in tables:
        return []
    return [{**dict(r), "scores": {k: float(v) for k, v in json.loads(r["scores"]).items()},
             "kept": bool(r["kept"])}
            for r in db.execute("SELECT * FROM prefilter ORDER BY generation, slot")]


def run_contents(run_dir: str | Path) -> dict[str, Any]:
    """A run's recorded contents without timings, order of completion or device: two runs of the
    same config and seed on CPU have equal contents whatever the number of workers."""
    run = load_run(run_dir)
    individuals = {i.uid: {"genome": to_json(i.genome), "hash": i.hash,
                           "parents": list(i.parents), "operator": i.operator, "seed": i.seed,
                           "objectives": list(i.objectives),
                           "evaluation": _contents(i.evaluation),
                           "rungs": [_contents(r) for r in i.rungs]}
                   for i in run.individuals}
    variations = [(v.generation, v.slot, v.attempt, v.operator, v.status, v.child,
                   json.dumps(v.event.to_dict(), sort_keys=True)) for v in run.variations]
    checkpoints = [(c["generation"], c["evals_done"], c["rng"], c["policy_state"])
                   for c in run.checkpoints]
    return {"config": run.meta.get("config"), "individuals": individuals,
            "variations": variations, "populations": run.populations, "checkpoints": checkpoints,
            "status": run.meta.get("status"), "steps_spent": run.meta.get("steps_spent"),
            "stopped_by": run.meta.get("stopped_by"),
            "hypervolume": [p.to_tuple() for p in run.hypervolume],
            "prefilter": run.prefilter}


def _contents(ev: EvalRecord | None) -> dict[str, Any] | None:
    """The comparable part of an evaluation (no timing, device or order)."""
    return None if ev is None else {
        "key": ev.uid, "status": ev.status, "val": ev.val, "test": ev.test,
        "complexity": ev.complexity, "steps": ev.steps, "error": ev.error,
        "trained": ev.trained_networks, "duplicate_of": ev.duplicate_of, "rung": ev.rung,
        "fidelity": ev.fidelity}
