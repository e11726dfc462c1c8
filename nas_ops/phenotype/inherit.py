"""The one weight-inheritance path: build a child and copy its parents' weights into it.

A child's inheritance map (:mod:`nas_ops.variation.inheritance`, plain data recorded with the
variation) says, per child network, which parent network its weights come from, how hidden layers
align (``layer_map``) and which function-preserving transforms follow the copy. Tensors of equal
shape are copied whole; a resized tensor gets the overlapping leading block and keeps its fresh
initialization elsewhere; a tensor with no counterpart keeps its fresh initialization.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import torch
from torch import Tensor, nn

from nas_ops.genome.genome import Genome
from nas_ops.genome.nodes import NetworkNode
from nas_ops.phenotype.blocks import ConvDecoderNet, DecoderNet
from nas_ops.phenotype.model import Phenotype, build_model, build_network
from nas_ops.variation.inheritance import NetInheritance, next_unit

_WEIGHTS = (nn.Linear, nn.Conv1d, nn.Conv2d)
_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d)


# ------------------------------------------------------------------------------- the units
def units_of(module: nn.Module) -> dict[str, str]:
    """Unit name (``pre``, ``L0``, ``L0.bn``, ..., ``head``) -> the module's submodule path."""
    weights: list[str] = []
    norms: dict[int, str] = {}
    for path, sub in module.named_modules():
        if isinstance(sub, _WEIGHTS):
            weights.append(path)
        elif isinstance(sub, _NORMS):
            norms[len(weights) - 1] = path
    has_pre = isinstance(module, DecoderNet | ConvDecoderNet)
    names: dict[str, str] = {}
    for k, path in enumerate(weights):
        if has_pre and k == 0:
            name = "pre"
        elif k == len(weights) - 1:
            name = "head"
        else:
            name = f"L{k - int(has_pre)}"
        names[name] = path
        if k in norms:
            names[f"{name}.bn"] = norms[k]
    return names


def _parent_unit(name: str, lmap: tuple[int | None, ...]) -> str | None:
    if not name.startswith("L"):
        return name
    base, _, suffix = name.partition(".")
    j = int(base[1:])
    src = lmap[j] if j < len(lmap) else None
    if src is None:
        return None
    return f"L{src}" + (f".{suffix}" if suffix else "")


def _copy_overlap(dst: Tensor, src: Tensor) -> bool:
    """Copy ``src`` into ``dst`` (whole, or the leading overlapping block); True if whole."""
    if src.dim() != dst.dim():
        return False
    if src.shape == dst.shape:
        dst.copy_(src)
        return True
    block = tuple(slice(0, min(a, b)) for a, b in zip(src.shape, dst.shape, strict=True))
    dst[block] = src[block].to(dst.dtype)
    return False


def _copy_network(target: nn.Module, layout_parent: nn.Module, state: dict[str, Tensor],
                  prefix: str, lmap: tuple[int | None, ...]) -> None:
    child_units, parent_units = units_of(target), units_of(layout_parent)
    for name, path in child_units.items():
        pname = _parent_unit(name, lmap)
        if pname is None or pname not in parent_units:
            continue
        sub = target.get_submodule(path)
        for key, tensor in sub.state_dict(keep_vars=True).items():
            src = state.get(f"{prefix}{parent_units[pname]}.{key}")
            if src is not None:
                _copy_overlap(tensor.data, src)


# --------------------------------------------------------------------------- the transforms
def _tensors(module: nn.Module, name: str, *attrs: str) -> list[Tensor]:
    """Named tensors (``weight``, ``bias``, ``running_mean``...) of one unit of ``module``."""
    unit = module.get_submodule(units_of(module)[name])
    return [cast(Tensor, getattr(unit, a)) for a in attrs]


def _scale(module: nn.Module, t: dict[str, Any]) -> None:
    for tensor in _tensors(module, t["unit"], "weight", "bias"):
        tensor.mul_(t["factor"])


def _copy_columns(module: nn.Module, t: dict[str, Any]) -> None:
    (w,) = _tensors(module, t["unit"], "weight")
    (a, b), (c, d) = t["src"], t["dst"]
    w[:, c:d] = w[:, a:b]
    w[:, a:b] *= t["factor"]
    w[:, c:d] *= t["factor"]


def _widen(module: nn.Module, t: dict[str, Any], net: NetworkNode) -> None:
    j, old, sources = t["layer"], t["old"], list(t["sources"])
    rows = _tensors(module, f"L{j}", "weight", "bias")
    if f"L{j}.bn" in units_of(module):
        rows += _tensors(module, f"L{j}.bn", "weight", "bias", "running_mean", "running_var")
    for tensor in rows:
        for k, s in enumerate(sources):
            tensor[old + k] = tensor[s]
    (nxt,) = _tensors(module, next_unit(net, j), "weight")
    counts = torch.ones(old, dtype=nxt.dtype)
    for s in sources:
        counts[s] += 1
    nxt[:, :old] /= counts
    for k, s in enumerate(sources):
        nxt[:, old + k] = nxt[:, s]


def _identity(module: nn.Module, t: dict[str, Any]) -> None:
    weight, bias = _tensors(module, t["unit"], "weight", "bias")
    weight.copy_(torch.eye(weight.shape[0], weight.shape[1]))
    bias.zero_()


def apply_transforms(module: nn.Module, net: NetworkNode,
                     transforms: Sequence[dict[str, Any]]) -> None:
    with torch.no_grad():
        for t in transforms:
            if t["op"] == "scale":
                _scale(module, t)
            elif t["op"] == "copy_columns":
                _copy_columns(module, t)
            elif t["op"] == "widen":
                _widen(module, t, net)
            elif t["op"] == "identity":
                _identity(module, t)
            else:
                raise ValueError(f"unknown inheritance transform {t['op']!r}")


# ----------------------------------------------------------------------------- public API
def child_model(child: Genome, parents: Sequence[Genome], imap: Mapping[str, NetInheritance],
                states: Sequence[dict[str, Tensor]], seed: int) -> Phenotype:
    """Build ``child`` (fresh weights from ``seed``), then copy and transform its parents'
    weights (``states[i]`` is ``parents[i]``'s ``state_dict()``) as ``imap`` says."""
    model = build_model(child, seed, validate=False)
    with torch.no_grad():
        for cid, entry in imap.items():
            if entry.source is None or entry.parent is None:
                continue
            parent = parents[entry.parent]
            with torch.device("meta"):
                layout = build_network(parent, parent.network(entry.source))
            _copy_network(model.networks[cid], layout, states[entry.parent],
                          f"networks.{entry.source}.", entry.layer_map or ())
    for cid, entry in imap.items():
        apply_transforms(model.networks[cid], child.network(cid), entry.transforms)
    return model


__all__ = ["apply_transforms", "child_model", "units_of"]
