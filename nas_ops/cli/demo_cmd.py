"""``nas-ops demo``: the main job on the embedded default."""

from __future__ import annotations

import argparse

from nas_ops.cli.genome_cmd import describe
from nas_ops.cli.train_cmd import format_metrics
from nas_ops.rng import generator
from nas_ops.spaces import get_space
from nas_ops.tasks import load_task
from nas_ops.training import train


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="sample, train and evaluate a few multi-network genomes")
    p.add_argument("--models", type=int, default=3)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    task = load_task("mnist1d", seed=args.seed)
    space = get_space("multinet")
    print(f"task mnist1d: {len(task.train)} train / {len(task.val)} val / {len(task.test)} test; "
          f"outputs {', '.join(o.name for o in task.outputs)}")
    for k in range(args.models):
        genome = space.sample(task, generator(args.seed, "demo", k))
        print(f"\n[{k + 1}/{args.models}] " + describe(genome))
        result = train(genome, task, epochs=args.epochs, seed=args.seed, sample_score=True)
        print(format_metrics(task, result), flush=True)
    return 0
