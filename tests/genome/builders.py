"""Hand-built genomes and task signatures shared by the foundation tests (no data, no torch)."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any

from nas_ops.genome import Genome, Hyper, InputNode, Layer, NetworkNode, OutputNode
from nas_ops.tasks import InputSpec, OutputSpec


def signature(shape: tuple[int, ...], dtype: str, bins: int = 32) -> SimpleNamespace:
    """The paper task's inputs and outputs for one input of ``shape`` (what sampling needs)."""
    size = 1
    for s in shape:
        size *= s
    return SimpleNamespace(
        name=f"{dtype}{list(shape)}",
        inputs=(InputSpec("x", dtype, shape),),  # type: ignore[arg-type]
        outputs=(OutputSpec("class", "classification", 10),
                 OutputSpec("histogram", "regression", bins),
                 OutputSpec("reconstruction", "generation", size, source="x")))


SIGNATURES = {
    "mnist1d": signature((1, 40), "signal"),
    "digits": signature((1, 8, 8), "image"),
    "mnist28": signature((1, 28, 28), "image"),
    "vector": signature((20,), "vector"),
}

_OUTPUTS = (OutputNode("class", "classification", 10), OutputNode("histogram", "regression", 32),
            OutputNode("reconstruction", "generation", 40))
_X = (InputNode("x", "signal", (1, 40)),)
MLP_HYPER = Hyper(1e-3, 64, "adam")
MULTINET_HYPER = Hyper(3e-3, 32, "adam")


def mlp_genome(class_layers: tuple[Layer, ...] = (Layer(128), Layer(128)), *,
               hist_layers: tuple[Layer, ...] = (Layer(32),),
               recon_layers: tuple[Layer, ...] = (Layer(64),),
               hyper: Hyper = MLP_HYPER) -> Genome:
    """An ``mlp``-space genome for mnist1d: one dense network per output, each reading ``x``."""
    nets = (NetworkNode("c", "discrete", class_layers, 10),
            NetworkNode("h", "mlp", hist_layers, 32),
            NetworkNode("r", "mlp", recon_layers, 40))
    edges = (("x", "c"), ("x", "h"), ("x", "r"), ("c", "class"), ("h", "histogram"),
             ("r", "reconstruction"))
    return Genome(_X, nets, _OUTPUTS, edges, hyper, "mlp")


def multinet_genome(hyper: Hyper = MULTINET_HYPER) -> Genome:
    """A multinet genome for mnist1d using a shared conv encoder, a decoder and batch norm."""
    nets = (NetworkNode("enc", "conv_encoder", (Layer(8, batchnorm=True),), 32),
            NetworkNode("cls", "discrete", (Layer(32, dropout=0.1),), 10),
            NetworkNode("hist", "mlp", (Layer(16, batchnorm=True),), 32),
            NetworkNode("dec", "decoder", (Layer(32),), 40, latent=4))
    edges = (("x", "enc"), ("enc", "cls"), ("enc", "hist"), ("x", "hist"), ("cls", "dec"),
             ("cls", "class"), ("hist", "histogram"), ("dec", "reconstruction"))
    return Genome(_X, nets, _OUTPUTS, edges, hyper, "multinet")


def base_dict() -> dict[str, Any]:
    """JSON form of a small valid multinet genome, to be broken by the malformed-genome tests."""
    return {
        "schema": 1, "space": "multinet",
        "hyper": {"learning_rate": 1e-3, "batch_size": 32, "optimizer": "adam"},
        "inputs": [{"id": "x", "dtype": "signal", "shape": [1, 40]}],
        "networks": [
            {"id": "enc", "kind": "conv_encoder", "out_size": 16, "layers": [{"units": 4}]},
            {"id": "cls", "kind": "discrete", "out_size": 10, "layers": [{"units": 16}]},
            {"id": "hist", "kind": "mlp", "out_size": 32, "layers": []},
            {"id": "dec", "kind": "decoder", "out_size": 40, "latent": 4,
             "layers": [{"units": 16}]},
        ],
        "outputs": [{"id": "class", "kind": "classification", "size": 10},
                    {"id": "histogram", "kind": "regression", "size": 32},
                    {"id": "reconstruction", "kind": "generation", "size": 40}],
        "edges": [["x", "enc"], ["enc", "cls"], ["enc", "hist"], ["enc", "dec"],
                  ["cls", "class"], ["hist", "histogram"], ["dec", "reconstruction"]],
    }


def relabel(genome: Genome, prefix: str = "net_") -> Genome:
    """An isomorphic copy: every network renamed consistently and declared in reverse order."""
    names = {n.id: f"{prefix}{k}" for k, n in enumerate(reversed(genome.networks))}

    def r(node_id: str) -> str:
        return names.get(node_id, node_id)

    nets = tuple(dataclasses.replace(n, id=r(n.id)) for n in reversed(genome.networks))
    return genome.replace(networks=nets, edges=tuple((r(a), r(b)) for a, b in genome.edges))
