"""Structural hash: isomorphic genomes (same attributes, any network ids) hash equal."""

from __future__ import annotations

import hashlib

from nas_ops.genome.genome import Genome
from nas_ops.genome.nodes import InputNode, NetworkNode

_ROUNDS = 4


def node_label(genome: Genome, node_id: str) -> str:
    """The hash's initial label of a node: its genes (a network's id is not part of it)."""
    node = genome.node(node_id)
    if isinstance(node, NetworkNode):
        # ids are not structure: a network is its kind and its genes
        layers = ";".join(f"{la.units},{la.activation},{la.init},{la.dropout!r},{int(la.batchnorm)}"
                          for la in node.layers)
        return f"net|{node.kind}|{node.out_size}|{node.latent}|{node.out_shape}|{layers}"
    if isinstance(node, InputNode):  # inputs and outputs are named by the task: ids matter
        return f"in|{node.id}|{node.dtype}|{node.shape}"
    return f"out|{node.id}|{node.kind}|{node.size}|{node.loss_weight!r}"


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _label_digest(genome: Genome, node_id: str) -> str:
    """The digest of :func:`node_label`, kept on the (frozen) node record: a child shares most
    of its node records with its parent, so each is digested once."""
    node = genome.node(node_id)
    found = node.__dict__.get("_label_digest")
    if found is None:
        found = _digest(node_label(genome, node_id))
        object.__setattr__(node, "_label_digest", found)
    return str(found)


def structural_hash(genome: Genome) -> str:
    """A 32-hex Weisfeiler-Lehman hash over node genes and edge slots, plus hyperparameters.

    Each round relabels a node with its label, the labels of its predecessors in slot order
    (concatenation order changes the function a genome encodes) and the sorted labels of its
    successors tagged with the slot the node occupies in each. The hash is over the multiset of
    labels of every round.
    """
    ids = genome.node_ids
    index = {nid: k for k, nid in enumerate(ids)}
    preds = [[index[p] for p in genome.predecessors(nid)] for nid in ids]
    succ_slots: list[list[tuple[int, str]]] = [[] for _ in ids]
    for k, sources in enumerate(preds):
        for slot, src in enumerate(sources):
            succ_slots[src].append((k, f"@{slot}"))
    labels = [_label_digest(genome, nid) for nid in ids]
    history = sorted(labels)
    blake2b, join = hashlib.blake2b, ",".join
    for _ in range(_ROUNDS):
        relabelled = []
        for k, sources in enumerate(preds):  # one predecessor or successor: no join, no sort
            into = labels[sources[0]] if len(sources) == 1 else join([labels[p] for p in sources])
            slots = succ_slots[k]
            out = (labels[slots[0][0]] + slots[0][1] if len(slots) == 1
                   else join(sorted([labels[s] + slot for s, slot in slots])))
            relabelled.append(blake2b(f"{labels[k]}|{into}|{out}".encode(),
                                      digest_size=16).hexdigest())
        labels = relabelled
        history += sorted(labels)
    h = genome.hyper
    return _digest(f"{'.'.join(history)}|{h.learning_rate!r}|{h.batch_size}|{h.optimizer}|"
                   f"{genome.space}")
