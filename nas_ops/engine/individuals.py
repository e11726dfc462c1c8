"""The engine's view of one individual and the request that evaluates it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nas_ops.config import RunConfig
from nas_ops.genome import Genome, to_dict
from nas_ops.records import EvalRecord, EvalRequest, InheritSpec
from nas_ops.store.run import weights_path
from nas_ops.variation.diff import cached_hash

if TYPE_CHECKING:
    from nas_ops.training import Budget


@dataclass
class Candidate:
    """A genome waiting for (or holding) its evaluation."""

    uid: str
    generation: int
    slot: int
    genome: Genome
    seed: int
    parents: tuple[str, ...] = ()
    operator: str | None = None
    inherit_map: dict[str, Any] | None = None  # the child's JSON inheritance map
    parent_genomes: tuple[Genome, ...] = ()
    trainable: list[str] | None = None
    record: EvalRecord | None = None
    objectives: list[float] = field(default_factory=list)
    hash: str = ""
    diagnose: bool = False
    force_train: bool = False  # never reuse a duplicate's result (every study candidate)
    budget: Budget | None = None  # overrides [budget] (a study's base models: early stopping)
    request: EvalRequest | None = None  # set when the search asks for this candidate
    requester: Callable[[], EvalRequest] | None = None  # makes the request (a rung evaluation)

    def __post_init__(self) -> None:
        if not self.hash:  # memoized on the genome: the variation usually computed it already
            self.hash = cached_hash(self.genome)


def make_request(cand: Candidate, config: RunConfig, run_dir: Path,
                 weights_of: Sequence[str] | None = None) -> EvalRequest:
    """``weights_of``: the evaluation keys whose weights files the parents left (default their
    uids; a parent stopped at a lower rung left ``<uid>@r<k>``, docs/fidelity.md)."""
    inherit = None
    ev = config.evaluation
    if ev.inherit_weights and cand.inherit_map is not None and cand.parents:
        paths = [weights_path(run_dir, p) for p in (weights_of or cand.parents)]
        if all(p.is_file() for p in paths):
            inherit = InheritSpec(parents=tuple(str(p) for p in paths), map=cand.inherit_map,
                                  parent_genomes=tuple(to_dict(g) for g in cand.parent_genomes))
    trainable = cand.trainable if inherit is not None and ev.retrain == "affected" else None
    b, own = config.budget, cand.budget
    epochs, max_steps, limit, patience, every = b.epochs, b.max_steps, b.time_limit_s, 0, 0
    scale, start = 1.0, False
    if own is not None:
        epochs, max_steps, limit = own.epochs, own.max_steps or 0, own.time_limit_s or 0.0
        patience, every = own.patience or 0, own.eval_every or 0
        scale, start = own.lr_scale, own.measure_start
    return EvalRequest(
        uid=cand.uid, genome=to_dict(cand.genome), genome_object=cand.genome, seed=cand.seed,
        task=config.task.name,
        task_options=dict(config.task.options), epochs=epochs, max_steps=max_steps,
        time_limit_s=limit, patience=patience, eval_every=every, lr_scale=scale,
        measure_start=start, device=ev.device,
        inherit=inherit, trainable=trainable,
        weights_out=str(weights_path(run_dir, cand.uid)), sample_score=ev.sample_score,
        sample_quality=ev.sample_quality or config.task.sample_metric != "recon_mse",
        torch_threads=ev.torch_threads, diagnose=ev.diagnose or cand.diagnose,
        diagnose_capacity=ev.diagnose_capacity,
        relevance_draws=ev.relevance_draws, relevance_noise=ev.relevance_noise)
