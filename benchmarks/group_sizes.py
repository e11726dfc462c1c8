"""How many offspring of a real search the batched evaluator can train together.

A generational NSGA-II search on the multinet space (uniform operator policy, null evaluator:
metrics derived from the genome, so only breeding runs) records the offspring submitted in each
generation; they are grouped by the batched evaluator's topology signature
(``batched.plan.signature``) and, as an upper bound on what looser grouping could reach, by a
relaxed key that ignores the layer count of dense (mlp) networks and the order of networks and
edges. Reported per population size: offspring per generation, how many share a group with at
least one other, and the largest groups.

Usage: python benchmarks/group_sizes.py [--populations 64 256] [--generations 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])  # not benchmarks/ (operators.py shadows)
from benchmarks._meta import write  # noqa: E402
from benchmarks.engine_overhead import NullEvaluator  # noqa: E402
from nas_ops.config import config_from_dict  # noqa: E402
from nas_ops.engine.search import Search  # noqa: E402
from nas_ops.evaluation.batched.plan import signature  # noqa: E402
from nas_ops.genome import from_dict  # noqa: E402
from nas_ops.records import EvalRequest  # noqa: E402


class Recorder(NullEvaluator):
    """The null evaluator, keeping each batch of submitted requests."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[EvalRequest]] = []

    def as_completed(self):  # type: ignore[no-untyped-def]
        if self.queue:
            self.batches.append(list(self.queue))
        yield from super().as_completed()


def relaxed(req: EvalRequest) -> tuple | None:
    """Signature without mlp depths, network order and edges: an upper bound on grouping."""
    sig = signature(req)
    if sig is None:
        return None
    g = from_dict(req.genome)
    nets = sorted((n.kind, 0 if n.kind == "mlp" else len(n.layers), str(n.out_shape))
                  for n in g.networks)
    return (*sig[:9], tuple(nets), sig[11], len(g.edges))


def grouping(batch: list[EvalRequest], key) -> dict:  # type: ignore[no-untyped-def]
    sizes = sorted(Counter(key(r) for r in batch).values(), reverse=True)
    return {"offspring": len(batch), "in_groups": sum(s for s in sizes if s > 1),
            "largest": sizes[:5]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--populations", type=int, nargs="+", default=[64, 256])
    ap.add_argument("--generations", type=int, default=3)
    args = ap.parse_args()
    rows = []
    for pop in args.populations:
        cfg = config_from_dict({"seed": 0, "task": {"name": "mnist1d", "n_train": 100},
                                "search": {"population": pop, "offspring": pop,
                                           "generations": args.generations},
                                "evaluation": {"inherit_weights": False}})
        ev = Recorder()
        with tempfile.TemporaryDirectory() as tmp:
            Search(cfg, Path(tmp) / "run", progress=False, evaluator=ev).run()
        for gen, batch in enumerate(ev.batches[1:], start=1):  # batch 0: the initial population
            row = {"population": pop, "generation": gen,
                   "signature": grouping(batch, signature), "relaxed": grouping(batch, relaxed)}
            rows.append(row)
            print(row, flush=True)
    share = [r["signature"]["in_groups"] / r["signature"]["offspring"] for r in rows]
    path = write("group_sizes", {
        "task": "mnist1d", "space": "multinet", "algorithm": "nsga2", "policy": "uniform",
        "generations": rows, "share_in_groups_min": min(share), "share_in_groups_max": max(share),
        "note": "offspring of one generation grouped by the batched evaluator's signature; "
                "'relaxed' ignores mlp depth, network order and edges (an upper bound)"})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
