"""Many phenotypes of one topology as one stacked, zero-padded model.

Every tensor of every network is stacked over the models of a group (leading model axis) and
zero-padded to the group's widest layer; :class:`~nas_ops.evaluation.batched.layers.Slot` remembers
where each model's own entries sit, so weights go in from the models' phenotypes (their exact
initialization or inherited weights) and come back out after training. The forward pass
mirrors :mod:`nas_ops.phenotype` layer for layer (see ``blocks.py``); padded units stay exactly
zero, so each model computes what it would compute alone (up to float rounding of the fused
matmuls).
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nas_ops.evaluation.batched.layers import (
    GroupNoise,
    PostOps,
    Slot,
    conv,
    linear,
    prefix,
    spatial_op,
)
from nas_ops.genome.genome import Genome
from nas_ops.genome.nodes import InputNode
from nas_ops.genome.shapes import decoder_seed_spatial, pooled
from nas_ops.phenotype.model import Phenotype
from nas_ops.phenotype.noise import draw_id, normal
from nas_ops.tasks.base import Task
from nas_ops.training import KL_BETA

Train = list[bool]


class _Stack:
    """Shared helpers: the slots of one network, collected so the trainer can see them."""

    def __init__(self, net_id: str, device: torch.device) -> None:
        self.net_id, self.device = net_id, device
        self.slots: list[Slot] = []

    def slot(self, refs: list, index: list, shape: tuple[int, ...], param: bool = True) -> Slot:
        s = Slot(refs, index, shape, self.net_id, param, self.device)
        self.slots.append(s)
        return s

    def linear_slots(self, lins: list[Any], rows: list[Tensor], cols: list[Tensor],
                     shape: tuple[int, int]) -> tuple[Slot, Slot]:
        w = self.slot([m.weight for m in lins], [[r, c] for r, c in zip(rows, cols, strict=True)],
                      shape)
        b = self.slot([m.bias for m in lins], [[r] for r in rows], shape[:1])
        return w, b

    def conv_layer(self, convs: list[list[Any]], mods: list[Any], nets: list, body: str,
                   li: int, cols: list[Tensor], cin: int, k: list[Tensor]
                   ) -> tuple[Slot, Slot, PostOps, list[Tensor], int]:
        """Slots of hidden conv layer ``li`` of every model (weights, bias, post ops), with the
        layer's per-model rows and padded width."""
        per = [n.layers[li] for n in nets]
        width = max(la.units for la in per)
        rows = [torch.arange(la.units) for la in per]
        w = self.slot([c[li].weight for c in convs],
                      [[r, c, *k] for r, c in zip(rows, cols, strict=True)],
                      (width, cin, *(len(i) for i in k)))
        b = self.slot([c[li].bias for c in convs], [[r] for r in rows], (width,))
        bns = [_bns_per_layer(getattr(m, body), list(n.layers))[li]
               for m, n in zip(mods, nets, strict=True)]
        return w, b, self.post_ops(per, bns, width, li), rows, width

    def post_ops(self, layers: list, bns: list[Any], width: int, li: int) -> PostOps:
        slots = None
        if any(la.batchnorm for la in layers):
            idx = [[torch.arange(la.units)] for la in layers]
            slots = [self.slot([getattr(bn, name) if bn is not None else None for bn in bns], idx,
                               (width,), param=name in ("weight", "bias"))
                     for name in ("weight", "bias", "running_mean", "running_var")]
        return PostOps(layers, width, slots, draw_id(self.net_id, li))


def _modules(module: Any, kind: type | tuple[type, ...]) -> list[Any]:
    return [m for m in module.modules() if isinstance(m, kind)]


def _bns_per_layer(module: Any, layers: list) -> list[Any]:
    bns = iter(_modules(module, (nn.BatchNorm1d, nn.BatchNorm2d)))
    return [next(bns) if la.batchnorm else None for la in layers]


class DenseStack(_Stack):
    """Stacked :class:`~nas_ops.phenotype.blocks.DenseNet` (mlp, discrete, decoder body)."""

    def __init__(self, net_id: str, nets: list, mods: list[Any], in_width: int,
                 in_index: list[Tensor], device: torch.device) -> None:
        super().__init__(net_id, device)
        lins = [_modules(m, nn.Linear) for m in mods]
        depth = len(nets[0].layers)
        self.layers: list[tuple[Slot, Slot, PostOps]] = []
        cols = in_index
        for li in range(depth):
            per = [n.layers[li] for n in nets]
            width = max(la.units for la in per)
            rows = [torch.arange(la.units) for la in per]
            w, b = self.linear_slots([ls[li] for ls in lins], rows, cols, (width, in_width))
            bns = [_bns_per_layer(m, list(n.layers))[li] for m, n in zip(mods, nets, strict=True)]
            self.layers.append((w, b, self.post_ops(per, bns, width, li)))
            cols, in_width = rows, width
        self.out_width = max(n.out_size for n in nets)
        self.out_rows = [torch.arange(n.out_size) for n in nets]
        self.final = self.linear_slots([ls[-1] for ls in lins], self.out_rows, cols,
                                       (self.out_width, in_width))

    def __call__(self, x: Tensor, train: Train, noise: GroupNoise) -> Tensor:
        for w, b, post in self.layers:
            x = post(linear(x, w.data, b.data), True, train, noise)
        return linear(x, self.final[0].data, self.final[1].data)


class DecoderStack(_Stack):
    """Stacked :class:`~nas_ops.phenotype.blocks.DecoderNet`: means and log-variances are laid
    out as ``[mean (L_max) | logvar (L_max)]`` whatever each model's latent width."""

    def __init__(self, net_id: str, nets: list, mods: list[Any], in_width: int,
                 in_index: list[Tensor], device: torch.device) -> None:
        super().__init__(net_id, device)
        self.latents = [n.latent for n in nets]
        lmax = max(self.latents)
        rows = [torch.cat([torch.arange(n), lmax + torch.arange(n)]) for n in self.latents]
        self.encode = self.linear_slots([m.encode for m in mods], rows, in_index,
                                        (2 * lmax, in_width))
        self.decode = DenseStack(net_id, nets, [m.decode for m in mods], lmax,
                                 prefix(*self.latents), device)
        self.slots += self.decode.slots
        self.out_width, self.out_rows = self.decode.out_width, self.decode.out_rows
        self.lmax = lmax
        self.draw = draw_id(net_id, "z")
        self._noise: dict[tuple, tuple[Tensor, Tensor]] = {}

    def __call__(self, x: Tensor, train: Train, noise: GroupNoise) -> tuple[Tensor, Tensor]:
        stats = linear(x, self.encode[0].data, self.encode[1].data)
        mean, logvar = stats[..., : self.lmax], stats[..., self.lmax :].clamp(-10.0, 10.0)
        key = (tuple(train), x.shape[1], x.device)
        if key not in self._noise:  # built once per mode and batch size: no copy per step
            self._noise[key] = self._noise_layout(train, x.shape[1], x.device)
        idx, on = self._noise[key]
        eps = normal(noise.streams(self.draw).view(-1, 1, 1), idx)
        eps = torch.where(on, eps, torch.zeros((), device=x.device))  # eval mode, padding: 0
        z = mean + torch.exp(0.5 * logvar) * eps  # eval-mode models: z = mean
        terms = 1 + logvar - mean.pow(2) - logvar.exp()  # exactly 0 on padded latents
        count = torch.tensor(self.latents, device=x.device, dtype=x.dtype) * x.shape[1]
        kl = -0.5 * terms.sum(dim=(1, 2)) / count
        return self.decode(z, train, noise), kl

    def _noise_layout(self, train: Train, batch: int, dev: torch.device) -> tuple[Tensor, Tensor]:
        """Model m's noise positions ``b * lat_m + j``, and where noise applies (training models,
        their own latents)."""
        lat = torch.tensor(self.latents, device=dev).view(-1, 1, 1)
        j = torch.arange(self.lmax, device=dev).view(1, 1, -1)
        idx = torch.arange(batch, device=dev).view(1, -1, 1) * lat + j
        return idx, torch.tensor(train, device=dev).view(-1, 1, 1) & (j < lat)


class ConvEncoderStack(_Stack):
    """Stacked :class:`~nas_ops.phenotype.blocks.ConvEncoderNet` (grouped convolutions)."""

    def __init__(self, net_id: str, nets: list, mods: list[Any], channels: int,
                 spatial: tuple[int, ...], device: torch.device) -> None:
        super().__init__(net_id, device)
        convs = [_modules(m.features, (nn.Conv1d, nn.Conv2d)) for m in mods]
        k = [torch.arange(s) for s in convs[0][0].weight.shape[2:]]
        self.layers: list[tuple[Slot, Slot, PostOps, bool]] = []
        cols, cin = [torch.arange(channels)] * len(nets), channels
        for li in range(len(nets[0].layers)):
            w, b, post, rows, width = self.conv_layer(convs, mods, nets, "features", li, cols,
                                                      cin, k)
            self.layers.append((w, b, post, pooled(spatial) != spatial))
            cols, cin, spatial = rows, width, pooled(spatial)
        area = math.prod(spatial)
        head_cols = [torch.arange(la.units * area) for la in (n.layers[-1] for n in nets)]
        self.out_width = max(n.out_size for n in nets)
        self.out_rows = [torch.arange(n.out_size) for n in nets]
        self.head = self.linear_slots([m.head for m in mods], self.out_rows, head_cols,
                                      (self.out_width, cin * area))
        self.pool = F.max_pool1d if len(spatial) == 1 else F.max_pool2d

    def __call__(self, x: Tensor, train: Train, noise: GroupNoise) -> Tensor:
        """``x``: ``(M, B, C, *S)`` (the model's input channels, unpadded)."""
        h = x.transpose(0, 1)
        for w, b, post, pool in self.layers:
            h = post(conv(h, w.data, b.data), False, train, noise)
            if pool:
                h = spatial_op(h, lambda t: self.pool(t, 2))
        flat = h.transpose(0, 1).flatten(2)  # (M, B, C_max * area): each model's prefix
        return linear(flat, self.head[0].data, self.head[1].data)


class ConvDecoderStack(_Stack):
    """Stacked :class:`~nas_ops.phenotype.blocks.ConvDecoderNet`."""

    def __init__(self, net_id: str, nets: list, mods: list[Any], in_width: int,
                 in_index: list[Tensor], device: torch.device) -> None:
        super().__init__(net_id, device)
        out_c, *out_spatial = nets[0].out_shape
        self.out_spatial = tuple(out_spatial)
        seed = decoder_seed_spatial(self.out_spatial, len(nets[0].layers))
        area = math.prod(seed)
        c0 = max(n.layers[0].units for n in nets)
        self.seed_shape = (c0, *seed)
        self.project = self.linear_slots(
            [m.project for m in mods], [torch.arange(n.layers[0].units * area) for n in nets],
            in_index, (c0 * area, in_width))
        convs = [_modules(m.body, (nn.Conv1d, nn.Conv2d)) for m in mods]
        k = [torch.arange(s) for s in convs[0][0].weight.shape[2:]]
        self.layers: list[tuple[Slot, Slot, PostOps]] = []
        cols, cin = [torch.arange(n.layers[0].units) for n in nets], c0
        for li in range(len(nets[0].layers)):
            w, b, post, rows, width = self.conv_layer(convs, mods, nets, "body", li, cols, cin, k)
            self.layers.append((w, b, post))
            cols, cin = rows, width
        outs = [torch.arange(out_c)] * len(nets)
        self.final_w = self.slot([m.final.weight for m in mods],
                                 [[o, c, *k] for o, c in zip(outs, cols, strict=True)],
                                 (out_c, cin, *(len(i) for i in k)))
        self.final_b = self.slot([m.final.bias for m in mods], [[o] for o in outs], (out_c,))
        self.out_width = max(n.out_size for n in nets)
        self.out_rows = [torch.arange(n.out_size) for n in nets]

    def __call__(self, x: Tensor, train: Train, noise: GroupNoise) -> Tensor:
        proj = linear(x, self.project[0].data, self.project[1].data)  # (M, B, C0 * area)
        h = proj.transpose(0, 1).reshape(x.shape[1], x.shape[0], *self.seed_shape)
        for w, b, post in self.layers:
            h = spatial_op(h, lambda t: F.interpolate(t, scale_factor=2, mode="nearest"))
            h = post(conv(h, w.data, b.data), False, train, noise)
        h = h[(..., *(slice(0, s) for s in self.out_spatial))]  # type: ignore[index]
        out = conv(h, self.final_w.data, self.final_b.data)  # (B, M, out_c, *S)
        return out.transpose(0, 1).flatten(2)


class StackedModel:
    """The group's models as one: ``losses(batch)`` gives each model's training loss."""

    def __init__(self, models: list[Phenotype], device: torch.device) -> None:
        self.models, self.device = models, device
        genomes: list[Genome] = [m.genome for m in models]
        g0 = genomes[0]
        self.order = [n for n in g0.topological_order if n in models[0].networks]
        self.nets: dict[str, _Stack] = {}
        widths: dict[str, tuple[int, list[int]]] = {
            i.id: (i.size, [i.size] * len(models)) for i in g0.inputs}
        for nid in self.order:
            nets = [g.network(nid) for g in genomes]
            mods = [m.networks[nid] for m in models]
            kind = nets[0].kind
            if kind == "conv_encoder":
                preds = [g0.node(p) for p in g0.predecessors(nid)]
                ins = [p for p in preds if isinstance(p, InputNode)]
                stack: _Stack = ConvEncoderStack(nid, nets, mods, sum(p.shape[0] for p in ins),
                                                 tuple(ins[0].shape[1:]), device)
            else:
                in_width, in_index = self._input_layout(g0, nid, widths)
                cls = {"decoder": DecoderStack, "conv_decoder": ConvDecoderStack}.get(kind,
                                                                                     DenseStack)
                stack = cls(nid, nets, mods, in_width, in_index, device)
            self.nets[nid] = stack
            widths[nid] = (stack.out_width,  # type: ignore[attr-defined]
                           [len(r) for r in stack.out_rows])  # type: ignore[attr-defined]
        self.slots = [s for st in self.nets.values() for s in st.slots]
        self.params = [s for s in self.slots if s.param]
        self.loss_weights = {o.id: torch.tensor(
            [{n.id: n.loss_weight for n in g.outputs}.get(o.id, 1.0) for g in genomes],
            device=device) for o in g0.outputs}

    @staticmethod
    def _input_layout(g0: Genome, nid: str,
                      widths: dict[str, tuple[int, list[int]]]) -> tuple[int, list[Tensor]]:
        """Width of the concatenated (padded) input and each model's columns in it."""
        offset = 0
        cols: list[list[Tensor]] = [[] for _ in next(iter(widths.values()))[1]]
        for p in g0.predecessors(nid):
            wmax, own = widths[p]
            for m, w in enumerate(own):
                cols[m].append(offset + torch.arange(w))
            offset += wmax
        return offset, [torch.cat(c) for c in cols]

    def forward(self, batch: dict[str, Tensor], train: dict[str, Train],
                noise: GroupNoise) -> tuple[dict[str, Tensor], Tensor]:
        """``batch[input]``: ``(M, B, *shape)``; returns outputs ``(M, B, size)``, KL ``(M,)``."""
        g0 = self.models[0].genome
        raw = {i.id: batch[i.id] for i in g0.inputs}
        values = {k: v.flatten(2) for k, v in raw.items()}
        kl = torch.zeros(len(self.models), device=self.device)
        for nid in self.order:
            net = self.nets[nid]
            preds = g0.predecessors(nid)
            if isinstance(net, ConvEncoderStack):
                x = torch.cat([raw[p] for p in preds], dim=2)
            else:
                x = torch.cat([values[p] for p in preds], dim=2) if len(preds) > 1 \
                    else values[preds[0]]
            if isinstance(net, DecoderStack):
                values[nid], term = net(x, train[nid], noise)
                kl = kl + term
            else:
                values[nid] = net(x, train[nid], noise)  # type: ignore[operator]
        outputs = {}
        for out in g0.outputs:
            feeds = [values[p] for p in g0.predecessors(out.id)]
            total = feeds[0]
            for extra in feeds[1:]:
                total = total + extra
            outputs[out.id] = total
        return outputs, kl

    def losses(self, task: Task, batch: dict[str, Tensor], train: dict[str, Train],
               noise: GroupNoise) -> Tensor:
        """Each model's :func:`nas_ops.training.total_loss` on its own batch, ``(M,)``."""
        outputs, kl = self.forward(batch, train, noise)
        loss = kl * KL_BETA
        for spec in task.outputs:
            weights = self.loss_weights[spec.name]
            pred, target = outputs[spec.name], batch[spec.name]
            nmod, bsz = pred.shape[:2]
            if spec.kind == "classification":
                per = F.cross_entropy(pred.reshape(nmod * bsz, -1), target.reshape(-1).long(),
                                      reduction="none").view(nmod, bsz).mean(1)
            else:
                diff = pred - target.reshape(pred.shape).to(pred.dtype)
                per = diff.pow(2).mean(dim=(1, 2))
            loss = loss + weights * per
        return loss

    def store(self, steps: int, train: dict[str, Train]) -> None:
        """Write the trained tensors back into every model's phenotype (on its device)."""
        for slot in self.slots:
            slot.store()
        for nid, flags in train.items():
            for m, model in enumerate(self.models):
                if flags[m]:  # sequential training counts every train-mode batch-norm forward
                    for bn in _modules(model.networks[nid], (nn.BatchNorm1d, nn.BatchNorm2d)):
                        bn.num_batches_tracked.add_(steps)
