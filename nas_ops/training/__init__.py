"""Train and evaluate one phenotype on a task under a budget.

Training can be restricted to a set of networks (the rest frozen: no gradient, eval mode, so their
weights and batch-norm statistics stay bit-identical) and can start from inherited weights.
All randomness comes from ``seed``: shuffling from its own generator, dropout masks and decoder
noise from keyed streams (:mod:`nas_ops.phenotype.noise`: a function of the seed, the step and
the position, so the batched evaluator reproduces them for many models at once); the global
torch RNG is forked and restored around the run, so nothing outside sees a change.

This module owns the one optimizer factory (:func:`make_optimizer`, which raises on an unknown
name) and the training constants; fused training (:mod:`nas_ops.evaluation.batched.train`)
imports both, so the two loops cannot drift apart.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from nas_ops.errors import EvaluationError, GenomeError
from nas_ops.genome.genome import Genome
from nas_ops.genome.nodes import OutputNode
from nas_ops.genome.shapes import complexity
from nas_ops.phenotype.model import Phenotype, build_model
from nas_ops.rng import torch_seed
from nas_ops.tasks.base import Split, Task
from nas_ops.tasks.losses import output_loss, output_metrics
from nas_ops.training.early_stopping import EarlyStopping

# The training constants, shared by sequential training (here) and fused training
# (:mod:`nas_ops.evaluation.batched.train`): both must train every model the same way.
KL_BETA = 0.1  # weight of the decoders' (mean, per latent unit) KL term in the total loss
CLIP_NORM = 10.0  # each model's gradients are clipped to this total norm
CLIP_EPS = 1e-6  # added to the norm before dividing, as torch.nn.utils.clip_grad_norm_ does
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8
SGD_MOMENTUM = 0.9
RMSPROP_ALPHA = 0.99
RMSPROP_EPS = 1e-8
OPTIMIZERS = ("adam", "sgd", "rmsprop")
MIN_IMPROVEMENT = 1e-3  # early stopping: a validation loss counts as better below best x (1 - this)

Metrics = dict[str, dict[str, float]]  # output name -> metric name -> value


@dataclass(frozen=True)
class Budget:
    """How much training a model gets: whole epochs, optionally capped in steps or seconds.

    ``patience``: early stopping on the validation loss (the training loss of
    :func:`total_loss` on the task's validation split, eval mode). It is measured every
    ``eval_every`` optimizer steps (``None``: at the end of every epoch); training stops after
    ``patience`` measurements in a row without an improvement (a drop by more than
    :data:`MIN_IMPROVEMENT` of the best so far), and the weights of the best measurement are
    restored. ``epochs`` and ``max_steps`` stay the caps. Only sequential training implements it
    (the batched evaluator sends such requests through :func:`fit`). ``measure_start``: early
    stopping also measures the starting weights before the first step (so training that only
    makes the validation loss worse ends with the weights it started from).

    ``lr_scale``: the optimizer's learning rate is the genome's times this (a retraining rule
    of a budget-map study, :mod:`nas_ops.retraining`); sequential training only.
    """

    epochs: int = 3
    max_steps: int | None = None
    time_limit_s: float | None = None
    patience: int | None = None
    eval_every: int | None = None
    lr_scale: float = 1.0
    measure_start: bool = False

    def step_cap(self, n_train: int, batch_size: int) -> int:
        """The most optimizer steps this budget allows on ``n_train`` samples: a run that stops
        with fewer was stopped early (it converged)."""
        cap = self.epochs * math.ceil(n_train / batch_size)
        return cap if self.max_steps is None else min(cap, self.max_steps)


@dataclass
class TrainResult:
    """Per-output metrics on validation and test data, plus cost and complexity."""

    val: dict[str, dict[str, float]]
    test: dict[str, dict[str, float]]
    parameters: int
    flops: int
    wall_time_s: float
    steps: int
    device: str
    final_loss: float
    trained_networks: list[str] = field(default_factory=list)
    model: Phenotype | None = field(default=None, repr=False, compare=False)

    def primary(self, task: Task, split: str = "val") -> dict[str, float]:
        metrics = self.val if split == "val" else self.test
        return {o.name: metrics[o.name][o.primary_metric] for o in task.outputs}

    def to_dict(self) -> dict[str, Any]:
        return {"val": self.val, "test": self.test, "parameters": self.parameters,
                "flops": self.flops, "wall_time_s": self.wall_time_s, "steps": self.steps,
                "device": self.device, "final_loss": self.final_loss,
                "trained_networks": self.trained_networks}


def pick_device(device: str | torch.device | None = None) -> torch.device:
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def check_optimizer(name: str) -> str:
    """``name`` if it is an optimizer both training paths implement; else an
    :class:`EvaluationError` naming the valid ones."""
    if name not in OPTIMIZERS:
        raise EvaluationError(f"unknown optimizer {name!r}; choose one of: "
                              f"{', '.join(OPTIMIZERS)}")
    return name


def make_optimizer(name: str, params: list[nn.Parameter], lr: float) -> torch.optim.Optimizer:
    """The torch optimizer ``name`` with the shared constants (an unknown name raises)."""
    if check_optimizer(name) == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=SGD_MOMENTUM)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=RMSPROP_ALPHA, eps=RMSPROP_EPS)
    return torch.optim.Adam(params, lr=lr, betas=ADAM_BETAS, eps=ADAM_EPS)


def _inputs(task: Task, split: Split) -> dict[str, Tensor]:
    return {i.name: split[i.name] for i in task.inputs}


def total_loss(model: Phenotype, task: Task, batch: Split) -> Tensor:
    fwd = model(_inputs(task, batch))
    weights = {o.id: o.loss_weight for o in model.genome.outputs}
    loss = fwd.kl * KL_BETA
    for spec in task.outputs:
        loss = loss + weights.get(spec.name, 1.0) * output_loss(spec, fwd.outputs[spec.name],
                                                                batch[spec.name])
    return loss


def train(genome_or_model: Genome | Phenotype, task: Task, *, budget: Budget | None = None,
          epochs: int | None = None, seed: int = 0, device: str | torch.device | None = None,
          trainable: set[str] | None = None, init_state: dict[str, Tensor] | None = None,
          sample_score: bool = False, sample_quality: bool = False,
          keep_model: bool = False) -> TrainResult:
    """Train a genome (built with ``seed``) or an existing phenotype; evaluate on val and test.

    ``trainable``: network ids to train (``None`` = all). ``init_state``: a state dict to start
    from (for a child with inherited weights, build its model as the engine does,
    :func:`nas_ops.evaluation.pipeline.prepare`, and pass the model). Raises
    :class:`EvaluationError` on a non-finite loss or an unknown optimizer.
    """
    budget = budget or Budget(epochs=epochs if epochs is not None else 3)
    dev = pick_device(device)
    model = (genome_or_model if isinstance(genome_or_model, Phenotype)
             else build_model(genome_or_model, seed=seed))
    check_fits(model.genome, task)
    model = model.to(dev)
    if init_state is not None:
        model.load_state_dict(init_state)
    start = time.perf_counter()
    steps, last = fit(model, task, budget, seed=seed, device=dev, trainable=trainable,
                      start=start)
    val, test = evaluate_splits(model, task, dev, sample_score=sample_score,
                                sample_quality=sample_quality, seed=seed)
    cx = complexity(model.genome)
    result = TrainResult(
        val=val, test=test, parameters=cx.parameters, flops=cx.flops,
        wall_time_s=time.perf_counter() - start, steps=steps, device=str(dev), final_loss=last,
        trained_networks=trained_networks(model, trainable),
    )
    if keep_model:
        result.model = model
    return result


def fit(model: Phenotype, task: Task, budget: Budget, *, seed: int, device: torch.device,
        trainable: set[str] | None = None, start: float | None = None) -> tuple[int, float]:
    """Train ``model`` (already on ``device``) in place; return (optimizer steps, last loss).

    The global torch RNG is forked and restored around it; ``start`` (``time.perf_counter()``,
    default now) is when the budget's time limit starts counting. Raises
    :class:`EvaluationError` on a non-finite loss or when the time limit is reached.
    """
    start = time.perf_counter() if start is None else start
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(torch_seed(seed, "train"))
        return _fit(model, task, budget, seed, device, trainable, start)


def trained_networks(model: Phenotype, trainable: set[str] | list[str] | None) -> list[str]:
    """The ids of the networks a training run trains (``None``: all of them), sorted."""
    return sorted(trainable if trainable is not None else model.networks.keys())


def evaluate_splits(model: Phenotype, task: Task, device: torch.device, *,
                    sample_score: bool = False, sample_quality: bool = False,
                    seed: int = 0) -> tuple[Metrics, Metrics]:
    """The metrics every evaluation records, ``(val, test)``: :func:`evaluate` on the task's
    validation split, and on its test split with ``sample_score`` when asked;
    ``sample_quality`` on both (each split against its own real samples)."""
    val = evaluate(model, task, task.val, device=device, sample_quality=sample_quality,
                   seed=seed)
    test = evaluate(model, task, task.test, device=device, sample_score=sample_score,
                    sample_quality=sample_quality, seed=seed)
    return val, test


def check_fits(genome: Genome, task: Task) -> None:
    """Raise :class:`GenomeError` (one line) unless every input of ``genome`` is an input of
    ``task`` with the same type and shape, and every output of ``task`` is an output of
    ``genome`` with the same kind and size."""
    specs = {s.name: s for s in task.inputs}
    for node in genome.inputs:
        spec = specs.get(node.id)
        if spec is None:
            raise GenomeError(f"genome does not fit task {task.name!r}: the task has no input "
                              f"{node.id!r}; its inputs are {', '.join(specs)}")
        if (node.dtype, node.shape) != (spec.dtype, spec.shape):
            raise GenomeError(f"genome does not fit task {task.name!r}: input {node.id!r} is "
                              f"{spec.dtype} {list(spec.shape)} there, {node.dtype} "
                              f"{list(node.shape)} in the genome")
    for out in task.outputs:
        onode = genome.node(out.name) if genome.has_node(out.name) else None
        if not isinstance(onode, OutputNode) or (onode.kind, onode.size) != (out.kind, out.size):
            have = (f"a {onode.kind} of size {onode.size}" if isinstance(onode, OutputNode)
                    else "none")
            raise GenomeError(f"genome does not fit task {task.name!r}: output {out.name!r} is a "
                              f"{out.kind} of size {out.size} there, the genome has {have}")


def _fit(model: Phenotype, task: Task, budget: Budget, seed: int, dev: torch.device,
         trainable: set[str] | None, start: float) -> tuple[int, float]:
    flags = [p.requires_grad for p in model.parameters()]
    try:
        return _fit_frozen(model, task, budget, seed, dev, trainable, start)
    finally:  # the caller's model keeps its own requires_grad flags
        for p, flag in zip(model.parameters(), flags, strict=True):
            p.requires_grad_(flag)


def _fit_frozen(model: Phenotype, task: Task, budget: Budget, seed: int, dev: torch.device,
                trainable: set[str] | None, start: float) -> tuple[int, float]:
    model.freeze_except(trainable)
    params = [p for p in model.parameters() if p.requires_grad]
    hyper = model.genome.hyper
    data = task.train.to(dev)
    steps, last = 0, math.nan
    if not params:
        return steps, last
    opt = make_optimizer(hyper.optimizer, params, hyper.learning_rate * budget.lr_scale)
    shuffle = torch.Generator().manual_seed(torch_seed(seed, "shuffle"))
    model.noise.key = torch_seed(seed, "train")  # dropout masks and decoder noise, keyed
    stop = (EarlyStopping(model, lambda: validation_loss(model, task, dev), budget.patience,
                          MIN_IMPROVEMENT) if budget.patience else None)
    measured = -1  # the step of the last early-stopping measurement
    if stop is not None and budget.measure_start:
        stop.check()  # the starting weights are a candidate too (never stops here: patience >= 1)
        measured = 0
    for _ in range(budget.epochs):
        _train_mode(model, trainable)
        order = torch.randperm(len(data), generator=shuffle).to(dev)
        for lo in range(0, len(data), hyper.batch_size):
            model.noise.step = steps
            loss = total_loss(model, task, data.subset(order[lo: lo + hyper.batch_size]))
            if not torch.isfinite(loss):
                raise EvaluationError(f"non-finite loss ({float(loss.detach())}) at step {steps}")
            opt.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            torch.nn.utils.clip_grad_norm_(params, CLIP_NORM)
            opt.step()
            steps, last = steps + 1, float(loss.detach())
            if budget.max_steps is not None and steps >= budget.max_steps:
                return _stopped(stop, measured, steps), last
            limit = budget.time_limit_s
            if limit is not None and time.perf_counter() - start > limit:
                raise EvaluationError(f"time limit of {budget.time_limit_s:g} s reached at step "
                                      f"{steps}")
            if stop is not None and budget.eval_every and steps % budget.eval_every == 0:
                measured = steps
                if stop.check():
                    return _stopped(stop, measured, steps), last
                _train_mode(model, trainable)
        if stop is not None and not budget.eval_every:
            measured = steps
            if stop.check():
                return _stopped(stop, measured, steps), last
    return _stopped(stop, measured, steps), last


def _stopped(stop: EarlyStopping | None, measured: int, steps: int) -> int:
    """End early stopping (when on): measure the final weights unless just measured, then
    restore the best; return ``steps``."""
    if stop is not None:
        if measured != steps:
            stop.check()
        stop.restore()
    return steps


@torch.no_grad()
def validation_loss(model: Phenotype, task: Task, device: torch.device,
                    batch_size: int = 1024) -> float:
    """The training objective (:func:`total_loss`) on the validation split, eval mode (no noise,
    no dropout): the mean over chunks weighted by their size. Leaves the model in eval mode."""
    model.eval()
    split, total = task.val, 0.0
    for lo in range(0, len(split), batch_size):
        part = split.subset(slice(lo, lo + batch_size)).to(device)
        total += float(total_loss(model, task, part)) * len(part)
    return total / max(len(split), 1)


def _train_mode(model: Phenotype, trainable: set[str] | None) -> None:
    model.train()
    for nid, module in model.networks.items():
        if trainable is not None and nid not in trainable:
            module.eval()  # frozen: batch-norm statistics and dropout stay fixed


@torch.no_grad()
def predict(model: Phenotype, task: Task, split: Split, device: torch.device | None = None,
            sample: bool = False, batch_size: int = 1024) -> dict[str, Tensor]:
    """Every output's predictions on ``split`` (eval mode), concatenated on CPU."""
    dev = device or next(model.parameters()).device
    model.eval()
    chunks: dict[str, list[Tensor]] = {o.id: [] for o in model.genome.outputs}
    for lo in range(0, len(split), batch_size):
        part = split.subset(slice(lo, lo + batch_size)).to(dev)
        fwd = model(_inputs(task, part), sample=sample)
        for name, value in fwd.outputs.items():
            chunks[name].append(value.detach().cpu())
    return {name: torch.cat(parts) for name, parts in chunks.items()}


def evaluate(model: Phenotype, task: Task, split: Split, *, device: torch.device | None = None,
             sample_score: bool = False, sample_quality: bool = False,
             seed: int = 0) -> dict[str, dict[str, float]]:
    """Per-output metrics on ``split``. Generation outputs also get, when asked and when the task
    has a classification output, ``sample_score`` (Inception-Score-like score of samples drawn
    with decoder latents from N(0, 1)) and ``reference_accuracy`` of the reconstructions; and,
    with ``sample_quality`` or when a sample-quality metric ranks the output
    (:attr:`OutputSpec.samples_ranked`), ``frechet``, ``precision``, ``recall`` and
    ``copy_rate`` of such samples against the real samples of ``split``
    (:mod:`nas_ops.tasks.sample_quality`)."""
    preds = predict(model, task, split, device)
    metrics = {spec.name: output_metrics(spec, preds[spec.name], split[spec.name])
               for spec in task.outputs}
    labels = next((split[o.name] for o in task.outputs if o.kind == "classification"), None)
    scored = [s for s in task.outputs if s.kind == "generation" and labels is not None
              and (sample_score or sample_quality or s.samples_ranked)]
    if not scored:
        return metrics
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(torch_seed(seed, "sample"))
        samples = predict(model, task, split, device, sample=True)
    for spec in scored:
        if sample_score:
            metrics[spec.name]["sample_score"] = task.sample_score(samples[spec.name])
            metrics[spec.name]["reference_accuracy"] = task.reference_accuracy(
                preds[spec.name], labels)  # type: ignore[arg-type]
        if sample_quality or spec.samples_ranked:
            metrics[spec.name].update(task.sample_quality(samples[spec.name], split))
    return metrics
