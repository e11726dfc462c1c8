"""Node records of a genome: inputs, sub-networks (with layer genomes), outputs, hyperparameters.

All records are frozen dataclasses holding only JSON-able values, so a genome can cross a process
boundary as plain data. The vocabularies below (network kinds, activations, ...) are the ones the
phenotype knows how to build; a search space chooses which of them it samples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod

DATA_TYPES = ("vector", "signal", "image")
NETWORK_KINDS = ("mlp", "discrete", "decoder", "conv_encoder", "conv_decoder")
OUTPUT_KINDS = ("classification", "regression", "generation")
# The metric that ranks models on an output of each kind, and whether it is maximized.
PRIMARY_METRICS: dict[str, tuple[str, bool]] = {
    "classification": ("accuracy", True), "regression": ("mse", False),
    "generation": ("recon_mse", False)}
# The metrics a generation output may be ranked by (task.sample_metric), and whether each is
# maximized: the reconstruction error, or a sample-quality metric of generated samples
# (nas_ops.tasks.sample_quality).
GENERATION_METRICS: dict[str, bool] = {"recon_mse": False, "frechet": False, "precision": True,
                                       "recall": True}


def primary_metric(kind: str, sample_metric: str = "recon_mse") -> tuple[str, bool]:
    """(metric, maximized) that ranks an output of ``kind``; a generation output is ranked by
    ``sample_metric`` (one of :data:`GENERATION_METRICS`)."""
    if kind == "generation":
        return sample_metric, GENERATION_METRICS[sample_metric]
    return PRIMARY_METRICS[kind]
ACTIVATIONS = ("relu", "tanh", "sigmoid", "elu", "leaky_relu", "gelu", "identity")
INITIALIZERS = ("xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "normal",
                "uniform")
OPTIMIZERS = ("adam", "sgd", "rmsprop")
SPATIAL_KINDS = ("conv_encoder", "conv_decoder")


@dataclass(frozen=True)
class Layer:
    """One hidden layer: units (channels for convolutional kinds) and its per-layer genes."""

    units: int
    activation: str = "relu"
    init: str = "xavier_uniform"
    dropout: float = 0.0
    batchnorm: bool = False


@dataclass(frozen=True)
class InputNode:
    """A typed data input; ``id`` is the task input's name."""

    id: str
    dtype: str
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        return prod(self.shape)


@dataclass(frozen=True)
class NetworkNode:
    """A sub-network with its own genome.

    ``out_size`` is the width of the flat vector it produces. ``latent`` is the latent width of a
    ``decoder`` (0 for other kinds). ``out_shape`` is the spatial shape a ``conv_decoder`` produces
    (channels first); its ``out_size`` is the product of that shape.
    """

    id: str
    kind: str
    layers: tuple[Layer, ...]
    out_size: int
    latent: int = 0
    out_shape: tuple[int, ...] = field(default=())

    def with_layers(self, layers: tuple[Layer, ...]) -> NetworkNode:
        """A copy with these hidden layers (id, kind, sizes and shape kept)."""
        return NetworkNode(self.id, self.kind, tuple(layers), self.out_size, self.latent,
                           self.out_shape)


@dataclass(frozen=True)
class OutputNode:
    """A typed model output; ``id`` is the task output's name. Its value is the sum of the outputs
    of the networks feeding it (each must produce exactly ``size`` values)."""

    id: str
    kind: str
    size: int
    loss_weight: float = 1.0


@dataclass(frozen=True)
class Hyper:
    """Genome-level training hyperparameters."""

    learning_rate: float = 1e-3
    batch_size: int = 64
    optimizer: str = "adam"


Node = InputNode | NetworkNode | OutputNode
