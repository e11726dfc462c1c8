"""Keyed training noise: right distributions, a pure function of (key, step, draw, position)."""

from __future__ import annotations

import math

import torch

from nas_ops.phenotype.noise import (
    KeyedDropout,
    NoiseState,
    base,
    draw_id,
    dropout_scale,
    normal,
    positions,
    uniform,
)


def _stream(key: int, step: int = 0, draw: int = 7) -> torch.Tensor:
    return base(torch.tensor(key), step, draw)


def test_uniform_and_normal_have_their_distributions():
    idx = positions((200_000,), torch.device("cpu"))
    u = uniform(_stream(123), idx)
    assert u.dtype == torch.float32 and float(u.min()) >= 0.0 and float(u.max()) < 1.0
    assert abs(float(u.mean()) - 0.5) < 0.005 and abs(float(u.var()) - 1 / 12) < 0.002
    z = normal(_stream(123), idx)
    assert abs(float(z.mean())) < 0.01 and abs(float(z.std()) - 1.0) < 0.01
    assert abs(float((z.abs() < 1).float().mean()) - math.erf(1 / math.sqrt(2))) < 0.005


def test_values_depend_on_key_step_draw_and_position_only():
    idx = positions((4, 50), torch.device("cpu"))
    a = uniform(_stream(5, step=3), idx)
    assert torch.equal(a, uniform(_stream(5, step=3), idx))
    assert torch.equal(a[2:], uniform(_stream(5, step=3), idx[2:]))  # a slice: the same values
    for other in (_stream(6, step=3), _stream(5, step=4), _stream(5, step=3, draw=8)):
        assert float((uniform(other, idx) == a).float().mean()) < 0.01
    # many keys at once (as the batched evaluator draws) == each key alone
    keys = torch.tensor([5, 2**62 + 11, 0])
    many = uniform(base(keys, 3, 7).view(-1, 1, 1), idx)
    for m, key in enumerate(keys.tolist()):
        assert torch.equal(many[m], uniform(_stream(key, step=3), idx))
        assert base(key, 3, 7) == int(base(torch.tensor(key), 3, 7))  # Python ints: the same


def test_dropout_scale_keeps_the_right_share():
    idx = positions((100_000,), torch.device("cpu"))
    keep = torch.tensor(1 - 0.3, dtype=torch.float32)
    s = dropout_scale(_stream(9), idx, keep)
    assert set(s.unique().tolist()) == {0.0, float(1 / keep)}
    assert abs(float((s > 0).float().mean()) - 0.7) < 0.005


def test_keyed_dropout_module_follows_its_noise_state():
    drop = KeyedDropout(0.5, layer=2)
    drop.draw = draw_id("n1", 2)
    x = torch.ones(8, 16)
    first = drop(x)
    assert torch.equal(first, drop(x))  # same key and step: same mask
    drop.noise.step = 1
    assert not torch.equal(first, drop(x))
    shared = NoiseState()
    drop.noise = shared
    shared.key, shared.step = 0, 0
    assert torch.equal(first, drop(x))
    drop.eval()
    assert drop(x) is x
