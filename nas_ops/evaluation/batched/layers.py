"""Primitives of the batched evaluator: keyed noise of a group, stacked tensors, post-ops.

Stacked values carry a leading *model* axis. Dense values are ``(M, B, U)``; convolutional
feature maps are ``(B, M, C, *S)`` so that ``view(B, M * C, *S)`` is the layout of a grouped
convolution and of a batch norm whose channels are (model, channel) pairs. Every model keeps its
own widths inside the group's (zero-padded) maximum; padded units hold exactly zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from nas_ops.phenotype.blocks import activation
from nas_ops.phenotype.noise import base, dropout_scale


class GroupNoise:
    """The keyed noise streams of a group (:mod:`nas_ops.phenotype.noise`): model m's key is
    ``torch_seed(seed_m, "train")``, as in its sequential training, so one vectorized draw gives
    every model the values it would draw alone."""

    def __init__(self, keys: list[int], device: torch.device) -> None:
        self.keys = torch.tensor(keys, dtype=torch.int64, device=device)
        self.step = 0

    def streams(self, draw: int) -> Tensor:
        """``(M,)`` streams of one draw site at the current step."""
        return base(self.keys, self.step, draw)


def ix(idx: Sequence[Tensor]) -> tuple[Tensor, ...]:
    """``np.ix_`` for torch index vectors (an open mesh)."""
    n = len(idx)
    return tuple(t.view(*([1] * d), -1, *([1] * (n - d - 1))) for d, t in enumerate(idx))


class Slot:
    """One stacked tensor ``(M, *max_shape)`` and where each model's own tensor sits in it.

    ``refs[m]`` is model m's tensor (a parameter or buffer of its phenotype, or ``None`` when
    the model has none here); ``index[m]`` gives, per dimension, the positions of its entries.
    """

    def __init__(self, refs: list[Tensor | None], index: list[list[Tensor]],
                 shape: tuple[int, ...], net: str, param: bool, device: torch.device) -> None:
        self.refs, self.index, self.net, self.param = refs, index, net, param
        self.data = torch.zeros((len(refs), *shape), device=device)
        for m, ref in enumerate(refs):
            if ref is not None:
                self.data[m][ix([i.to(device) for i in index[m]])] = ref.detach().to(device)
        if param:
            self.data.requires_grad_(True)

    def store(self) -> None:
        """Copy every model's entries back into its own tensor."""
        with torch.no_grad():
            for m, ref in enumerate(self.refs):
                if ref is not None:
                    part = self.data[m][ix([i.to(self.data.device) for i in self.index[m]])]
                    ref.copy_(part.to(ref.device))


def prefix(*sizes: int) -> list[Tensor]:
    return [torch.arange(s) for s in sizes]


def by_value(values: Sequence[object]) -> dict[object, list[int]]:
    groups: dict[object, list[int]] = {}
    for m, v in enumerate(values):
        groups.setdefault(v, []).append(m)
    return groups


def mix(x: Tensor, dim: int, parts: list[tuple[list[int], Callable[[Tensor], Tensor]]]) -> Tensor:
    """Apply ``fn`` to the models ``idx`` of ``x`` (along ``dim``) for each part; reassemble."""
    if len(parts) == 1:
        return parts[0][1](x)
    order = [m for idx, _ in parts for m in idx]
    outs = [fn(x.index_select(dim, torch.tensor(idx, device=x.device))) for idx, fn in parts]
    inverse = torch.empty(len(order), dtype=torch.long)
    inverse[torch.tensor(order)] = torch.arange(len(order))
    return torch.cat(outs, dim).index_select(dim, inverse.to(x.device))


class PostOps:
    """Batch norm, activation and dropout after one stacked weight layer, per model.

    ``layers[m]`` is model m's :class:`~nas_ops.genome.nodes.Layer`; ``bn`` holds the stacked
    batch-norm tensors (weight, bias, running_mean, running_var) when any model has one.
    """

    def __init__(self, layers: list, width: int, bn: list[Slot] | None, draw: int) -> None:
        self.layers, self.width, self.bn, self.draw = layers, width, bn, draw
        self._drop: dict[tuple, tuple[Tensor, Tensor, tuple[int, ...]] | None] = {}
        self.acts = {name: activation(name) for name in {la.activation for la in layers}}
        units = torch.tensor([la.units for la in layers])
        self.mask = (torch.arange(width)[None, :] < units[:, None]).float()  # (M, U)
        self.needs_mask = any(float(a(torch.zeros(1))) != 0.0 for a in self.acts.values())

    def __call__(self, x: Tensor, dense: bool, train: list[bool], noise: GroupNoise) -> Tensor:
        """``x``: dense ``(M, B, U)`` or conv ``(B, M, U, *S)``; ``train[m]``: model m's mode."""
        md = 0 if dense else 1
        if self.bn is not None:
            x = self._batchnorm(x, dense, train)
        acts = by_value([la.activation for la in self.layers])
        x = mix(x, md, [(idx, self.acts[str(name)]) for name, idx in acts.items()])
        mask = self.mask.to(x.device)
        if self.needs_mask:  # e.g. sigmoid(0) = 0.5: padded units must stay exactly zero
            x = x * (mask[:, None, :] if dense else mask.view(1, *mask.shape,
                                                              *([1] * (x.dim() - 3))))
        return self._dropout(x, dense, train, noise)

    def _batchnorm(self, x: Tensor, dense: bool, train: list[bool]) -> Tensor:
        assert self.bn is not None
        w, b, rm, rv = (s.data for s in self.bn)
        xb = x.transpose(0, 1) if dense else x  # (B, M, U, *S)
        kinds = [("none" if not la.batchnorm else "train" if t else "eval")
                 for la, t in zip(self.layers, train, strict=True)]
        parts = []
        for kind, idx in by_value(kinds).items():
            if kind == "none":
                parts.append((idx, lambda t: t))
            else:
                parts.append((idx, self._bn_fn(idx, kind == "train", w, b, rm, rv)))
        out = mix(xb, 1, parts)
        return out.transpose(0, 1) if dense else out

    @staticmethod
    def _bn_fn(idx: list[int], training: bool, w: Tensor, b: Tensor, rm: Tensor,
               rv: Tensor) -> Callable[[Tensor], Tensor]:
        every = len(idx) == w.shape[0]

        def fn(t: Tensor) -> Tensor:
            shape = t.shape
            flat = t.reshape(shape[0], shape[1] * shape[2], *shape[3:])
            if every:  # views: running statistics are updated in place
                out = F.batch_norm(flat, rm.view(-1), rv.view(-1), w.view(-1), b.view(-1),
                                   training, 0.1, 1e-5)
            else:
                sel = torch.tensor(idx, device=t.device)
                srm, srv = rm[sel].reshape(-1), rv[sel].reshape(-1)
                out = F.batch_norm(flat, srm, srv, w[sel].reshape(-1), b[sel].reshape(-1),
                                   training, 0.1, 1e-5)
                with torch.no_grad():
                    rm[sel] = srm.view(len(idx), -1)
                    rv[sel] = srv.view(len(idx), -1)
            return out.view(shape)

        return fn

    def _dropout(self, x: Tensor, dense: bool, train: list[bool], noise: GroupNoise) -> Tensor:
        """Every dropping model's keyed mask in one draw; the others multiply by exactly 1."""
        key = (tuple(train), tuple(x.shape), x.device)
        if key not in self._drop:  # built once per mode and batch shape: no copy per step
            self._drop[key] = self._drop_layout(x, dense, train)
        layout = self._drop[key]
        if layout is None:
            return x
        idx, keep, shape = layout
        return x * dropout_scale(noise.streams(self.draw).view(shape), idx, keep)

    def _drop_layout(self, x: Tensor, dense: bool, train: list[bool]
                     ) -> tuple[Tensor, Tensor, tuple[int, ...]] | None:
        """Each model's positions in ``x`` and keep probabilities (1 where it does not drop)."""
        keep = [1 - la.dropout if la.dropout > 0 and t else 1.0
                for la, t in zip(self.layers, train, strict=True)]
        if all(k == 1.0 for k in keep):
            return None
        dev = x.device
        units = torch.tensor([la.units for la in self.layers], device=dev)
        if dense:  # (M, B, U): model m's position b * units_m + u
            idx = (torch.arange(x.shape[1], device=dev).view(1, -1, 1) * units.view(-1, 1, 1)
                   + torch.arange(x.shape[2], device=dev).view(1, 1, -1))
            shape: tuple[int, ...] = (-1, 1, 1)
        else:  # (B, M, U, *S): ((b * units_m + c) * area + s)
            extra = (1,) * (x.dim() - 3)
            area = math.prod(x.shape[3:])
            rows = (torch.arange(x.shape[0], device=dev).view(-1, 1, 1, *extra)
                    * units.view(1, -1, 1, *extra)
                    + torch.arange(x.shape[2], device=dev).view(1, 1, -1, *extra))
            idx = rows * area + torch.arange(area, device=dev).view(1, 1, 1, *x.shape[3:])
            shape = (1, -1, 1, *extra)
        return idx, torch.tensor(keep, dtype=torch.float32, device=dev).view(shape), shape


def linear(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
    """Stacked ``x @ w.T + b``: ``x (M, B, I)``, ``w (M, O, I)``, ``b (M, O)`` -> ``(M, B, O)``."""
    return torch.baddbmm(b.unsqueeze(1), x, w.transpose(1, 2))


def conv(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
    """Stacked 'same' convolution: ``x (B, M, I, *S)``, ``w (M, O, I, *k)`` -> ``(B, M, O, *S)``."""
    bsz, models, _, *spatial = x.shape
    fn = F.conv1d if len(spatial) == 1 else F.conv2d
    k = w.shape[-1]
    out = fn(x.reshape(bsz, -1, *spatial), w.reshape(-1, *w.shape[2:]), b.reshape(-1),
             padding=k // 2, groups=models)
    return out.view(bsz, models, w.shape[1], *out.shape[2:])


def spatial_op(x: Tensor, fn: Callable[[Tensor], Tensor]) -> Tensor:
    """Apply a per-channel spatial op (pooling, upsampling) to ``(B, M, C, *S)``."""
    bsz, models, channels, *_ = x.shape
    out = fn(x.reshape(bsz, models * channels, *x.shape[3:]))
    return out.view(bsz, models, channels, *out.shape[2:])


def numel(shape: Sequence[int]) -> int:
    return math.prod(shape)
