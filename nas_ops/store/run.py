"""Reading a run back as typed records: ``nas_ops.load_run(RUN_DIR)``, and what a researcher
does next with it: the Pareto front, the best individual per output, a trained model.

The rows are read by :class:`~nas_ops.store.ledger.Ledger` and decoded by
:mod:`nas_ops.store.schema`, which also says how a ledger of an older schema reads. The run's
metadata is a :class:`~nas_ops.store.schema.RunMeta`, its config a
:class:`~nas_ops.config.RunConfig`; variation events come back as
:class:`~nas_ops.variation.VariationEvent`. Reading a run imports no torch; :meth:`Run.model`
imports it when called.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nas_ops.config import RunConfig
from nas_ops.errors import ConfigError, NasOpsError, unknown
from nas_ops.genome import to_json
from nas_ops.genome.nodes import primary_metric
from nas_ops.infra.files import file_sha256
from nas_ops.pareto import first_front
from nas_ops.records import EvalRecord, HvPoint
from nas_ops.store.ledger import LEDGER_NAME, Ledger
from nas_ops.store.schema import Individual, RunMeta, Variation, filled_curve, reference_of

if TYPE_CHECKING:
    from nas_ops.metrics.hypervolume import Reference
    from nas_ops.phenotype import Phenotype

__all__ = ["Individual", "Objective", "Run", "Variation", "load_run", "run_contents",
           "weights_path"]

WEIGHTS_DIR = "weights"


def weights_path(run_dir: str | Path, uid: str) -> Path:
    """Where a run keeps the trained weights of ``uid``: ``RUN_DIR/weights/<uid>.pt``."""
    return Path(run_dir, WEIGHTS_DIR, f"{uid}.pt")


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


@dataclass
class Run:
    """Everything a run recorded. ``individuals`` are in creation order."""

    run_dir: Path
    meta: RunMeta
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
    def config(self) -> RunConfig:
        """The run's config (the defaults when it recorded none)."""
        return self.meta.config if self.meta.config is not None else RunConfig()

    @property
    def sample_metric(self) -> str:
        """What ranked the run's generation outputs (``task.sample_metric``; ``recon_mse`` for
        a run recorded before the key existed)."""
        return self.config.task.sample_metric

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
        cx = self.config.search.complexity_objective
        return objs if cx == "none" else [*objs, Objective(None, cx, False)]

    def ok(self) -> list[Individual]:
        """The individuals with a usable full-fidelity evaluation: trained (``ok``) or a
        ``duplicate`` (a multi-fidelity run's children stopped at a lower rung are left out)."""
        return [i for i in self.individuals if i.evaluation is not None and i.evaluation.ok
                and i.evaluation.fidelity == 1.0]

    def hv_reference(self) -> Reference:
        """The hypervolume reference point the run recorded when it started; for a ledger
        older than schema 4, the default one of its :meth:`objectives`."""
        return reference_of(self.meta, [(o.output or o.metric, o.metric)
                                        for o in self.objectives()])

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
    with Ledger(path, "r") as ledger:
        run = Run(path, ledger.run_meta(), ledger.individuals(), ledger.variations(),
                  ledger.populations(), ledger.checkpoints(), ledger.diagnoses(),
                  prefilter=ledger.prefilter())
        recorded, order = ledger.hypervolume(), ledger.settled()
    run.hypervolume = filled_curve(recorded, run.hv_reference(), order, run.by_uid())
    return run


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
    return {"config": run.config.to_dict(), "individuals": individuals,
            "variations": variations, "populations": run.populations, "checkpoints": checkpoints,
            "status": run.meta.status, "steps_spent": run.meta.steps_spent,
            "stopped_by": run.meta.stopped_by,
            "hypervolume": [p.to_tuple() for p in run.hypervolume],
            "prefilter": run.prefilter}


def _contents(ev: EvalRecord | None) -> dict[str, Any] | None:
    """The comparable part of an evaluation (no timing, device or order)."""
    return None if ev is None else {
        "key": ev.uid, "status": ev.status, "val": ev.val, "test": ev.test,
        "complexity": ev.complexity, "steps": ev.steps, "error": ev.error,
        "trained": ev.trained_networks, "duplicate_of": ev.duplicate_of, "rung": ev.rung,
        "fidelity": ev.fidelity}
