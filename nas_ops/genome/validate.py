"""Genome validation: every rule broken is named with the node that breaks it."""

from __future__ import annotations

import math

import networkx as nx

from nas_ops.errors import GenomeError
from nas_ops.genome.genome import Genome
from nas_ops.genome.nodes import (
    ACTIVATIONS,
    DATA_TYPES,
    INITIALIZERS,
    OPTIMIZERS,
    OUTPUT_KINDS,
    InputNode,
    NetworkNode,
    OutputNode,
)
from nas_ops.genome.rules import DEFAULT_RULES, Rules

_SHAPE_DIMS = {"vector": 1, "signal": 2, "image": 3}
MAX_BATCH_SIZE = 2**20  # hyper.batch_size: a typo guard (a batch larger than the data is the data)


def _fail(node: str, what: str, rule: str) -> GenomeError:
    return GenomeError(f"genome invalid: node {node!r}: {what} [rule: {rule}]")


def validate(genome: Genome, rules: Rules | None = None) -> Genome:
    """Check every structural rule; return the genome unchanged or raise :class:`GenomeError`.

    A genome found valid under ``rules`` (the very object) is not checked again: the rules it
    passed are kept on the (immutable) instance, and its copies with another lineage."""
    rules = rules or DEFAULT_RULES
    passed: list[Rules] = genome.kept("_valid_under", lambda _: [])
    if any(r is rules for r in passed):
        return genome
    _check(genome, rules)
    passed.append(rules)
    return genome


def _check(genome: Genome, rules: Rules) -> None:
    genome.node_ids  # noqa: B018 - builds the id map, which rejects duplicate ids
    _check_hyper(genome)
    for inp in genome.inputs:
        _check_input(inp)
    for net in genome.networks:
        _check_network(net, rules)
    for out in genome.outputs:
        _check_output(out)
    if not genome.inputs or not genome.outputs:
        raise _fail("(genome)", "needs at least one input and one output", "non-empty")
    if len(genome.networks) > rules.max_networks:
        raise _fail("(genome)", f"{len(genome.networks)} networks, at most {rules.max_networks}",
                    "bounds")
    _check_edges(genome)
    _check_reachability(genome)
    _check_types_and_sizes(genome, rules)
    rules.check(genome)  # the space's own rules, if it has any (see Rules.check)


def _check_hyper(genome: Genome) -> None:
    h = genome.hyper
    if not (math.isfinite(h.learning_rate) and h.learning_rate > 0):
        raise _fail("(hyper)", f"learning_rate {h.learning_rate} must be > 0", "hyperparameters")
    if not 1 <= h.batch_size <= MAX_BATCH_SIZE:
        raise _fail("(hyper)", f"batch_size {h.batch_size} must be in [1, {MAX_BATCH_SIZE}]",
                    "hyperparameters")
    if h.optimizer not in OPTIMIZERS:
        raise _fail("(hyper)", f"optimizer {h.optimizer!r} unknown; valid: {', '.join(OPTIMIZERS)}",
                    "known values")


def _check_input(inp: InputNode) -> None:
    if inp.dtype not in DATA_TYPES:
        raise _fail(inp.id, f"data type {inp.dtype!r} unknown; valid: {', '.join(DATA_TYPES)}",
                    "known values")
    if len(inp.shape) != _SHAPE_DIMS[inp.dtype] or min(inp.shape, default=0) < 1:
        raise _fail(inp.id, f"shape {list(inp.shape)} does not fit data type {inp.dtype!r}",
                    "input shape")


def _check_network(net: NetworkNode, rules: Rules) -> None:
    if net.kind not in rules.network_kinds:
        raise _fail(net.id, f"network kind {net.kind!r} unknown; valid: "
                    f"{', '.join(rules.network_kinds)}", "known values")
    if not net.layers and net.kind in ("conv_encoder", "conv_decoder"):
        raise _fail(net.id, f"a {net.kind} needs at least one layer", "bounds")
    if len(net.layers) > rules.max_layers:
        raise _fail(net.id, f"{len(net.layers)} layers, at most {rules.max_layers}", "bounds")
    for j, lay in enumerate(net.layers):
        where = f"layer {j}"
        if not rules.min_units <= lay.units <= rules.max_units:
            raise _fail(net.id, f"{where} has {lay.units} units, allowed {rules.min_units}.."
                        f"{rules.max_units}", "bounds")
        if lay.activation not in ACTIVATIONS:
            raise _fail(net.id, f"{where} activation {lay.activation!r} unknown; valid: "
                        f"{', '.join(ACTIVATIONS)}", "known values")
        if lay.init not in INITIALIZERS:
            raise _fail(net.id, f"{where} initializer {lay.init!r} unknown; valid: "
                        f"{', '.join(INITIALIZERS)}", "known values")
        if not 0.0 <= lay.dropout < 1.0:
            raise _fail(net.id, f"{where} dropout {lay.dropout} outside [0, 1)", "bounds")
    if net.out_size < 1:
        raise _fail(net.id, f"out_size {net.out_size} must be >= 1", "bounds")
    if net.kind == "decoder" and not 1 <= net.latent <= rules.max_latent:
        raise _fail(net.id, f"decoder latent {net.latent} outside 1..{rules.max_latent}", "bounds")
    if net.kind != "decoder" and net.latent != 0:
        raise _fail(net.id, f"only decoders have a latent (got {net.latent})", "bounds")
    if net.kind == "conv_decoder" and (len(net.out_shape) not in (2, 3)
                                       or math.prod(net.out_shape) != net.out_size):
        raise _fail(net.id, f"conv_decoder out_shape {list(net.out_shape)} must be (C, L) or "
                    f"(C, H, W) with product out_size {net.out_size}", "sizes")


def _check_output(out: OutputNode) -> None:
    if out.kind not in OUTPUT_KINDS:
        raise _fail(out.id, f"output kind {out.kind!r} unknown; valid: {', '.join(OUTPUT_KINDS)}",
                    "known values")
    if out.size < 1:
        raise _fail(out.id, f"size {out.size} must be >= 1", "bounds")
    if not (math.isfinite(out.loss_weight) and out.loss_weight >= 0):
        raise _fail(out.id, f"loss weight {out.loss_weight} must be finite and >= 0", "bounds")


def _check_edges(genome: Genome) -> None:
    seen: set[tuple[str, str]] = set()
    for src, dst in genome.edges:
        for end in (src, dst):
            if not genome.has_node(end):
                raise _fail(end, f"edge {src}->{dst} names a node that does not exist",
                            "edges name nodes")
        if src == dst:
            raise _fail(src, "connects to itself", "acyclic")
        if (src, dst) in seen:
            raise _fail(dst, f"edge {src}->{dst} appears twice", "no duplicate edges")
        seen.add((src, dst))
        if isinstance(genome.node(dst), InputNode):
            raise _fail(dst, f"input receives an edge from {src!r}", "inputs have no predecessors")
        if isinstance(genome.node(src), OutputNode):
            raise _fail(src, f"output feeds {dst!r}", "outputs have no successors")
    if not genome.is_acyclic:
        cycle = nx.find_cycle(genome.graph)
        path = " -> ".join([cycle[0][0], *(e[1] for e in cycle)])
        raise _fail(cycle[0][0], f"cycle {path}", "acyclic")


def _check_reachability(genome: Genome) -> None:
    from_inputs: set[str] = set()
    for inp in genome.inputs:
        from_inputs |= genome.descendants(inp.id)
    for out in genome.outputs:
        if out.id not in from_inputs:
            raise _fail(out.id, "is not reachable from any input", "outputs reachable")
    reaching: set[str] = set()  # every node with a path to an output
    for out in genome.outputs:
        reaching |= genome.ancestors(out.id)
    for net in genome.networks:
        if not genome.predecessors(net.id):
            raise _fail(net.id, "has no input connection", "networks have inputs")
        if net.id not in reaching:
            raise _fail(net.id, "reaches no output", "networks reach an output")


def produced(genome: Genome, node_id: str, rules: Rules) -> str:
    """The data type flowing out of ``node_id``."""
    node = genome.node(node_id)
    if isinstance(node, InputNode):
        return node.dtype
    if isinstance(node, NetworkNode):
        return rules.produces[node.kind]
    raise _fail(node_id, "outputs produce nothing downstream", "outputs have no successors")


def _check_types_and_sizes(genome: Genome, rules: Rules) -> None:
    for net in genome.networks:
        preds = genome.predecessors(net.id)
        for src in preds:
            dtype = produced(genome, src, rules)
            if dtype not in rules.accepts[net.kind]:
                raise _fail(net.id, f"a {net.kind} cannot take {dtype!r} data from {src!r}; it "
                            f"takes {', '.join(sorted(rules.accepts[net.kind]))}", "types")
        if net.kind == "conv_encoder":
            shapes = {genome.node(s).shape[1:] for s in preds}  # type: ignore[union-attr]
            if len(shapes) > 1:
                raise _fail(net.id, f"conv_encoder inputs differ in spatial shape: "
                            f"{sorted(shapes)}", "sizes")
    for out in genome.outputs:
        for src in genome.predecessors(out.id):
            dtype = produced(genome, src, rules)
            if dtype not in rules.output_accepts[out.kind]:
                raise _fail(out.id, f"a {out.kind} output cannot take {dtype!r} data from {src!r};"
                            f" it takes {', '.join(sorted(rules.output_accepts[out.kind]))}",
                            "types")
            src_net = genome.node(src)
            if isinstance(src_net, NetworkNode) and src_net.out_size != out.size:
                raise _fail(out.id, f"network {src!r} produces {src_net.out_size} values, the "
                            f"output needs {out.size}", "sizes")
