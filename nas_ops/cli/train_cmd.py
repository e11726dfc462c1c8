"""``nas-ops train FILE --task T --epochs E``: train one genome and print per-output metrics."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from nas_ops.cli._io import read_genome
from nas_ops.errors import ConfigError

if TYPE_CHECKING:
    from nas_ops.tasks import Task
    from nas_ops.training import TrainResult


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train one genome and print its per-output metrics")
    p.add_argument("file", help="genome JSON file, or - for stdin")
    p.add_argument("--task", default="mnist1d")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--n-train", type=int, default=None, help="cap on training samples")
    p.add_argument("--json", action="store_true", help="print the full result as JSON")
    p.set_defaults(func=_run)


def format_metrics(task: Task, result: TrainResult) -> str:
    parts = []
    for spec in task.outputs:
        m = result.test[spec.name]
        shown = ", ".join(f"{k}={v:.4f}" for k, v in m.items())
        parts.append(f"    {spec.name:<15} ({spec.kind}) {shown}")
    head = (f"  {result.parameters} params, {result.steps} steps, {result.wall_time_s:.1f} s on "
            f"{result.device}; test metrics:")
    return "\n".join([head, *parts])


def _run(args: argparse.Namespace) -> int:
    from nas_ops.infra.devices import (
        check_device,  # torch: only when a command needs it (fast --help)
    )
    from nas_ops.tasks import load_task
    from nas_ops.training import train

    if args.epochs < 1:
        raise ConfigError(f"--epochs must be >= 1, got {args.epochs}")
    if args.n_train is not None and args.n_train < 1:
        raise ConfigError(f"--n-train must be >= 1 (leave it out to use every sample), "
                          f"got {args.n_train}")
    check_device(args.device)
    genome = read_genome(args.file)
    options = {"n_train": args.n_train} if args.n_train is not None else {}
    task = load_task(args.task, **options)
    result = train(genome, task, epochs=args.epochs, seed=args.seed, device=args.device)
    print(json.dumps(result.to_dict(), indent=2) if args.json else format_metrics(task, result))
    return 0
