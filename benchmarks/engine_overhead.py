"""Cost per offspring of everything but training, at a population of 1,000 (1,000 children a
generation) and at a population of 100 (10 generations of 100 children: the shape of a search
on a tabular benchmark).

A null evaluator answers every request at once (metrics derived from the genome's hash), so
what is timed is selection (DEAP NSGA-II), parent tournaments, the operator policy, variation
(apply + validate + diff + lineage), duplicate detection and the SQLite ledger writes. The same
population size is run through DEAP's own ``eaMuPlusLambda`` on a trivial OneMax problem in the
same process, as the reference of a bare evolutionary loop. The per-child cost is the
difference between a run with and without the timed generations, divided by their children
(the initial population's sampling is not counted; a warm-up search runs first). ``--profile``
also writes the top functions of the population-1,000 run by cumulative time beside the result
(``...-profile-<date>.txt``).
Usage: python benchmarks/engine_overhead.py [--profile]
"""

from __future__ import annotations

import cProfile
import io
import pstats
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
from nas_ops.evaluation import InProcessEvaluator  # noqa: E402
from nas_ops.records import EvalRecord, EvalRequest  # noqa: E402

SHAPES = ((1000, 2), (100, 10))  # (population = offspring per generation, generations timed)


class NullEvaluator(InProcessEvaluator):
    name = "null"

    def answer(self, request: EvalRequest) -> EvalRecord:
        h = (request.seed % 1000) / 1000
        size = sum(len(n["layers"]) + 1 for n in request.genome["networks"])  # a cheap stand-in
        return EvalRecord(uid=request.uid, status="ok",
                          val={"class": {"accuracy": h}, "histogram": {"mse": 1 - h},
                               "reconstruction": {"recon_mse": h * h}},
                          complexity={"parameters": size})


def _search_time(pop: int, generations: int, profile: cProfile.Profile | None = None) -> float:
    cfg = config_from_dict({"seed": 0, "task": {"name": "mnist1d", "n_train": 100},
                            "search": {"population": pop, "offspring": pop,
                                       "generations": max(generations, 1)},
                            "budget": {"max_evals": pop * (1 + generations)},
                            "evaluation": {"inherit_weights": False}})
    with tempfile.TemporaryDirectory() as tmp:
        search = Search(cfg, Path(tmp) / "run", progress=False, evaluator=NullEvaluator())
        start = time.perf_counter()
        if profile is not None:
            profile.enable()
        search.run()
        if profile is not None:
            profile.disable()
        return time.perf_counter() - start


def _deap_time(pop: int, generations: int) -> float:
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
    members = [tb.individual() for _ in range(pop)]
    start = time.perf_counter()
    algorithms.eaMuPlusLambda(members, tb, mu=pop, lambda_=pop, cxpb=0.1, mutpb=0.9,
                              ngen=generations, verbose=False)
    return time.perf_counter() - start


def _ind(cls, fitness):  # type: ignore[no-untyped-def]
    ind = cls(random.getrandbits(1) for _ in range(64))
    ind.fitness = fitness()
    return ind


def _shape(pop: int, gens: int) -> dict[str, float]:
    t0 = _search_time(pop, 0)
    ours = (_search_time(pop, gens) - t0) / (gens * pop)
    deap = _deap_time(pop, gens) / (gens * pop)
    return {"population": pop, "children_timed": gens * pop,
            "ms_per_offspring_nas_ops": ours * 1e3,
            "ms_per_offspring_deap_eaMuPlusLambda_onemax": deap * 1e3,
            "ratio_nas_ops_over_deap": ours / deap}


def _profile(pop: int, gens: int) -> str:
    prof = cProfile.Profile()
    _search_time(pop, gens, prof)
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(40)
    root = str(Path(__file__).resolve().parents[1]) + "/"
    return out.getvalue().replace(root, "")


def main() -> None:
    _search_time(50, 1)  # warm-up: lazy imports (moocore, DEAP's sorting) are not a child's cost
    shapes = [_shape(pop, gens) for pop, gens in SHAPES]
    main_shape = shapes[0]
    payload = {
        "benchmark": "engine_overhead", "shapes": shapes,
        "population": main_shape["population"],
        "ms_per_offspring_nas_ops": main_shape["ms_per_offspring_nas_ops"],
        "ms_per_offspring_deap_eaMuPlusLambda_onemax":
            main_shape["ms_per_offspring_deap_eaMuPlusLambda_onemax"],
        "ratio_nas_ops_over_deap": main_shape["ratio_nas_ops_over_deap"],
        "target_ms_per_offspring": 1.0, "target_ratio": 30.0,
        "meets_target": main_shape["ms_per_offspring_nas_ops"] <= 1.0
        and main_shape["ratio_nas_ops_over_deap"] <= 30.0,
        "note": "null evaluator; nas-ops time includes variation, validation, NSGA-II selection "
                "over 2 x population candidates with 4 objectives, hypervolume, and SQLite "
                "writes with checksums",
    }
    path = write("engine_overhead", payload)
    print(path)
    if "--profile" in sys.argv[1:]:
        profile = path.with_name(path.stem + "-profile.txt")
        profile.write_text(_profile(*SHAPES[0]))
        print(profile)
    for shape in shapes:
        print(shape)


if __name__ == "__main__":
    main()
