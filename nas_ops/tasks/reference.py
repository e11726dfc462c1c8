"""Reference classifier of a task and the Inception-Score-like sample score.

The reference classifier is an MLP (flattened source input, standardized with training
statistics -> 256 ReLU -> classes) trained with Adam from a fixed seed on the task's training
split for at most ``max_steps`` minibatch steps (about a second on a CPU). It is trained once
per (dataset, training data) and cached in memory and on disk, in
``$NAS_OPS_CACHE/reference/<dataset>-<hash>.pt`` (default ``~/.cache/nas-ops``), where the hash
covers the training inputs, the labels and the recipe. Files are written atomically
(:func:`nas_ops.infra.files.atomic_file`).

``sample_score`` = exp(E_x KL(p(y|x) || p(y))), p(y) the mean prediction over the samples: 1 when
every sample gets the same prediction, ``n_classes`` when predictions are confident and balanced.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import nn

from nas_ops.errors import TaskError
from nas_ops.infra.files import atomic_file, cache_dir

if TYPE_CHECKING:  # annotations only: base.Task calls into this module, not the reverse
    from nas_ops.tasks.base import InputSpec, OutputSpec, Task

RECIPE = {"version": 2, "hidden": 256, "lr": 3e-3, "batch": 128, "max_steps": 800,
          "max_epochs": 30, "seed": 1234}
_MEMORY: dict[str, nn.Module] = {}


class Standardize(nn.Module):
    """x -> (x - mean) / scale with the per-feature training mean and one global scale."""

    mean: torch.Tensor
    scale: torch.Tensor

    def __init__(self, in_features: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(in_features))
        self.register_buffer("scale", torch.ones(()))

    def fit(self, x: torch.Tensor) -> None:
        self.mean.copy_(x.mean(dim=0))
        self.scale.copy_((x - self.mean).std().clamp_min(1e-6))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.scale


def _build(in_features: int, n_classes: int, gen: torch.Generator | None) -> nn.Sequential:
    """The reference MLP; initialized from ``gen`` (PyTorch's default init, seeded locally)."""
    hidden = int(RECIPE["hidden"])
    skip_init = nn.utils.skip_init
    first: nn.Linear = skip_init(nn.Linear, in_features, hidden)  # type: ignore[no-untyped-call]
    last: nn.Linear = skip_init(nn.Linear, hidden, n_classes)  # type: ignore[no-untyped-call]
    for layer in (first, last):
        bound = 1.0 / math.sqrt(layer.in_features)
        nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=gen)
        nn.init.uniform_(layer.bias, -bound, bound, generator=gen)
    return nn.Sequential(Standardize(in_features), first, nn.ReLU(), last)


def heads(task: Task) -> tuple[InputSpec, OutputSpec]:
    """The (source input, classification output) pair the reference classifier links."""
    cls = next((o for o in task.outputs if o.kind == "classification"), None)
    if cls is None:
        raise TaskError(f"task {task.name!r} has no classification output: no reference "
                        "classifier, hence no sample score")
    gen = next((o for o in task.outputs if o.kind == "generation"), None)
    return (task.input(gen.source) if gen and gen.source else task.inputs[0]), cls


def _train(x: torch.Tensor, y: torch.Tensor, n_classes: int) -> nn.Module:
    """Train the reference MLP on one CPU thread (restored afterwards).

    One thread makes the result independent of the machine's core count, and it is faster for
    a model this small: with 2 busy cores, intra-op threads made training 60x slower.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train_single_thread(x, y, n_classes)
    finally:
        torch.set_num_threads(threads)


def _train_single_thread(x: torch.Tensor, y: torch.Tensor, n_classes: int) -> nn.Module:
    gen = torch.Generator().manual_seed(int(RECIPE["seed"]))
    model = _build(x.shape[1], n_classes, gen)
    standardize = model[0]
    if isinstance(standardize, Standardize):
        standardize.fit(x)
    opt = torch.optim.Adam(model.parameters(), lr=float(RECIPE["lr"]))
    batch = int(RECIPE["batch"])
    per_epoch = max(1, math.ceil(len(x) / batch))
    epochs = max(1, min(int(RECIPE["max_epochs"]), int(RECIPE["max_steps"]) // per_epoch))
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=gen)
        for start in range(0, len(x), batch):
            idx = order[start:start + batch]
            loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
    return model.eval()


def _key(task: Task, x: torch.Tensor, y: torch.Tensor) -> str:
    digest = hashlib.sha256(repr(sorted(RECIPE.items())).encode())
    digest.update(repr((tuple(x.shape), tuple(y.shape))).encode())
    digest.update(x.contiguous().numpy().tobytes())
    digest.update(y.contiguous().numpy().tobytes())
    dataset = re.sub(r"[^A-Za-z0-9_.-]", "_", str(task.meta.get("dataset", task.name)))
    return f"{dataset}-{digest.hexdigest()[:20]}"


def _load(path: Path, in_features: int, n_classes: int) -> nn.Module | None:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        model = _build(in_features, n_classes, None)
        model.load_state_dict(state)
    except Exception:  # a corrupt or stale cache file is trained over
        return None
    return model.eval()


def _save(model: nn.Module, path: Path) -> None:
    with atomic_file(path) as tmp:
        torch.save(model.state_dict(), tmp)


def reference_path(task: Task) -> Path:
    """Where the reference classifier of ``task`` is (or will be) cached on disk."""
    source, cls = heads(task)
    x = task.train[source.name].detach().cpu().reshape(len(task.train), -1)
    return cache_dir() / "reference" / f"{_key(task, x, task.train[cls.name].cpu())}.pt"


def reference_classifier(task: Task) -> nn.Module:
    """The reference classifier of ``task``: from memory, else disk, else trained and saved."""
    source, cls = heads(task)
    x = task.train[source.name].detach().cpu().float().reshape(len(task.train), -1)
    y = task.train[cls.name].detach().cpu().long()
    # hashing a large training set costs time: remember the key on the (immutable) task
    key = task.__dict__.get("_reference_key") or _key(task, x, y)
    object.__setattr__(task, "_reference_key", key)
    if key in _MEMORY:
        return _MEMORY[key]
    path = cache_dir() / "reference" / f"{key}.pt"
    model = _load(path, x.shape[1], cls.size) if path.is_file() else None
    if model is None:
        with torch.enable_grad():
            model = _train(x, y, cls.size)
        with contextlib.suppress(OSError):  # a read-only cache only costs retraining next time
            _save(model, path)
    for p in model.parameters():
        p.requires_grad_(False)
    _MEMORY[key] = model
    return model


@torch.no_grad()
def _probabilities(task: Task, samples: torch.Tensor) -> torch.Tensor:
    source, _ = heads(task)
    flat = samples.detach().to("cpu", torch.float32).reshape(len(samples), -1)
    if flat.shape[1] != source.size:
        raise TaskError(f"samples have {flat.shape[1]} values each; input {source.name!r} of "
                        f"task {task.name!r} has {source.size}")
    model = reference_classifier(task)
    chunks = torch.split(flat, 4096)
    return torch.cat([model(chunk).softmax(dim=1) for chunk in chunks])


def inception_score(probs: torch.Tensor) -> float:
    """exp(mean KL(p(y|x) || p(y))) of class probabilities ``probs`` (N, classes)."""
    probs = probs.double().clamp_min(1e-12)
    marginal = probs.mean(dim=0, keepdim=True)
    kl = (probs * (probs.log() - marginal.log())).sum(dim=1)
    return float(kl.mean().exp())


def sample_score(task: Task, samples: torch.Tensor) -> float:
    """Inception-Score-like quality of ``samples`` under the task's reference classifier."""
    if len(samples) == 0:
        raise TaskError("sample_score needs at least one sample")
    return inception_score(_probabilities(task, samples))


def reference_accuracy(task: Task, samples: torch.Tensor, labels: torch.Tensor) -> float:
    """Accuracy of the reference classifier on ``samples`` with true ``labels``."""
    if len(samples) != len(labels) or len(samples) == 0:
        raise TaskError(f"reference_accuracy needs as many labels as samples (>0), got "
                        f"{len(samples)} samples and {len(labels)} labels")
    probs = _probabilities(task, samples)
    return float((probs.argmax(dim=1) == labels.detach().cpu().long()).double().mean())
