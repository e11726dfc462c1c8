"""The records shared across the layers (plain JSON-able data, no torch, no imports of the
package): what crosses a process boundary during evaluation (:class:`EvalRequest`,
:class:`InheritSpec`, :class:`EvalRecord`) and a point of a run's hypervolume curve
(:class:`HvPoint`). The evaluation backends, the engine, the metrics and the ledger all use them;
they sit at the bottom so that none of those has to import another for a record."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

STATUSES = ("ok", "failed", "duplicate")


@dataclass(frozen=True)
class InheritSpec:
    """Where a child's weights come from: its parents' trained weights (``parents``: one weights
    file per parent), the child's JSON inheritance map from the variation event (``map``: network
    id -> :class:`~nas_ops.variation.NetInheritance` as a dict) and the parents' genomes
    (``parent_genomes``: JSON dicts, in the order of ``parents``)."""

    parents: tuple[str, ...]
    map: dict[str, Any]
    parent_genomes: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        return {"parents": list(self.parents), "map": self.map,
                "parent_genomes": list(self.parent_genomes)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InheritSpec:
        return cls(parents=tuple(str(p) for p in data["parents"]), map=dict(data["map"]),
                   parent_genomes=tuple(data["parent_genomes"]))


@dataclass(frozen=True)
class EvalRequest:
    """Everything a worker needs to train and evaluate one genome.

    ``inherit`` is ``None`` (train from scratch) or an :class:`InheritSpec` (its dict form is
    accepted too, so ``EvalRequest(**request.to_dict())`` round-trips). ``weights_out`` is where
    the worker saves the trained state dict (so children can inherit it later).
    """

    uid: str
    genome: dict[str, Any]
    seed: int
    task: str
    task_options: dict[str, Any] = field(default_factory=dict)
    epochs: int = 2
    max_steps: int = 0
    time_limit_s: float = 0.0
    patience: int = 0  # early stopping on validation loss (0: off); see training.Budget
    eval_every: int = 0  # steps between early-stopping measurements (0: every epoch)
    lr_scale: float = 1.0  # learning rate = the genome's x this (training.Budget)
    measure_start: bool = False  # early stopping measures the starting weights too
    device: str = "auto"
    inherit: InheritSpec | None = None
    trainable: list[str] | None = None
    weights_out: str | None = None
    sample_score: bool = False
    sample_quality: bool = False  # generation outputs: frechet, precision, recall, copy_rate
    torch_threads: int = 1
    diagnose: bool = False
    diagnose_capacity: bool = True  # diagnosis: also capacity_per_param (slow on CPU)
    relevance_draws: int = 5  # diagnosis: noise draws averaged into relevance
    relevance_noise: str = "scale"  # diagnosis: "scale" or "paper" (see metrics.diagnosis)
    # the genome itself (a nas_ops Genome), for an evaluator in the coordinator's process: the
    # table backend reads it rather than parsing and validating ``genome`` again. It never
    # crosses a process boundary (pickling and to_dict leave it out) and takes no part in ==.
    genome_object: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.inherit, dict):  # from JSON, or a process boundary
            object.__setattr__(self, "inherit", InheritSpec.from_dict(self.inherit))

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "genome_object"}

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (``inherit`` as its dict; without ``genome_object``)."""
        data = asdict(replace(self, genome_object=None))
        del data["genome_object"]
        data["inherit"] = self.inherit.to_dict() if self.inherit is not None else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvalRequest:
        return cls(**data)


@dataclass(frozen=True)
class EvalRecord:
    """The outcome of one evaluation: per-output metrics, complexity, cost, status and error."""

    uid: str
    status: str
    val: dict[str, dict[str, float]] = field(default_factory=dict)
    test: dict[str, dict[str, float]] = field(default_factory=dict)
    complexity: dict[str, int] = field(default_factory=dict)
    wall_time_s: float = 0.0
    device: str = ""
    error: str = ""
    steps: int = 0
    trained_networks: list[str] = field(default_factory=list)
    duplicate_of: str = ""
    diagnosis: list[tuple[str, str, str, float]] = field(default_factory=list)
    weights_sha256: str = ""  # sha256 of the weights file written for it ("" if none)
    rung: int = 0  # multi-fidelity searches: the rung it was trained at (docs/fidelity.md)
    fidelity: float = 1.0  # the fraction of the full training budget (1.0: all of it)

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "duplicate")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        """``json.dumps(self.to_dict(), sort_keys=True)``, without copying the nested values."""
        return json.dumps({f.name: getattr(self, f.name) for f in fields(self)}, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvalRecord:
        return cls(**data)


@dataclass(frozen=True)
class HvPoint:
    """One point of a run's hypervolume curve: after the ``evals_done``-th evaluation the run
    settled (``seq`` = evals_done - 1, uid ``uid``), having trained ``steps_done`` optimizer
    steps in all, the hypervolume of everything evaluated so far is ``value``."""

    seq: int
    uid: str
    evals_done: int
    steps_done: int
    value: float

    def to_tuple(self) -> tuple[int, str, int, int, float]:
        return (self.seq, self.uid, self.evals_done, self.steps_done, self.value)
