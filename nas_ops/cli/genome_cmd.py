"""``nas-ops genome sample|validate|show``."""

from __future__ import annotations

import argparse

from nas_ops.cli._io import read_genome
from nas_ops.genome import Genome, complexity, structural_hash, to_json
from nas_ops.genome.nodes import NetworkNode
from nas_ops.genome.shapes import network_cost
from nas_ops.rng import generator
from nas_ops.spaces import get_space


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("genome", help="sample, validate and inspect genomes")
    gsub = p.add_subparsers(dest="genome_command", required=True)
    s = gsub.add_parser("sample", help="print a random genome as JSON")
    s.add_argument("--space", default="multinet")
    s.add_argument("--task", default="mnist1d")
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(func=_sample)
    v = gsub.add_parser("validate", help="check a genome file (or - for stdin)")
    v.add_argument("file")
    v.set_defaults(func=_validate)
    w = gsub.add_parser(
        "show", help="readable summary: nodes, edges, parameters",
        description="One line per node. Layers read [8e+do0.1 64t+bn+do0.2]: per hidden layer "
                    "<units><activation letter> (r relu, t tanh, s sigmoid, e elu, "
                    "l leaky_relu, g gelu, i identity), +bn batch norm, +do<rate> dropout.")
    w.add_argument("file")
    w.set_defaults(func=_show)


def _sample(args: argparse.Namespace) -> int:
    from nas_ops.tasks import load_task  # torch: only when a command needs it (fast --help)

    space = get_space(args.space)
    task = load_task(args.task)
    genome = space.sample(task, generator(args.seed, "sample"))
    print(to_json(genome, indent=2))
    return 0


def _validate(args: argparse.Namespace) -> int:
    genome = read_genome(args.file)
    print(f"valid: {len(genome.networks)} networks, {len(genome.edges)} connections, "
          f"hash {structural_hash(genome)}")
    return 0


def describe(genome: Genome) -> str:
    cx = complexity(genome)
    lines = [f"genome {genome.uid or '(no uid)'}  space={genome.space}  "
             f"hash={structural_hash(genome)[:12]}",
             f"  {cx.parameters} parameters, {cx.networks} networks, {cx.connections} connections,"
             f" depth {cx.depth}, {cx.flops} FLOPs/sample",
             f"  hyper: lr={genome.hyper.learning_rate:g} batch={genome.hyper.batch_size} "
             f"optimizer={genome.hyper.optimizer}"]
    for node_id in genome.topological_order:
        node = genome.node(node_id)
        preds = ", ".join(genome.predecessors(node_id)) or "-"
        if isinstance(node, NetworkNode):
            layers = " ".join(f"{la.units}{la.activation[0]}{'+bn' if la.batchnorm else ''}"
                              f"{f'+do{la.dropout:g}' if la.dropout else ''}" for la in node.layers)
            extra = f" latent={node.latent}" if node.latent else ""
            lines.append(f"  {node_id:<8} {node.kind:<13} <- {preds:<16} layers [{layers}] "
                         f"out={node.out_size}{extra}  {network_cost(genome, node_id)[0]} params")
        elif node_id in genome.output_ids:
            lines.append(f"  {node_id:<8} output {node.kind:<6} <- {preds}  "  # type: ignore[union-attr]
                         f"size={node.size} weight={node.loss_weight:g}")  # type: ignore[union-attr]
        else:
            lines.append(f"  {node_id:<8} input {node.dtype} {list(node.shape)}")  # type: ignore[union-attr]
    return "\n".join(lines)


def _show(args: argparse.Namespace) -> int:
    print(describe(read_genome(args.file)))
    return 0
