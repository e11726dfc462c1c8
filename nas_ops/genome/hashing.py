"""Structural hash: isomorphic genomes (same attributes, any node ids) hash equal."""

from __future__ import annotations

import hashlib
import warnings

import networkx as nx

from nas_ops.genome.genome import Genome
from nas_ops.genome.nodes import InputNode, NetworkNode


def _label(genome: Genome, node_id: str) -> str:
    node = genome.node(node_id)
    if isinstance(node, NetworkNode):
        # ids are not structure: a network is its kind and its genes
        layers = ";".join(f"{la.units},{la.activation},{la.init},{la.dropout!r},{int(la.batchnorm)}"
                          for la in node.layers)
        return f"net|{node.kind}|{node.out_size}|{node.latent}|{node.out_shape}|{layers}"
    if isinstance(node, InputNode):  # inputs and outputs are named by the task: ids matter
        return f"in|{node.id}|{node.dtype}|{node.shape}"
    return f"out|{node.id}|{node.kind}|{node.size}|{node.loss_weight!r}"


def structural_hash(genome: Genome) -> str:
    """A 32-hex Weisfeiler-Lehman hash over node genes and edge slots, plus hyperparameters.

    Edges carry the slot they occupy among their target's inputs, because concatenation order
    changes the function a genome encodes.
    """
    g = nx.DiGraph()
    for nid in genome.node_ids:
        g.add_node(nid, label=_label(genome, nid))
    for nid in genome.node_ids:
        for slot, src in enumerate(genome.predecessors(nid)):
            g.add_edge(src, nid, slot=str(slot))
    with warnings.catch_warnings():  # networkx notes its directed-hash change of v3.5 on each call
        warnings.simplefilter("ignore", UserWarning)
        wl = nx.weisfeiler_lehman_graph_hash(g, node_attr="label", edge_attr="slot",
                                             iterations=4, digest_size=16)
    h = genome.hyper
    extra = f"{wl}|{h.learning_rate!r}|{h.batch_size}|{h.optimizer}|{genome.space}"
    return hashlib.blake2b(extra.encode(), digest_size=16).hexdigest()
