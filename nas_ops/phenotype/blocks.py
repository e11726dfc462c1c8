"""Torch building blocks for one sub-network of each kind."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from nas_ops.genome.nodes import Layer, NetworkNode
from nas_ops.genome.shapes import KERNEL, decoder_seed_spatial, pooled
from nas_ops.phenotype.noise import KeyedDropout, NoiseState, normal, positions

_ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "elu": nn.ELU,
    "leaky_relu": nn.LeakyReLU, "gelu": nn.GELU, "identity": nn.Identity,
}


def activation(name: str) -> nn.Module:
    return _ACTIVATIONS[name]()


def is_activation(module: nn.Module) -> bool:
    """Whether ``module`` is the activation of a hidden layer (what :func:`activation` builds)."""
    return isinstance(module, tuple(_ACTIVATIONS.values()))


def init_weight(weight: Tensor, scheme: str) -> None:
    """Initialize ``weight`` in place with a named scheme (uses the ambient torch RNG, which the
    phenotype builder seeds inside ``torch.random.fork_rng``)."""
    with torch.no_grad():
        if scheme == "xavier_uniform":
            nn.init.xavier_uniform_(weight)
        elif scheme == "xavier_normal":
            nn.init.xavier_normal_(weight)
        elif scheme == "kaiming_uniform":
            nn.init.kaiming_uniform_(weight, nonlinearity="relu")
        elif scheme == "kaiming_normal":
            nn.init.kaiming_normal_(weight, nonlinearity="relu")
        elif scheme == "normal":
            nn.init.normal_(weight, std=0.05)
        elif scheme == "uniform":
            nn.init.uniform_(weight, -0.05, 0.05)
        else:  # validated upstream
            raise ValueError(f"unknown initializer {scheme!r}")


def _linear(n_in: int, n_out: int, scheme: str) -> nn.Linear:
    lin = nn.Linear(n_in, n_out)
    init_weight(lin.weight, scheme)
    nn.init.zeros_(lin.bias)
    return lin


def _conv(dims: int, c_in: int, c_out: int, scheme: str) -> nn.Module:
    conv: nn.Conv1d | nn.Conv2d
    conv = (nn.Conv1d if dims == 1 else nn.Conv2d)(c_in, c_out, KERNEL, padding=KERNEL // 2)
    init_weight(conv.weight, scheme)
    assert conv.bias is not None
    nn.init.zeros_(conv.bias)
    return conv


def _post(layer: Layer, dims: int, index: int) -> list[nn.Module]:
    """Batch norm, activation and dropout after weight layer ``index`` (dims 0 = dense)."""
    mods: list[nn.Module] = []
    if layer.batchnorm:
        mods.append((nn.BatchNorm1d if dims <= 1 else nn.BatchNorm2d)(layer.units))
    mods.append(activation(layer.activation))
    if layer.dropout > 0:
        mods.append(KeyedDropout(layer.dropout, index))
    return mods


class DenseNet(nn.Module):
    """mlp and discrete networks: flat input -> hidden layers -> ``out_size`` values."""

    def __init__(self, net: NetworkNode, n_in: int) -> None:
        super().__init__()
        mods: list[nn.Module] = []
        width = n_in
        for i, lay in enumerate(net.layers):
            mods += [_linear(width, lay.units, lay.init), *_post(lay, 0, i)]
            width = lay.units
        mods.append(_linear(width, net.out_size, "xavier_uniform"))
        self.body = nn.Sequential(*mods)

    def forward(self, x: Tensor) -> Tensor:
        return self.body(x)


class DecoderNet(nn.Module):
    """VAE-style decoder: the input is mapped to a mean and log-variance of a latent, which is
    reparameterized (or replaced by N(0, 1) noise when sampling), then decoded by hidden layers."""

    def __init__(self, net: NetworkNode, n_in: int) -> None:
        super().__init__()
        self.latent = net.latent
        self.noise = NoiseState()
        self.draw = 0  # set by the phenotype: draw_id(network id, "z")
        self.encode = _linear(n_in, 2 * net.latent, "xavier_uniform")
        self.decode = DenseNet(net, net.latent)

    def forward(self, x: Tensor, sample: bool = False) -> tuple[Tensor, Tensor]:
        stats = self.encode(x)
        mean, logvar = stats[:, : self.latent], stats[:, self.latent :].clamp(-10.0, 10.0)
        if sample:
            z = torch.randn_like(mean)
        elif self.training:
            noise = normal(self.noise.stream(self.draw),
                           positions(tuple(mean.shape), mean.device))
            z = mean + torch.exp(0.5 * logvar) * noise
        else:
            z = mean
        kl = -0.5 * (1 + logvar - mean.pow(2) - logvar.exp()).mean()
        return self.decode(z), kl


class ConvEncoderNet(nn.Module):
    """Convolutions (kernel 3, 'same' padding) each followed by 2x max pooling while every side is
    at least 4, then a linear map of the flattened features to ``out_size`` values."""

    def __init__(self, net: NetworkNode, channels: int, spatial: tuple[int, ...]) -> None:
        super().__init__()
        dims = len(spatial)
        mods: list[nn.Module] = []
        for i, lay in enumerate(net.layers):
            mods += [_conv(dims, channels, lay.units, lay.init), *_post(lay, dims, i)]
            if pooled(spatial) != spatial:
                mods.append((nn.MaxPool1d if dims == 1 else nn.MaxPool2d)(2))
            channels, spatial = lay.units, pooled(spatial)
        self.features = nn.Sequential(*mods)
        self.head = _linear(channels * math.prod(spatial), net.out_size, "xavier_uniform")

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x).flatten(1))


class ConvDecoderNet(nn.Module):
    """A linear map to a small feature map, then (2x nearest upsampling + convolution) per layer,
    a crop to the target spatial shape and a final convolution to the target channels."""

    def __init__(self, net: NetworkNode, n_in: int) -> None:
        super().__init__()
        out_c, *out_spatial = net.out_shape
        dims = len(out_spatial)
        self.out_spatial = tuple(out_spatial)
        self.seed_shape = (net.layers[0].units, *decoder_seed_spatial(self.out_spatial,
                                                                     len(net.layers)))
        self.project = _linear(n_in, math.prod(self.seed_shape), "xavier_uniform")
        mods: list[nn.Module] = []
        channels = net.layers[0].units
        for i, lay in enumerate(net.layers):
            mods += [nn.Upsample(scale_factor=2, mode="nearest"),
                     _conv(dims, channels, lay.units, lay.init), *_post(lay, dims, i)]
            channels = lay.units
        self.body = nn.Sequential(*mods)
        self.final = _conv(dims, channels, out_c, "xavier_uniform")

    def forward(self, x: Tensor) -> Tensor:
        h = self.body(self.project(x).view(-1, *self.seed_shape))
        h = h[(..., *(slice(0, s) for s in self.out_spatial))]
        return self.final(h).flatten(1)
