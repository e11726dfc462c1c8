"""docs/capacity.md: when a linear conv stack's per-offset profile is a flat 1, and when not."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from nas_ops.metrics.capacity import capacity_allocation

L = 16


def _stack(padding: str, depth: int) -> nn.Module:
    torch.manual_seed(0)
    layers = [nn.Conv1d(1, 1, 3, bias=False, padding=0 if padding == "valid" else 1,
                        padding_mode="zeros" if padding == "valid" else padding)
              for _ in range(depth)]
    return nn.Sequential(*layers).double()


def _x() -> torch.Tensor:
    return torch.randn(1, 1, L, dtype=torch.float64, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize("depth", [2, 3])
def test_valid_padding_is_flat_one(depth: int) -> None:
    res = capacity_allocation(_stack("valid", depth), _x())
    profile = np.asarray(res.per_offset).ravel()
    assert np.allclose(profile[profile > 1e-9], 1.0)
    assert (profile > 1e-9).sum() == 2 * depth + 1


def test_circular_padding_is_one_per_cyclic_offset() -> None:
    res = capacity_allocation(_stack("circular", 3), _x())
    offsets, profile = res.offsets[0], np.asarray(res.per_offset).ravel()
    cyclic = np.zeros(L)
    np.add.at(cyclic, offsets % L, profile)
    assert np.allclose(cyclic[cyclic > 1e-9], 1.0) and (cyclic > 1e-9).sum() == 7


def test_central_output_of_zero_padding_is_flat_one() -> None:
    res = capacity_allocation(_stack("zeros", 2), _x(), outputs=[L // 2])
    per_input = np.asarray(res.per_input).ravel()
    assert np.allclose(per_input[L // 2 - 2 : L // 2 + 3], 1.0)
    assert np.allclose(np.delete(per_input, range(L // 2 - 2, L // 2 + 3)), 0.0)


def test_zero_same_padding_is_not_flat() -> None:
    profile = np.asarray(capacity_allocation(_stack("zeros", 3), _x()).per_offset).ravel()
    inside = profile[profile > 1e-9]
    assert inside.max() - inside.min() > 0.2  # measured 0.76-1.50
