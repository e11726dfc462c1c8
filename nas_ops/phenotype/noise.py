"""Keyed training noise: dropout masks and decoder noise as a function of where they are used.

A value is a hash of (model key, optimizer step, draw, position) - a counter-based stream, not
a generator's state - so a model's noise does not depend on what else is computed alongside it.
Sequential training draws it per model; the batched evaluator draws it for a whole group in a
few integer operations (per-model keys broadcast against positions) and gets every model's
values bit for bit. Keys are 32-bit words held in int64 tensors; products are masked back to 32
bits, so CPU and CUDA give the same integers.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import torch
from torch import Tensor, nn

M32 = 0xFFFFFFFF


def _mix(x: Any) -> Any:
    """A 32-bit integer finalizer (xor-shift-multiply) on 32-bit words: Python ints, or int64
    tensors (products wrap, the mask keeps the low 32 bits, which equal the exact ones)."""
    x = x & M32
    x = x ^ (x >> 16)
    x = (x * 0x7FEB352D) & M32
    x = x ^ (x >> 15)
    x = (x * 0x846CA68B) & M32
    return x ^ (x >> 16)


def draw_id(*parts: object) -> int:
    """A stable 32-bit id of one draw site (network id and layer index, or "z")."""
    return int.from_bytes(hashlib.blake2b(repr(parts).encode(), digest_size=4).digest(), "little")


def base(key: Any, step: int, draw: int) -> Any:
    """The stream of one draw site at one step: ``key`` is a 63-bit model key (a Python int, so a
    single model's stream costs no tensor operation) or an int64 tensor of them."""
    lo, hi = key & M32, (key >> 32) & M32
    return _mix(_mix(_mix(lo ^ _mix(hi)) ^ (step & M32)) ^ draw)


def uniform(stream: Any, index: Tensor) -> Tensor:
    """Float32 values in [0, 1) on the 2^-24 grid, one per ``index`` (broadcast with stream)."""
    return (_mix(stream ^ _mix(index)) >> 8).to(torch.float32) * (2.0 ** -24)


def dropout_scale(stream: Any, index: Tensor, keep: Tensor) -> Tensor:
    """What dropout multiplies by: ``1 / keep`` where kept (probability ``keep`` = 1 - p, a
    float32 tensor holding float32(1 - p), broadcast with ``index``), else 0."""
    return (uniform(stream, index) < keep).to(torch.float32) / keep


def normal(stream: Any, index: Tensor) -> Tensor:
    """Standard normal float32 values (Box-Muller on two keyed uniforms per position)."""
    u1 = uniform(stream, 2 * index)
    u2 = uniform(stream, 2 * index + 1)
    return torch.sqrt(-2.0 * torch.log1p(-u1)) * torch.cos((2 * math.pi) * u2)


def positions(shape: tuple[int, ...], device: torch.device) -> Tensor:
    """Row-major position of every element of a tensor of ``shape`` (int64)."""
    return torch.arange(math.prod(shape), device=device).view(shape)


class NoiseState:
    """The key and step a phenotype's noisy modules draw with: set by the training loop to
    ``torch_seed(seed, "train")`` and the optimizer step (key 0, step 0 until then)."""

    def __init__(self) -> None:
        self.key = 0
        self.step = 0

    def stream(self, draw: int) -> int:
        return int(base(self.key, self.step, draw))


class KeyedDropout(nn.Module):
    """Dropout whose mask is keyed by (model key, step, network id, layer index, position)."""

    def __init__(self, p: float, layer: int) -> None:
        super().__init__()
        self.p, self.layer = p, layer
        self.noise = NoiseState()
        self.draw = 0  # set by the phenotype: draw_id(network id, layer)

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0:
            return x
        stream = self.noise.stream(self.draw)
        keep = torch.tensor(1 - self.p, dtype=torch.float32, device=x.device)
        return x * dropout_scale(stream, positions(tuple(x.shape), x.device), keep)

    def extra_repr(self) -> str:
        return f"p={self.p}, layer={self.layer}"
