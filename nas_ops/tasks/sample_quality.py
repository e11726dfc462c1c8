"""Sample quality of a generation output, in the features of the task's reference classifier.

Features: the penultimate layer of the reference classifier (:mod:`nas_ops.tasks.reference`:
standardize -> 256 units -> ReLU -> classes), i.e. the 256 ReLU activations, of the flattened
samples. The real reference is a split of the task, the **validation** split unless told
otherwise (the search ranks by it; the test split is compared with its own real samples, for
final reporting). :func:`sample_quality` returns, for generated samples:

- ``frechet``: Frechet distance between Gaussian fits of the generated and the validation
  features (lower is better; :func:`nas_ops.tasks.feature_stats.frechet_distance`). It is biased
  upwards by small sample counts: the real test and validation splits of mnist1d are 7.5 apart
  with 750 signals each, 23 with 250 and 54 with 100 (docs/tasks.md), so compare values
  measured on equally large splits only.
- ``precision`` / ``recall``: k-NN manifold precision and recall against the validation
  features, k = :data:`K` (Kynkaanniemi et al. 2019; higher is better).
- ``copy_rate``: the memorisation measure, the fraction of generated samples whose nearest
  training sample (in feature space) is closer than :data:`COPY_QUANTILE` (5 %) of the real
  validation samples are to theirs. Honest samples of the data distribution score about 0.05,
  copies (also slightly perturbed ones) of training samples 1.0. The training reference is at
  most :data:`MAX_TRAIN` training samples (a fixed, seeded subset), which keeps a large data set
  cheap.

What depends only on the task and the split (the split's features, their Gaussian fit, k-NN
radii, the training features and the copy threshold) is computed once per task object and split
and kept on the task.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from nas_ops.errors import TaskError
from nas_ops.rng import generator
from nas_ops.tasks import feature_stats as fs
from nas_ops.tasks import reference

if TYPE_CHECKING:
    from nas_ops.tasks.base import Split, Task

K = 3  # neighbours of the k-NN manifolds
COPY_QUANTILE = 0.05  # copy threshold: this quantile of validation-to-training NN distances
MAX_TRAIN = 5000  # training samples the copy rate compares with (a seeded subset beyond it)
QUALITY_METRICS = ("frechet", "precision", "recall", "copy_rate")


@dataclass(frozen=True)
class QualityReference:
    """What the sample quality of a task compares with (see the module docstring)."""

    val: Tensor
    mean: Tensor
    cov: Tensor
    sqrt_cov: Tensor
    radii: Tensor
    train: Tensor
    copy_threshold: float


@torch.no_grad()
def features(task: Task, samples: Tensor) -> Tensor:
    """Penultimate-layer features ``(N, hidden)`` (float64) of ``samples`` under the task's
    reference classifier; ``samples`` are flattened source inputs (or shaped like the input)."""
    source, _ = reference.heads(task)
    flat = samples.detach().to("cpu", torch.float32).reshape(len(samples), -1)
    if flat.shape[1] != source.size:
        raise TaskError(f"samples have {flat.shape[1]} values each; input {source.name!r} of "
                        f"task {task.name!r} has {source.size}")
    model = reference.reference_classifier(task)
    if not isinstance(model, torch.nn.Sequential):
        raise TaskError(f"task {task.name!r}: the reference classifier is no nn.Sequential")
    body = model[:-1]  # drop the class layer
    return torch.cat([fs.as_features(body(c)) for c in torch.split(flat, 4096)])


def quality_reference(task: Task, split: Split | None = None) -> QualityReference:
    """The :class:`QualityReference` of ``task`` with the real samples of ``split`` (default:
    the validation split); for a split of the task, computed on first use and kept on it."""
    split = task.val if split is None else split
    name = next((n for n in ("val", "test", "train") if task.split(n) is split), None)
    cache: dict[str, QualityReference] = task.__dict__.setdefault("_quality_references", {})
    if name is not None and name in cache:
        return cache[name]
    source, _ = reference.heads(task)
    val = features(task, split[source.name])
    if len(val) <= K:
        raise TaskError(f"task {task.name!r}: sample quality needs more than {K} real "
                        f"samples, the split has {len(val)}")
    train_x = task.train[source.name]
    if len(train_x) > MAX_TRAIN:
        pick = generator(0, "sample_quality", "train").choice(len(train_x), MAX_TRAIN,
                                                              replace=False)
        train_x = train_x[torch.as_tensor(sorted(pick))]
    train = features(task, train_x)
    mean, cov = fs.gaussian_fit(val)
    to_train = fs.nearest_distances(val, train)
    ref = QualityReference(
        val=val, mean=mean, cov=cov, sqrt_cov=fs.psd_sqrt(cov),
        radii=fs.nearest_distances(val, val, K, exclude_self=True), train=train,
        copy_threshold=float(torch.quantile(to_train, COPY_QUANTILE)))
    if name is not None:
        cache[name] = ref
    return ref


def sample_quality(task: Task, samples: Tensor, split: Split | None = None) -> dict[str, float]:
    """``frechet``, ``precision``, ``recall`` and ``copy_rate`` of generated ``samples`` (more
    than ``K`` of them) against the real samples of ``split`` (default: the validation split;
    see the module docstring)."""
    if len(samples) <= K:
        raise TaskError(f"sample quality needs more than {K} samples, got {len(samples)}")
    ref = quality_reference(task, split)
    fake = features(task, samples)
    mean, cov = fs.gaussian_fit(fake)
    precision, recall = fs.precision_recall(ref.val, fake, K, real_radii=ref.radii)
    return {"frechet": fs.frechet_distance(ref.mean, ref.cov, mean, cov, sqrt1=ref.sqrt_cov),
            "precision": precision, "recall": recall,
            "copy_rate": fs.copy_rate(fake, ref.train, ref.copy_threshold)}
