"""Cost per evaluation of a search on a benchmark table, with its ledger, against a bare numpy
loop doing the same lookups in the same process (issue 22's limit: the engine may cost at most
0.5 ms per evaluation on the 2-core machine), and the same search with CPython's default
collector threshold (nas_ops.infra.collector raises it inside the loop).

Each config of ``studies/bench/`` runs its 1,000 evaluations ``REPEATS`` times after a warm-up
run that loads the table (loading is a one-off of about a second per table, not an
evaluation's cost); the fastest repeat is kept. The headline is a cold run: the process's store
of table genomes (``search_spaces._table.interned``) is emptied before each, as in a fresh
process; "warm" runs keep what earlier runs of the process built, as the runs of a study do.
The bare loop then looks up the very keys the search evaluated, in the same order, reading the
metrics the ``table`` backend reports (``Table.row`` and the column arrays), so the ratio is
what the engine adds to a lookup: variation, validation, hashing, selection, hypervolume and
the SQLite ledger.
Usage: python benchmarks/table_speed.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import tomllib
from pathlib import Path

# run as a script: import from the repository root, not from benchmarks/
sys.path[0] = str(Path(__file__).resolve().parents[1])
from benchmarks._meta import write  # noqa: E402
from nas_ops import load_run  # noqa: E402
from nas_ops.config import config_from_dict  # noqa: E402
from nas_ops.engine.search import Search  # noqa: E402
from nas_ops.infra import collector  # noqa: E402
from nas_ops.spaces import SPACES  # noqa: E402
from nas_ops.tables import get_table  # noqa: E402
from search_spaces._table import forget_interned  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ("studies/bench/nbgraph_cora.toml", "studies/bench/nb201.toml")
REPEATS = 5
TARGET_MS = 0.5
# the columns the table backend reads for one evaluation
COLUMNS = {"nbgraph": ("valid_perf", "perf", "para", "latency"),
           "nb201": ("baseline_accuracy", "analog_accuracy", "analog_drift_2592000")}


def _search(data: dict, out: Path, young: int = collector.YOUNG, cold: bool = True) -> float:
    """Wall time of one search; ``young``: the collector's young-generation threshold inside
    the loop (CPython's default, 700, times the engine without nas_ops' setting); ``cold``:
    from an empty store of table genomes."""
    if cold:
        forget_interned()
    search = Search(config_from_dict(data), out, progress=False)
    kept, collector.YOUNG = collector.YOUNG, young
    try:
        start = time.perf_counter()
        search.run()
        return time.perf_counter() - start
    finally:
        collector.YOUNG = kept


def _bare(table, keys: list, columns: tuple[str, ...]) -> float:  # type: ignore[no-untyped-def]
    arrays = [table.columns[c] for c in columns]
    start = time.perf_counter()
    for key in keys:
        row = table.row(key)
        for a in arrays:
            float(a[row])
    return time.perf_counter() - start


def _shape(config: str) -> dict[str, object]:
    data = tomllib.loads((ROOT / config).read_text())
    with tempfile.TemporaryDirectory() as tmp:
        _search(data, Path(tmp) / "warm")  # loads the table, imports lazily
        times, plain, warm = [], [], []
        for k in range(REPEATS):  # interleaved, so that load drifts hit all alike
            times.append(_search(data, Path(tmp) / f"r{k}"))
            plain.append(_search(data, Path(tmp) / f"p{k}", young=700))
            warm.append(_search(data, Path(tmp) / f"w{k}", cold=False))
        run = load_run(Path(tmp) / "r0")
        space = SPACES.get(data["space"]["name"])
        keys = [space.key_of(i.genome) for i in run.individuals  # type: ignore[attr-defined]
                if i.evaluation is not None and i.evaluation.status == "ok"]
        evals = len([i for i in run.individuals if i.evaluation is not None])
    table = get_table(space.table, data["task"].get("dataset", "cifar10"))
    bare = min(_bare(table, keys, COLUMNS[space.table]) for _ in range(REPEATS)) / len(keys)
    ours = min(times) / evals
    return {"config": config, "algorithm": data["search"]["algorithm"], "evaluations": evals,
            "table_lookups": len(keys), "ms_per_evaluation": ours * 1e3,
            "us_per_bare_numpy_lookup": bare * 1e6, "ratio_engine_over_bare": ours / bare,
            "repeats_ms_per_evaluation": [t / evals * 1e3 for t in times],
            "ms_per_evaluation_default_gc_threshold": min(plain) / evals * 1e3,
            "ms_per_evaluation_warm": min(warm) / evals * 1e3,
            "gc_young_threshold": collector.YOUNG}


def main() -> None:
    shapes = [_shape(c) for c in CONFIGS]
    worst = max(float(s["ms_per_evaluation"]) for s in shapes)  # type: ignore[arg-type]
    payload = {"benchmark": "table_speed", "shapes": shapes, "target_ms_per_evaluation":
               TARGET_MS, "meets_target": worst <= TARGET_MS,
               "load_average_1min": os.getloadavg()[0],
               "note": "wall time of a whole search (variation, validation, hashing, selection, "
                       "hypervolume, SQLite ledger) per evaluation, duplicates included, from "
                       "a cold store of table genomes (warm: what earlier runs built kept); "
                       "the bare loop reads the same keys' metrics from the table's arrays"}
    print(write("table_speed", payload))
    for s in shapes:
        print(s)


if __name__ == "__main__":
    main()
