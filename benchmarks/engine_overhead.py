"""Cost per offspring of everything but training, at a population of 1,000.

A null evaluator answers every request at once (metrics derived from the genome's hash), so
what is timed is selection (DEAP NSGA-II), parent tournaments, the operator policy, variation
(apply + validate + diff + lineage), duplicate detection and the SQLite ledger writes. The same
population size is run through DEAP's own ``eaMuPlusLambda`` on a trivial OneMax problem in the
same process, as the reference of a bare evolutionary loop.
Usage: python benchmarks/engine_overhead.py
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

from deap import algorithms, base, tools

# run as a script: import from the repository root, not from benchmarks/ (whose operators.py
# would shadow the operators package)
sys.path[0] = str(Path(__file__).resolve().parents[1])
from benchmarks._meta import write  # noqa: E402
from nas_ops.config import config_from_dict  # noqa: E402
from nas_ops.engine.search import Search  # noqa: E402
from nas_ops.records import EvalRecord, EvalRequest  # noqa: E402

POP = 1000


class NullEvaluator:
    name = "null"
    workers = 1

    def __init__(self) -> None:
        self.queue: list[EvalRequest] = []

    def submit(self, request: EvalRequest) -> None:
        self.queue.append(request)

    def pending(self) -> int:
        return len(self.queue)

    def as_completed(self):  # type: ignore[no-untyped-def]
        while self.queue:
            req = self.queue.pop(0)
            h = (req.seed % 1000) / 1000
            size = sum(len(n["layers"]) + 1 for n in req.genome["networks"])  # a cheap stand-in
            yield EvalRecord(uid=req.uid, status="ok",
                             val={"class": {"accuracy": h}, "histogram": {"mse": 1 - h},
                                  "reconstruction": {"recon_mse": h * h}},
                             complexity={"parameters": size})

    def close(self) -> None:
        self.queue.clear()


def _search_time(generations: int) -> float:
    cfg = config_from_dict({"seed": 0, "task": {"name": "mnist1d", "n_train": 100},
                            "search": {"population": POP, "offspring": POP,
                                       "generations": max(generations, 1)},
                            "budget": {"max_evals": POP * (1 + generations)},
                            "evaluation": {"inherit_weights": False}})
    with tempfile.TemporaryDirectory() as tmp:
        search = Search(cfg, Path(tmp) / "run", progress=False, evaluator=NullEvaluator())
        start = time.perf_counter()
        search.run()
        return time.perf_counter() - start


def _deap_time(generations: int) -> float:
    rng = random.Random(0)  # eaMuPlusLambda draws from the module-level random; seed a copy
    random.setstate(rng.getstate())
    fitness = type("Max", (base.Fitness,), {"weights": (1.0,)})
    individual = type("Ind", (list,), {})
    tb = base.Toolbox()
    tb.register("individual", lambda: _ind(individual, fitness))
    tb.register("evaluate", lambda ind: (sum(ind),))
    tb.register("mate", tools.cxTwoPoint)
    tb.register("mutate", tools.mutFlipBit, indpb=0.05)
    tb.register("select", tools.selNSGA2)
    pop = [tb.individual() for _ in range(POP)]
    start = time.perf_counter()
    algorithms.eaMuPlusLambda(pop, tb, mu=POP, lambda_=POP, cxpb=0.1, mutpb=0.9,
                              ngen=generations, verbose=False)
    return time.perf_counter() - start


def _ind(cls, fitness):  # type: ignore[no-untyped-def]
    ind = cls(random.getrandbits(1) for _ in range(64))
    ind.fitness = fitness()
    return ind


def main() -> None:
    gens = 2
    t0 = _search_time(0)
    t2 = _search_time(gens)
    ours = (t2 - t0) / (gens * POP)
    deap_total = _deap_time(gens)
    deap = deap_total / (gens * POP)
    payload = {
        "benchmark": "engine_overhead", "population": POP, "offspring_per_generation": POP,
        "generations_timed": gens, "ms_per_offspring_nas_ops": ours * 1e3,
        "ms_per_offspring_deap_eaMuPlusLambda_onemax": deap * 1e3,
        "ratio_nas_ops_over_deap": ours / deap, "target_ms_per_offspring": 1.0,
        "meets_target": ours * 1e3 <= 1.0,
        "note": "null evaluator; nas-ops time includes variation, validation, NSGA-II selection "
                "over 2,000 candidates with 4 objectives, and SQLite writes",
    }
    print(write("engine_overhead", payload))
    for k, v in payload.items():
        print(f"{k}: {v}")


if __name__ == "__main__":
    main()
