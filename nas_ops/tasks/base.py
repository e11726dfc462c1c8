"""Task = typed inputs + typed outputs + train/val/test splits.

A :class:`Task` is plain data: specs that say what each input and output is, and three
:class:`Split` objects holding the tensors. Inputs are float32 tensors shaped ``(N, *spec.shape)``
keyed by input name; targets are keyed by output name (classification: int64 ``(N,)``;
regression: float32 ``(N, size)``; generation: float32 ``(N, size)``, the flattened source input).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np
import torch

from nas_ops.errors import TaskError, unknown
from nas_ops.genome.nodes import GENERATION_METRICS, primary_metric
from nas_ops.tasks import reference, sample_quality

if TYPE_CHECKING:
    from torch import nn

DataType = Literal["vector", "signal", "image"]
OutputKind = Literal["classification", "regression", "generation"]

_RANK = {"vector": 1, "signal": 2, "image": 3}


@dataclass(frozen=True)
class InputSpec:
    """One typed input: a vector ``(n,)``, a signal ``(C, L)`` or an image ``(C, H, W)``."""

    name: str
    dtype: DataType
    shape: tuple[int, ...]

    def __post_init__(self) -> None:
        if self.dtype not in get_args(DataType):
            raise TaskError(f"input {self.name!r}: unknown dtype {self.dtype!r}; valid choices: "
                            f"{', '.join(get_args(DataType))}")
        shape = tuple(int(s) for s in self.shape)
        object.__setattr__(self, "shape", shape)
        if len(shape) != _RANK[self.dtype] or min(shape) < 1:
            raise TaskError(f"input {self.name!r}: a {self.dtype} needs {_RANK[self.dtype]} "
                            f"positive dimensions, got shape {shape}")

    @property
    def size(self) -> int:
        """Number of values in one sample (product of the shape)."""
        return math.prod(self.shape)


@dataclass(frozen=True)
class OutputSpec:
    """One typed output. ``size``: classes, target dims, or values of the reconstructed input.
    ``metric``: what ranks a generation output, one of ``GENERATION_METRICS`` (``recon_mse``,
    the default, or a sample-quality metric: ``frechet``, ``precision``, ``recall``)."""

    name: str
    kind: OutputKind
    size: int
    source: str | None = None
    metric: str = "recon_mse"

    def __post_init__(self) -> None:
        if self.kind not in get_args(OutputKind):
            raise TaskError(f"output {self.name!r}: unknown kind {self.kind!r}; valid choices: "
                            f"{', '.join(get_args(OutputKind))}")
        if int(self.size) < 1:
            raise TaskError(f"output {self.name!r}: size must be >= 1, got {self.size}")
        if (self.kind == "generation") != (self.source is not None):
            raise TaskError(f"output {self.name!r}: a source input is required for generation "
                            "outputs and only for them")
        if self.metric not in GENERATION_METRICS:
            raise TaskError(f"output {self.name!r}: unknown metric {self.metric!r}; valid "
                            f"choices: {', '.join(GENERATION_METRICS)}")
        if self.kind != "generation" and self.metric != "recon_mse":
            raise TaskError(f"output {self.name!r}: only a generation output takes a metric "
                            f"(got {self.metric!r} for a {self.kind} output)")

    @property
    def primary_metric(self) -> str:
        """The metric that ranks models on this output: accuracy, mse, or for a generation
        output its ``metric`` (recon_mse by default)."""
        return primary_metric(self.kind, self.metric)[0]

    @property
    def higher_is_better(self) -> bool:
        """True for accuracy, precision and recall; errors (mse, recon_mse, frechet) are
        minimized."""
        return primary_metric(self.kind, self.metric)[1]

    @property
    def samples_ranked(self) -> bool:
        """Whether generated samples rank this output (a sample-quality primary metric)."""
        return self.kind == "generation" and self.metric != "recon_mse"


Index = slice | Sequence[int] | np.ndarray | torch.Tensor


@dataclass(frozen=True)
class Split:
    """Tensors of one data split, all with the same first dimension N."""

    tensors: dict[str, torch.Tensor]

    def __post_init__(self) -> None:
        lengths = {name: int(t.shape[0]) for name, t in self.tensors.items()}
        if len(set(lengths.values())) > 1:
            raise TaskError(f"split tensors have different lengths: {lengths}")

    def __len__(self) -> int:
        return int(next(iter(self.tensors.values())).shape[0]) if self.tensors else 0

    def __getitem__(self, name: str) -> torch.Tensor:
        try:
            return self.tensors[name]
        except KeyError:
            raise unknown("split tensor", name, list(self.tensors)) from None

    def subset(self, idx: Index) -> Split:
        """The rows ``idx`` (slice, integer indices or boolean mask) of every tensor."""
        if not isinstance(idx, slice):
            idx = torch.as_tensor(np.asarray(idx) if not isinstance(idx, torch.Tensor) else idx)
            if idx.dtype != torch.bool:
                idx = idx.long()
        return Split({name: t[idx] for name, t in self.tensors.items()})

    def to(self, device: torch.device | str) -> Split:
        """A copy of the split with every tensor on ``device``."""
        return Split({name: t.to(device) for name, t in self.tensors.items()})


@dataclass(frozen=True)
class Task:
    """A learning problem: typed inputs, typed outputs, and train / val / test splits."""

    name: str
    inputs: tuple[InputSpec, ...]
    outputs: tuple[OutputSpec, ...]
    train: Split
    val: Split
    test: Split
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", tuple(self.inputs))
        object.__setattr__(self, "outputs", tuple(self.outputs))
        names = [s.name for s in self.inputs] + [s.name for s in self.outputs]
        if not self.inputs or not self.outputs:
            raise TaskError(f"task {self.name!r} needs at least one input and one output")
        if len(set(names)) != len(names):
            raise TaskError(f"task {self.name!r}: input and output names must be unique: {names}")
        for out in self.outputs:
            if out.source is not None:
                src = self.input(out.source)
                if src.size != out.size:
                    raise TaskError(f"output {out.name!r}: size {out.size} != size {src.size} "
                                    f"of its source input {src.name!r}")
        for split_name in ("train", "val", "test"):
            self._check_split(split_name, getattr(self, split_name))

    def _check_split(self, split_name: str, split: Split) -> None:
        where = f"task {self.name!r}, {split_name} split"
        for spec in self.inputs:
            t = _require(split, spec.name, where)
            if t.dtype != torch.float32 or tuple(t.shape[1:]) != spec.shape:
                raise TaskError(f"{where}: input {spec.name!r} must be float32 (N, *{spec.shape}), "
                                f"got {t.dtype} {tuple(t.shape)}")
        for out in self.outputs:
            t = _require(split, out.name, where)
            if out.kind == "classification":
                ok = t.dtype == torch.int64 and t.ndim == 1
                if ok and t.numel() and (int(t.min()) < 0 or int(t.max()) >= out.size):
                    raise TaskError(f"{where}: labels of {out.name!r} must lie in [0, {out.size})")
                want = "int64 (N,)"
            else:
                ok = t.dtype == torch.float32 and t.ndim == 2 and t.shape[1] == out.size
                want = f"float32 (N, {out.size})"
            if not ok:
                raise TaskError(f"{where}: target {out.name!r} must be {want}, "
                                f"got {t.dtype} {tuple(t.shape)}")

    def input(self, name: str) -> InputSpec:
        """The input spec called ``name``."""
        for spec in self.inputs:
            if spec.name == name:
                return spec
        raise unknown(f"input of task {self.name!r}", name, [s.name for s in self.inputs])

    def output(self, name: str) -> OutputSpec:
        """The output spec called ``name``."""
        for spec in self.outputs:
            if spec.name == name:
                return spec
        raise unknown(f"output of task {self.name!r}", name, [s.name for s in self.outputs])

    def split(self, name: str) -> Split:
        """The split called ``name`` ("train", "val" or "test")."""
        if name not in ("train", "val", "test"):
            raise unknown("split", name, ["train", "val", "test"])
        return getattr(self, name)  # type: ignore[no-any-return]

    def reference_classifier(self) -> nn.Module:
        """The task's reference classifier (trained once, cached in memory and on disk)."""
        return reference.reference_classifier(self)

    def sample_score(self, samples: torch.Tensor) -> float:
        """Inception-Score-like quality of ``samples`` (flattened source inputs), in [1, classes].

        exp(E_x KL(p(y|x) || p(y))) under the reference classifier; TaskError if the task has
        no classification output.
        """
        return reference.sample_score(self, samples)

    def sample_quality(self, samples: torch.Tensor,
                       split: Split | None = None) -> dict[str, float]:
        """``frechet``, ``precision``, ``recall`` and ``copy_rate`` of generated ``samples``
        against the real samples of ``split`` (default: the validation split), in the reference
        classifier's penultimate features (:mod:`nas_ops.tasks.sample_quality`)."""
        return sample_quality.sample_quality(self, samples, split)

    def with_sample_metric(self, metric: str) -> Task:
        """This task with every generation output ranked by ``metric`` (one of
        ``GENERATION_METRICS``); a sample-quality metric needs a classification output (the
        reference classifier's) and a generation output, else one-line :class:`TaskError`."""
        if metric != "recon_mse":
            if not any(o.kind == "generation" for o in self.outputs):
                raise TaskError(f"sample metric {metric!r}: task {self.name!r} has no generation "
                                "output")
            if not any(o.kind == "classification" for o in self.outputs):
                raise TaskError(f"sample metric {metric!r}: task {self.name!r} has no "
                                "classification output, hence no reference classifier")
        outputs = tuple(dataclasses.replace(o, metric=metric) if o.kind == "generation" else o
                        for o in self.outputs)
        return dataclasses.replace(self, outputs=outputs)

    def reference_accuracy(self, samples: torch.Tensor, labels: torch.Tensor) -> float:
        """Accuracy of the reference classifier on ``samples`` (e.g. reconstructions)."""
        return reference.reference_accuracy(self, samples, labels)


def _require(split: Split, name: str, where: str) -> torch.Tensor:
    if name not in split.tensors:
        raise TaskError(f"{where}: no tensor {name!r}; present: {', '.join(split.tensors)}")
    return split.tensors[name]
