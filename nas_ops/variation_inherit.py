"""Weight inheritance after a variation: the JSON-able map, and building a child with it.

An inheritance map says, for every network of a child, where its weights come from:

- ``parent`` / ``source``: index of the parent and id of the parent network (``None``: fresh);
- ``mode``: ``full`` (every tensor copied whole), ``partial`` (some tensors resized: the
  overlapping leading block is copied, as in :mod:`nas_ops.phenotype.inherit`; or some layers
  fresh), ``none`` (fresh initialization);
- ``layer_map``: child hidden layer ``j`` inherits from parent hidden layer ``layer_map[j]``
  (``None``: fresh), so that inserting or removing a layer keeps the others aligned;
- ``transforms``: function-preserving edits applied after copying, each a small dict:

  ``{"op": "scale", "unit": U, "factor": f}`` multiplies a unit's weight and bias by ``f``;
  ``{"op": "copy_columns", "unit": U, "src": [a, b], "dst": [c, d], "factor": f}`` copies input
  columns ``a:b`` of a unit's weight to ``c:d`` and multiplies both blocks by ``f``;
  ``{"op": "widen", "layer": j, "old": n, "sources": [...]}`` (net2net wider) gives hidden layer
  ``j``'s new units ``n + k`` the incoming weights of unit ``sources[k]`` and divides the next
  unit's outgoing columns by each unit's replication count;
  ``{"op": "identity", "unit": U}`` sets a square unit to the identity map.

Units are a network's weight layers: ``pre`` (a decoder's mean/log-variance map, a conv_decoder's
projection), ``L0``, ``L1``... (hidden layers, with ``Lj.bn`` their batch norm) and ``head``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import torch
from torch import Tensor, nn

from nas_ops.genome.genome import Genome
from nas_ops.genome.nodes import NetworkNode
from nas_ops.genome.shapes import conv_in_geometry, in_size
from nas_ops.phenotype.blocks import ConvDecoderNet, DecoderNet
from nas_ops.phenotype.model import Phenotype, _build_network, build_model

if TYPE_CHECKING:
    from nas_ops.variation import VariationResult

MODES = ("full", "partial", "none")
_WEIGHTS = (nn.Linear, nn.Conv1d, nn.Conv2d)
_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d)


@dataclass(frozen=True)
class NetInheritance:
    """Where one child network's weights come from (see the module docstring)."""

    parent: int | None = 0
    source: str | None = None
    mode: str = ""
    layer_map: tuple[int | None, ...] | None = None
    transforms: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"parent": self.parent, "source": self.source, "mode": self.mode,
                "layer_map": None if self.layer_map is None else list(self.layer_map),
                "transforms": [dict(t) for t in self.transforms]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NetInheritance:
        lm = data.get("layer_map")
        return cls(data.get("parent"), data.get("source"), data.get("mode", ""),
                   None if lm is None else tuple(lm), tuple(data.get("transforms", ())))


InheritanceMap = dict[str, NetInheritance]


def fresh() -> NetInheritance:
    return NetInheritance(None, None, "none")


# ------------------------------------------------------------------------- building the map
def _same_input(child: Genome, cid: str, parent: Genome, pid: str) -> bool:
    if child.network(cid).kind == "conv_encoder":
        return conv_in_geometry(child, cid) == conv_in_geometry(parent, pid)
    return in_size(child, cid) == in_size(parent, pid)


def _mode(child: Genome, cid: str, parent: Genome, pid: str, lmap: tuple[int | None, ...],
          transforms: tuple[dict[str, Any], ...]) -> str:
    c, p = child.network(cid), parent.network(pid)
    same = (c.kind == p.kind and c.latent == p.latent and c.out_size == p.out_size
            and c.out_shape == p.out_shape and len(c.layers) == len(p.layers)
            and lmap == tuple(range(len(p.layers))) and _same_input(child, cid, parent, pid)
            and all(a.units == b.units and a.batchnorm == b.batchnorm
                    for a, b in zip(c.layers, p.layers, strict=True)))
    widened = any(t["op"] == "widen" for t in transforms)
    return "full" if same and not widened else "partial"


def resolve(child: Genome, cid: str, parents: Sequence[Genome], hint: NetInheritance) -> \
        NetInheritance:
    """Fill in the layer map (by position unless given) and the mode of one entry."""
    if hint.source is None or hint.parent is None:
        return fresh()
    parent = parents[hint.parent]
    if (hint.layer_map is None and not hint.transforms and hint.source == cid
            and parent.network(cid) is child.network(cid)
            and parent.predecessors(cid) == child.predecessors(cid)
            and all(parent.node(p) is child.node(p) for p in child.predecessors(cid))):
        # the very same record reading the very same, unchanged inputs (the common case)
        n = len(child.network(cid).layers)
        return NetInheritance(hint.parent, cid, hint.mode or "full", tuple(range(n)))
    n_parent = len(parent.network(hint.source).layers)
    lmap = hint.layer_map
    if lmap is None:
        lmap = tuple(j if j < n_parent else None for j in range(len(child.network(cid).layers)))
    mode = hint.mode or _mode(child, cid, parent, hint.source, lmap, hint.transforms)
    return NetInheritance(hint.parent, hint.source, mode, lmap, hint.transforms)


def inheritance_map(parents: Sequence[Genome], child: Genome, index: int,
                    hints: dict[str, NetInheritance] | None = None) -> InheritanceMap:
    """Child ``index``'s map: hinted entries, else the same network id of parent ``index``."""
    pi = index if index < len(parents) else 0
    out: InheritanceMap = {}
    for net in child.networks:
        hint = (hints or {}).get(net.id)
        if hint is None:
            has = parents[pi].has_node(net.id) and isinstance(parents[pi].node(net.id),
                                                              NetworkNode)
            hint = NetInheritance(pi, net.id) if has else fresh()
        out[net.id] = resolve(child, net.id, parents, hint)
    return out


def rewired(imap: InheritanceMap, index: int, n_parents: int) -> list[str]:
    """Networks whose weights are not their own parent network's, copied whole."""
    pi = index if index < n_parents else 0
    return [cid for cid, e in imap.items()
            if e.mode != "full" or e.transforms or e.source != cid or e.parent != pi]


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


def input_unit(net: NetworkNode) -> str:
    """The unit that reads a network's concatenated input."""
    if net.kind in ("decoder", "conv_decoder"):
        return "pre"
    return "L0" if net.layers else "head"


def next_unit(net: NetworkNode, layer: int) -> str:
    return f"L{layer + 1}" if layer + 1 < len(net.layers) else "head"


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
def child_model(result: VariationResult, index: int, parent_states: Sequence[dict[str, Tensor]],
                seed: int) -> Phenotype:
    """Build child ``index`` (fresh weights from ``seed``), then copy and transform the parents'
    weights (``parent_states[i]`` is parent i's ``state_dict()``) as its inheritance map says."""
    child = result.children[index]
    model = build_model(child, seed, validate=False)
    imap = result.inheritance[index]
    with torch.no_grad():
        for cid, entry in imap.items():
            if entry.source is None or entry.parent is None:
                continue
            parent = result.parents[entry.parent]
            with torch.device("meta"):
                layout = _build_network(parent, parent.network(entry.source))
            _copy_network(model.networks[cid], layout, parent_states[entry.parent],
                          f"networks.{entry.source}.", entry.layer_map or ())
    for cid, entry in imap.items():
        apply_transforms(model.networks[cid], child.network(cid), entry.transforms)
    return model


def trainable_networks(result: VariationResult, index: int) -> set[str]:
    """Networks to retrain after the variation: the touched networks and every network
    downstream of them; all networks when a training hyperparameter changed."""
    from nas_ops.variation_diff import downstream

    child = result.children[index]
    detail = result.event.per_child[index]
    if detail["diff"]["hyper_changed"]:
        return set(child.network_ids)
    nets = set(child.network_ids)
    return downstream(child, [t for t in detail["touched"] if child.has_node(t)]) & nets


__all__ = ["MODES", "InheritanceMap", "NetInheritance", "apply_transforms", "child_model",
           "fresh", "inheritance_map", "input_unit", "next_unit", "resolve", "rewired",
           "trainable_networks", "units_of"]
