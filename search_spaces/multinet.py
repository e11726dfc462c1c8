"""The heterogeneous multi-network space, sampled as in the VALP construction.

For each task output, in random order, a network of a kind able to produce that output's type is
created and wired to it; then its input is attached: either to existing compatible sources (task
inputs, earlier networks) or, with probability ``p_grow`` and while the network budget allows, to
a newly grown feeder network whose own input is attached the same way. Growth stops when every
output is produced. Sizes are drawn from the choices below and respect the space's bounds.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from nas_ops.errors import GenomeError
from nas_ops.genome.genome import Genome
from nas_ops.genome.nodes import (
    ACTIVATIONS,
    INITIALIZERS,
    OPTIMIZERS,
    Hyper,
    InputNode,
    Layer,
    NetworkNode,
    OutputNode,
)
from nas_ops.genome.rules import Rules
from nas_ops.genome.validate import validate
from nas_ops.spaces import SearchSpace, TaskSignature

_FEEDERS = ("mlp", "conv_encoder")


def pick(rng: np.random.Generator, options: tuple | list):  # type: ignore[no-untyped-def]
    return options[int(rng.integers(len(options)))]


@dataclass
class MultinetSpace(SearchSpace):
    name: str = "multinet"
    rules: Rules = Rules(max_networks=6, max_layers=3, max_units=128, max_latent=32)
    units: tuple[int, ...] = (8, 16, 32, 64, 128)
    channels: tuple[int, ...] = (4, 8, 16)
    latents: tuple[int, ...] = (2, 4, 8, 16)
    activations: tuple[str, ...] = tuple(a for a in ACTIVATIONS if a != "identity")
    initializers: tuple[str, ...] = INITIALIZERS
    learning_rates: tuple[float, ...] = (3e-4, 1e-3, 3e-3, 1e-2)
    batch_sizes: tuple[int, ...] = (32, 64, 128)
    optimizers: tuple[str, ...] = OPTIMIZERS
    p_grow: float = 0.35
    p_extra_edge: float = 0.25

    # ------------------------------------------------------------- network genes
    def sample_layer(self, kind: str, rng: np.random.Generator) -> Layer:
        conv = kind in ("conv_encoder", "conv_decoder")
        return Layer(
            units=int(pick(rng, self.channels if conv else self.units)),
            activation=str(pick(rng, self.activations)),
            init=str(pick(rng, self.initializers)),
            dropout=float(pick(rng, (0.0, 0.0, 0.1, 0.2))) if not conv else 0.0,
            batchnorm=bool(rng.random() < 0.2),
        )

    def sample_layers(self, kind: str, rng: np.random.Generator) -> tuple[Layer, ...]:
        low = 1 if kind in ("conv_encoder", "conv_decoder") else 0
        n = int(rng.integers(low, self.rules.max_layers + 1))
        return tuple(self.sample_layer(kind, rng) for _ in range(n))

    def sample_network(self, genome: Genome, kind: str, net_id: str, out_size: int,
                       rng: np.random.Generator, out_shape: tuple[int, ...] = ()) -> NetworkNode:
        latent = int(pick(rng, self.latents)) if kind == "decoder" else 0
        return NetworkNode(net_id, kind, self.sample_layers(kind, rng), out_size, latent,
                           tuple(out_shape) if kind == "conv_decoder" else ())

    def sample_hyper(self, rng: np.random.Generator) -> Hyper:
        return Hyper(float(pick(rng, self.learning_rates)), int(pick(rng, self.batch_sizes)),
                     str(pick(rng, self.optimizers)))

    # ------------------------------------------------------------------ growth
    def sample(self, task: TaskSignature, rng: np.random.Generator) -> Genome:
        failure: GenomeError | None = None
        for _ in range(50):  # growth can exhaust the network budget; draw again from the same rng
            builder = _Growth(self, task, rng)
            try:
                for i in rng.permutation(len(task.outputs)):
                    builder.produce(task.outputs[int(i)])
            except GenomeError as exc:
                failure = exc
                continue
            return validate(builder.genome(self.sample_hyper(rng)), self.rules)
        raise GenomeError(f"space {self.name!r} could not sample a genome: {failure}")


class _Growth:
    """Mutable scratch state of one VALP-style sampling."""

    def __init__(self, space: MultinetSpace, task: TaskSignature, rng: np.random.Generator):
        self.space, self.task, self.rng = space, task, rng
        self.inputs = [InputNode(i.name, i.dtype, tuple(i.shape)) for i in task.inputs]
        self.nets: list[NetworkNode] = []
        self.edges: list[tuple[str, str]] = []
        self.out_edges: list[tuple[str, str]] = []
        self.pending = len(task.outputs)  # outputs still to produce: each needs one network
        self.graph = nx.DiGraph()
        self.graph.add_nodes_from(i.id for i in self.inputs)

    def _type(self, node_id: str) -> str:
        for i in self.inputs:
            if i.id == node_id:
                return i.dtype
        kind = next(n.kind for n in self.nets if n.id == node_id)
        return self.space.rules.produces[kind]

    def _new_net(self, kind: str, out_size: int, out_shape: tuple[int, ...] = ()) -> NetworkNode:
        net = self.space.sample_network(self._scratch(), kind, f"n{len(self.nets)}", out_size,
                                        self.rng, out_shape)
        self.nets.append(net)
        self.graph.add_node(net.id)
        return net

    def _scratch(self) -> Genome:
        return Genome(tuple(self.inputs), tuple(self.nets), (), tuple(self.edges))

    def _connect(self, src: str, dst: str) -> None:
        self.edges.append((src, dst))
        self.graph.add_edge(src, dst)

    def produce(self, out: object) -> None:
        rules = self.space.rules
        kinds = [k for k in rules.kinds_producing_for(out.kind)  # type: ignore[attr-defined]
                 if self._feasible(k) and (k != "conv_decoder" or self._spatial_source(out))]
        if not kinds:
            raise GenomeError(f"space {self.space.name!r} has no network kind that can produce "
                              f"output {out.name!r} ({out.kind}) from this task's inputs")  # type: ignore[attr-defined]
        kind = str(pick(self.rng, kinds))
        self.pending -= 1
        shape: tuple[int, ...] = ()
        if kind == "conv_decoder":
            src = getattr(out, "source", None) or self.inputs[0].id
            shape = next(i.shape for i in self.inputs if i.id == src)
        net = self._new_net(kind, out.size, shape)  # type: ignore[attr-defined]
        self._attach(net)
        self.out_edges.append((net.id, out.name))  # type: ignore[attr-defined]

    def _spatial_source(self, out: object) -> bool:
        """Whether the input a conv_decoder would rebuild for ``out`` is a signal or an image."""
        src = getattr(out, "source", None) or self.inputs[0].id
        return any(i.id == src and i.dtype in ("signal", "image") for i in self.inputs)

    def _feasible(self, kind: str) -> bool:
        accepts = self.space.rules.accepts[kind]
        if kind == "conv_encoder":
            return any(i.dtype in accepts for i in self.inputs)
        return True

    def _candidates(self, net: NetworkNode) -> list[str]:
        accepts = self.space.rules.accepts[net.kind]
        blocked = nx.descendants(self.graph, net.id) | {net.id}
        cands = [n for n in self.graph.nodes if n not in blocked and self._type(n) in accepts]
        if net.kind == "conv_encoder":
            cands = [c for c in cands if any(i.id == c for i in self.inputs)]
            shape = next(i.shape[1:] for i in self.inputs if i.id in cands) if cands else None
            cands = [c for c in cands if next(i.shape[1:] for i in self.inputs if i.id == c)
                     == shape]
        return cands

    def _attach(self, net: NetworkNode) -> None:
        space, rng = self.space, self.rng
        cands = self._candidates(net)
        room = len(self.nets) + self.pending < space.rules.max_networks
        if room and net.kind != "conv_encoder" and (not cands or rng.random() < space.p_grow):
            feeders = [k for k in _FEEDERS if self._feasible(k)
                       and space.rules.produces[k] in space.rules.accepts[net.kind]]
            feeder = self._new_net(str(pick(rng, feeders)), int(pick(rng, space.units)))
            self._connect(feeder.id, net.id)  # first, so the feeder cannot take input from net
            self._attach(feeder)
            cands = [c for c in self._candidates(net) if c != feeder.id]
            if cands and rng.random() < space.p_extra_edge:
                self._connect(str(pick(rng, cands)), net.id)
            return
        if not cands:
            raise GenomeError(f"network {net.id} ({net.kind}) has no compatible source and the "
                              f"network budget of {space.rules.max_networks} is spent")
        first = str(pick(rng, cands))
        self._connect(first, net.id)
        rest = [c for c in cands if c != first]
        if rest and rng.random() < space.p_extra_edge:
            self._connect(str(pick(rng, rest)), net.id)

    def genome(self, hyper: Hyper) -> Genome:
        outputs = tuple(OutputNode(o.name, o.kind, o.size) for o in self.task.outputs)
        edges = tuple(self.edges) + tuple(self.out_edges)
        return Genome(tuple(self.inputs), tuple(self.nets), outputs, edges, hyper, "multinet")
