"""Classical 1-D architectures of the capacity papers: (N, 1, L) -> (N, 1, L) maps.

Every builder takes the signal length, an activation ("linear" or "relu") and its own options,
and initialises parameters from a seeded ``torch.Generator`` (no global random state).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from nas_ops.errors import ConfigError

ACTIVATIONS = ("linear", "relu")


def _act(name: str) -> nn.Module:
    if name not in ACTIVATIONS:
        raise ConfigError(
            f"architectures.activation={name!r} is unknown; valid choices: {', '.join(ACTIVATIONS)}"
        )
    return nn.ReLU() if name == "relu" else nn.Identity()


class Dense(nn.Module):
    """A fully connected map on the flattened signal."""

    def __init__(self, length: int, hidden: int, activation: str) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        if hidden > 0:
            layers += [nn.Linear(length, hidden), _act(activation), nn.Linear(hidden, length)]
        else:
            layers += [nn.Linear(length, length)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).unsqueeze(1)


class Residual(nn.Module):
    """``x + inner(x)``: the identity skip is a fixed map and adds no capacity."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.inner(x)


def conv_stack(depth: int, kernel: int, channels: int, activation: str,
               dilations: list[int] | None = None, bias: bool = False) -> nn.Sequential:
    """``depth`` 'same'-padded convolutions; 1 channel in and out, ``channels`` in between."""
    dil = dilations or [1] * depth
    layers: list[nn.Module] = []
    for k in range(depth):
        c_in = 1 if k == 0 else channels
        c_out = 1 if k == depth - 1 else channels
        layers.append(nn.Conv1d(c_in, c_out, kernel, padding="same", dilation=dil[k], bias=bias))
        if k < depth - 1:
            layers.append(_act(activation))
    return nn.Sequential(*layers)


def unet(channels: int, kernel: int, activation: str, bias: bool = False) -> nn.Sequential:
    """Conv, average-pool by 2, conv, nearest upsampling by 2, conv (a one-level U-Net body)."""
    return nn.Sequential(
        nn.Conv1d(1, channels, kernel, padding="same", bias=bias), _act(activation),
        nn.AvgPool1d(2),
        nn.Conv1d(channels, channels, kernel, padding="same", bias=bias), _act(activation),
        nn.Upsample(scale_factor=2),
        nn.Conv1d(channels, 1, kernel, padding="same", bias=bias),
    )


def _opt(spec: dict[str, object], key: str, default: object) -> object:
    return spec.get(key, default)


def _dense(spec: dict[str, object], length: int) -> nn.Module:
    return Dense(length, int(_opt(spec, "hidden", 0)), str(_opt(spec, "activation", "linear")))  # type: ignore[call-overload]


def _conv(spec: dict[str, object], length: int) -> nn.Module:
    del length
    return conv_stack(int(spec.get("depth", 2)), int(spec.get("kernel", 3)),  # type: ignore[call-overload]
                      int(spec.get("channels", 1)), str(spec.get("activation", "linear")),  # type: ignore[call-overload]
                      bias=bool(spec.get("bias", False)))


def _dilated(spec: dict[str, object], length: int) -> nn.Module:
    del length
    depth = int(spec.get("depth", 3))  # type: ignore[call-overload]
    return conv_stack(depth, int(spec.get("kernel", 2)), int(spec.get("channels", 1)),  # type: ignore[call-overload]
                      str(spec.get("activation", "linear")), [2**k for k in range(depth)],
                      bias=bool(spec.get("bias", False)))


def _unet(spec: dict[str, object], length: int) -> nn.Module:
    if length % 2:
        raise ConfigError(f"architectures kind 'unet' needs an even signal_length, got {length}")
    return unet(int(spec.get("channels", 2)), int(spec.get("kernel", 3)),  # type: ignore[call-overload]
                str(spec.get("activation", "linear")), bool(spec.get("bias", False)))


def _residual(spec: dict[str, object], length: int) -> nn.Module:
    return Residual(_conv(spec, length))


BUILDERS: dict[str, Callable[[dict[str, object], int], nn.Module]] = {
    "dense": _dense, "conv": _conv, "dilated": _dilated, "unet": _unet, "residual": _residual,
}
#: options each kind accepts (besides name and kind)
OPTIONS: dict[str, tuple[str, ...]] = {
    "dense": ("hidden", "activation"),
    "conv": ("depth", "kernel", "channels", "activation", "bias"),
    "dilated": ("depth", "kernel", "channels", "activation", "bias"),
    "unet": ("channels", "kernel", "activation", "bias"),
    "residual": ("depth", "kernel", "channels", "activation", "bias"),
}


def build(spec: dict[str, object], length: int, seed: int) -> nn.Module:
    """Build and initialise the architecture of one ``[[architectures]]`` table."""
    kind = str(spec.get("kind"))
    if kind not in BUILDERS:
        raise ConfigError(
            f"architectures.kind={kind!r} is unknown; valid choices: {', '.join(sorted(BUILDERS))}"
        )
    model = BUILDERS[kind](spec, length).double()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            fan_in = p[0].numel() if p.dim() > 1 else 1
            p.copy_(torch.randn(p.shape, generator=gen, dtype=p.dtype) / fan_in**0.5)
    return model
