"""Allocation as a function of the spatial offset between an output unit and an input unit.

Layout convention: a per-sample shape of one axis ``(L,)`` is purely spatial; a shape with two or
more axes ``(C, *S)`` has channels first and spatial axes ``S``. Input and output must have the
same number of spatial axes (their lengths may differ, e.g. 'valid' convolutions).

Definition: for spatial offset ``d = position(input) - position(output)`` (per axis),
``per_offset[d]`` is the SUM of the pair allocations ``P[(o, i)]`` over all selected outputs ``o``
and all inputs ``i`` (every channel) whose positions differ by ``d``. Offsets run from
``-(L_out - 1)`` to ``L_in - 1`` along each axis (``offsets`` gives the values). Hence
``per_offset.sum() == per_pair.sum()`` (the constant input has no position and is excluded).
For a single-channel stack of convolutions this is exactly 1 at each offset of the receptive field
(see docs/capacity.md); in general it is meaningful for shift-equivariant models.
"""

from __future__ import annotations

import numpy as np


def spatial_axes(shape: tuple[int, ...]) -> tuple[int, ...]:
    """Indices of the spatial axes of a per-sample shape (see module docstring)."""
    return (0,) if len(shape) == 1 else tuple(range(1, len(shape)))


def per_offset_allocation(
    per_pair: np.ndarray,
    out_index: np.ndarray,
    input_shape: tuple[int, ...],
    output_shape: tuple[int, ...],
) -> tuple[np.ndarray, tuple[np.ndarray, ...]] | None:
    """``(per_offset, offsets)`` or None when input and output have no common spatial layout."""
    if len(input_shape) != len(output_shape) or not input_shape:
        return None
    axes = spatial_axes(input_shape)
    l_in = [input_shape[a] for a in axes]
    l_out = [output_shape[a] for a in axes]
    sizes = tuple(a + b - 1 for a, b in zip(l_in, l_out, strict=True))
    in_pos = np.unravel_index(np.arange(per_pair.shape[1]), input_shape)
    out_pos = np.unravel_index(out_index, output_shape)
    total = np.zeros(int(np.prod(sizes)))
    step = max(1, 2**22 // max(1, per_pair.shape[1]))
    for start in range(0, per_pair.shape[0], step):
        rows = slice(start, start + step)
        coords = [
            in_pos[a][None, :] - out_pos[a][rows, None] + (lo - 1)
            for a, lo in zip(axes, l_out, strict=True)
        ]
        flat = np.ravel_multi_index(tuple(coords), sizes)
        total += np.bincount(flat.ravel(), weights=per_pair[rows].ravel(), minlength=total.size)
    offsets = tuple(np.arange(-(lo - 1), li) for li, lo in zip(l_in, l_out, strict=True))
    return total.reshape(sizes), offsets
