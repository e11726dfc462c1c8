"""Weight inheritance after a variation: the plain-data map (no torch here).

An inheritance map says, for every network of a child, where its weights come from:

- ``parent`` / ``source``: index of the parent and id of the parent network (``None``: fresh);
- ``mode``: ``full`` (every tensor copied whole), ``partial`` (some tensors resized: the
  overlapping leading block is copied; or some layers fresh), ``none`` (fresh initialization);
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

:func:`nas_ops.phenotype.inherit.child_model` builds a child's weights from its map.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from nas_ops.genome.genome import Genome
from nas_ops.genome.nodes import NetworkNode
from nas_ops.genome.shapes import conv_in_geometry, in_size

MODES = ("full", "partial", "none")


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


@lru_cache(maxsize=1024)
def _whole(parent: int, net_id: str, layers: int) -> NetInheritance:
    return NetInheritance(parent, net_id, "full", tuple(range(layers)))


def _unchanged(parent: Genome, child: Genome, net: NetworkNode) -> bool:
    """Whether ``parent`` has ``net`` itself (the very record) reading the very same records."""
    if not parent.has_node(net.id) or parent.node(net.id) is not net:
        return False
    preds = child.predecessors(net.id)
    return parent.predecessors(net.id) == preds and all(
        parent.node(p) is child.node(p) for p in preds)


def resolve(child: Genome, cid: str, parents: Sequence[Genome], hint: NetInheritance) -> \
        NetInheritance:
    """Fill in the layer map (by position unless given) and the mode of one entry."""
    if hint.source is None or hint.parent is None:
        return fresh()
    parent = parents[hint.parent]
    if (hint.layer_map is None and not hint.transforms and hint.source == cid
            and _unchanged(parent, child, child.network(cid))):  # the common case
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
        if hint is None and _unchanged(parents[pi], child, net):  # resolve's common case
            out[net.id] = _whole(pi, net.id, len(net.layers))
            continue
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


# ------------------------------------------------------------------------------- unit names
def input_unit(net: NetworkNode) -> str:
    """The unit that reads a network's concatenated input."""
    if net.kind in ("decoder", "conv_decoder"):
        return "pre"
    return "L0" if net.layers else "head"


def next_unit(net: NetworkNode, layer: int) -> str:
    return f"L{layer + 1}" if layer + 1 < len(net.layers) else "head"


__all__ = ["MODES", "InheritanceMap", "NetInheritance", "fresh", "inheritance_map", "input_unit",
           "next_unit", "resolve", "rewired"]
