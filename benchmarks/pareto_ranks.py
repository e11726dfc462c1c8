"""Cost of the Pareto ranks of a pool: ``nas_ops.pareto.front_ranks`` against DEAP's
``sortLogNondominated`` on the same points (the ranks are checked equal).

Points: independent normal objectives, maximised and minimised in turn ("random", about 13
fronts at 2,000 points of 4 objectives), and strongly correlated ones, all maximised
("correlated", hundreds of fronts). Each time is the
best and the median of ``REPEATS`` calls (DEAP: of 3). The engine ranks a pool of up to
population + offspring members: 2,000 at a population of 1,000.
Usage: python benchmarks/pareto_ranks.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from deap import tools

# run as a script: import from the repository root, not from benchmarks/ (whose operators.py
# would shadow the operators package)
sys.path[0] = str(Path(__file__).resolve().parents[1])
from benchmarks._meta import write  # noqa: E402
from nas_ops.pareto import Member, fitness_class, front_ranks  # noqa: E402

REPEATS = 50
SHAPES = [(200, 4), (1000, 4), (2000, 2), (2000, 3), (2000, 4), (2000, 5)]


def _times(fn: Callable[[], object], repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1e3)
    return out


def _case(n: int, m: int, kind: str) -> dict[str, object]:
    rng = np.random.default_rng([n, m, len(kind)])
    values = rng.normal(size=(n, m))
    weights = tuple(1.0 if k % 2 == 0 else -1.0 for k in range(m))
    if kind == "correlated":  # every objective maximised: long chains, many fronts
        values = values[:, :1] + 0.05 * values
        weights = (1.0,) * m
    ours = _times(lambda: front_ranks(values, weights), REPEATS)
    cls = fitness_class(weights)
    members = [Member(str(i), row, cls) for i, row in enumerate(values.tolist())]
    deap = _times(lambda: tools.sortLogNondominated(members, n), 3)
    fronts = tools.sortLogNondominated(members, n)
    rank = {m.uid: r for r, front in enumerate(fronts) for m in front}
    ranks = front_ranks(values, weights)
    assert ranks == [rank[str(i)] for i in range(n)]
    return {"points": n, "objectives": m, "kind": kind, "fronts": max(ranks) + 1,
            "ms_best": round(min(ours), 3), "ms_median": round(statistics.median(ours), 3),
            "deap_ms_best": round(min(deap), 2)}


def main() -> None:
    load = os.getloadavg()[0]
    cases = [_case(n, m, kind) for n, m in SHAPES for kind in ("random", "correlated")]
    payload = {"benchmark": "pareto_ranks", "load_average_at_start": round(load, 2),
               "repeats": REPEATS, "target_ms_2000x4": 10.0, "cases": cases}
    print(write("pareto_ranks", payload))
    for c in cases:
        print(c)


if __name__ == "__main__":
    main()
