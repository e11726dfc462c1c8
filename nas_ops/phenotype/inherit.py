"""Weight inheritance by node id.

A child network inherits the tensors of a parent network (the same id unless a mapping says
otherwise). Tensors of equal shape are copied whole; tensors whose shape changed (a resized layer,
a wider input) get the overlapping leading block copied and keep their fresh initialization
elsewhere; tensors with no counterpart keep their fresh initialization.

Tensors are matched by their path inside the network module, which is positional: when a layer
gains or loses batch norm or dropout, the modules after it move, and a tensor is copied only if
the module at the same path in the parent is of the same sort (same tensor names, e.g. a linear
layer's ``weight``/``bias`` never lands in a batch norm). Layer-aware alignment after inserting
or removing layers is :mod:`nas_ops.variation_inherit`'s job.
"""

from __future__ import annotations

import torch
from torch import Tensor

from nas_ops.phenotype.model import Phenotype


def inherit_weights(child: Phenotype, parent_state: dict[str, Tensor],
                    mapping: dict[str, str] | None = None) -> dict[str, str]:
    """Copy parent weights into ``child`` in place; return ``{child_net: full|partial|none}``.

    ``parent_state`` is a parent phenotype's ``state_dict()``; ``mapping`` maps child network ids
    to parent network ids (default: identity for ids present in the parent).
    """
    report: dict[str, str] = {}
    child_state = child.state_dict()
    with torch.no_grad():
        for cid in child.networks:
            pid = (mapping or {}).get(cid, cid)
            prefix_c, prefix_p = f"networks.{cid}.", f"networks.{pid}."
            keys = [k for k in child_state if k.startswith(prefix_c)]
            copied = full = 0
            for key in keys:
                pkey = prefix_p + key[len(prefix_c):]
                src = parent_state.get(pkey)
                dst = child_state[key]
                if src is None or src.dim() != dst.dim() or \
                        _tensor_names(child_state, key) != _tensor_names(parent_state, pkey):
                    continue
                if src.shape == dst.shape:
                    dst.copy_(src)
                    full += 1
                else:
                    block = tuple(slice(0, min(a, b)) for a, b in zip(src.shape, dst.shape,
                                                                      strict=True))
                    dst[block] = src[block].to(dst.dtype)
                copied += 1
            report[cid] = ("none" if copied == 0 else
                           "full" if full == len(keys) else "partial")
    return report


def _tensor_names(state: dict[str, Tensor], key: str) -> frozenset[str]:
    """Names of the tensors of the module owning ``key`` (its sort: linear, conv, batch norm)."""
    module = key.rsplit(".", 1)[0] + "."
    return frozenset(k[len(module):] for k in state
                     if k.startswith(module) and "." not in k[len(module):])
