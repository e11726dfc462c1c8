"""Closed forms of DOMAIN.md section B."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from capacity_reference import init_, seeded
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from nas_ops.capacity.architectures import Residual
from nas_ops.metrics.capacity import capacity_allocation


def conv_stack(n_layers: int, k: int, padding: str = "valid", seed: int = 0) -> nn.Module:
    layers = [nn.Conv1d(1, 1, k, padding=padding, bias=False) for _ in range(n_layers)]
    return init_(nn.Sequential(*layers), seed)


@pytest.mark.parametrize(("n_layers", "k"), [(1, 3), (2, 3), (3, 5), (4, 2), (2, 7)])
def test_conv_stack_valid_capacity_and_one_per_offset(n_layers: int, k: int) -> None:
    res = capacity_allocation(conv_stack(n_layers, k), torch.randn(1, 1, 40, generator=seeded(1)))
    rf = n_layers * (k - 1) + 1
    assert res.linear and res.ranks == (rf,)
    assert res.total == pytest.approx(rf, abs=1e-8)
    assert res.offsets is not None and res.per_offset is not None
    inside = (res.offsets[0] >= 0) & (res.offsets[0] < rf)
    np.testing.assert_allclose(res.per_offset[inside], 1.0, atol=1e-8)
    np.testing.assert_allclose(res.per_offset[~inside], 0.0, atol=1e-12)
    assert res.bias == 0.0


@pytest.mark.parametrize(("n_layers", "k"), [(2, 3), (3, 3)])
def test_conv_stack_same_padding_capacity(n_layers: int, k: int) -> None:
    res = capacity_allocation(conv_stack(n_layers, k, "same"), torch.ones(1, 1, 48))
    assert res.ranks == (n_layers * (k - 1) + 1,)
    # zero padding truncates intermediate signals, so per offset is only close to 1
    assert res.per_offset is not None
    assert res.per_offset.sum() == pytest.approx(n_layers * (k - 1) + 1, abs=1e-8)


@settings(max_examples=12, deadline=None)
@given(n=st.integers(1, 6), h=st.integers(1, 4), m=st.integers(1, 6), seed=st.integers(0, 99))
def test_linear_bottleneck(n: int, h: int, m: int, seed: int) -> None:
    model = init_(nn.Sequential(nn.Linear(n, h, bias=False), nn.Linear(h, m, bias=False)), seed)
    res = capacity_allocation(model, torch.randn(2, n, generator=seeded(seed)))
    hh = min(h, n, m)
    assert res.ranks == (hh * (m + n - hh),)
    assert res.per_pair is not None
    assert res.per_pair.min() >= -1e-12 and res.per_pair.max() <= 1 + 1e-9


def test_fixed_maps_add_no_capacity() -> None:
    x = torch.randn(1, 1, 32, generator=seeded(2))
    base = capacity_allocation(conv_stack(2, 3, "same"), x)
    skip = capacity_allocation(Residual(conv_stack(2, 3, "same")), x)
    upsample = nn.Upsample(scale_factor=2)
    up = capacity_allocation(nn.Sequential(conv_stack(2, 3, "same"), upsample), x)
    pooled = capacity_allocation(nn.Sequential(nn.AvgPool1d(2), conv_stack(2, 3, "same")),
                                 torch.randn(1, 1, 64, generator=seeded(3)))
    assert base.ranks == skip.ranks == up.ranks == pooled.ranks == (5,)
    assert base.per_pair is not None and skip.per_pair is not None
    np.testing.assert_allclose(skip.per_pair, base.per_pair, atol=1e-10)


def test_rescaling_invariance() -> None:
    model = init_(nn.Sequential(nn.Conv1d(1, 3, 3), nn.Conv1d(3, 1, 5)), 4)
    x = torch.randn(1, 1, 24, generator=seeded(4))
    ref = capacity_allocation(model, x)
    with torch.no_grad():
        model[0].weight *= 7.5
        model[0].bias *= 7.5
        model[1].weight /= 7.5
    res = capacity_allocation(model, x)
    assert ref.ranks == res.ranks
    assert ref.per_pair is not None and res.per_pair is not None
    np.testing.assert_allclose(res.per_pair, ref.per_pair, atol=1e-9)
    assert res.bias == pytest.approx(ref.bias, abs=1e-9)


def test_dilated_stack_spreads_less_than_one() -> None:
    layers = [nn.Conv1d(1, 1, 2, dilation=d, bias=False) for d in (1, 2, 4)]
    res = capacity_allocation(init_(nn.Sequential(*layers), 5), torch.ones(1, 1, 40))
    assert res.ranks == (4,)  # 6 weights minus 2 rescaling symmetries; receptive field 8
    assert res.per_offset is not None
    inside = res.per_offset[(res.offsets[0] >= 0) & (res.offsets[0] < 8)]  # type: ignore[index]
    assert inside.sum() == pytest.approx(4.0, abs=1e-8)
    assert inside.max() < 1 - 1e-6 and inside.min() > 1e-6
