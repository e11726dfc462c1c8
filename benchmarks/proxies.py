"""Benchmark: how well zero-cost proxies rank untrained multinet models by trained performance.

``--n`` genomes are sampled from the multinet space on the quickstart task (studies/quickstart.toml:
mnist1d with 2,000 training samples). Each is scored at its initialization by every proxy of
``nas_ops.metrics.proxies.score`` (seed = its evaluation seed, so the scored weights are the ones
training starts from; one mini-batch shared by all genomes), then trained under the quickstart
budget (10 epochs) by the search's own evaluation path (``nas_ops.evaluation.run_request``).

Reported per output and proxy: Kendall tau (scipy.stats.kendalltau, tau-b) between the proxy and
the trained primary validation metric, signed so that a positive tau means a higher proxy predicts
a better output; a 95 % percentile-bootstrap interval over genomes (numpy generator of the seed);
and the paired bootstrap difference to ``params`` (the parameters of the output's subgraph: the
"bigger is better" baseline that a useful proxy must beat). Failed trainings are left out and
counted; naswot's -inf (singular kernel) ranks lowest, and its count is reported.

Resumable: each genome's proxies and training record go to ``<work>/genomes/<i>.json`` as soon as
they exist, and a rerun skips the genomes already there (the settings must match the work dir's).

Run: ``PYTHONPATH=. python benchmarks/proxies.py [--n 200] [--workers 2]``; it writes
benchmarks/results/proxies-<date>.json (or ``--out PATH``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import kendalltau, rankdata

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # not benchmarks/ (operators.py shadows)
from benchmarks._meta import header, write  # noqa: E402
from nas_ops import load_config  # noqa: E402
from nas_ops.infra.files import write_atomic  # noqa: E402
from nas_ops.metrics.proxies import PROXIES as REGISTERED  # noqa: E402
from nas_ops.rng import generator, torch_seed  # noqa: E402

PROXIES = tuple(REGISTERED.in_order())  # every registered proxy, in the order score computes


def settings_from(args: argparse.Namespace) -> dict[str, Any]:
    quick = load_config(ROOT / "studies" / "quickstart.toml")
    options = dict(quick.task.options)
    if args.n_train is not None:
        options["n_train"] = args.n_train
    return {"seed": args.seed, "task": quick.task.name, "task_options": options,
            "space": quick.space.name, "epochs": args.epochs or quick.budget.epochs,
            "batch_size": args.batch_size, "device": args.device}


def evaluate_one(index: int, settings: dict[str, Any], path: str) -> dict[str, Any]:
    """Score and train genome ``index``; write its cache file; return the entry."""
    import torch

    from nas_ops.evaluation import EvalRequest, run_request
    from nas_ops.evaluation.pipeline import cached_task
    from nas_ops.genome import to_dict
    from nas_ops.metrics.proxies import score
    from nas_ops.spaces import get_space

    torch.set_num_threads(1)
    task = cached_task(settings["task"], settings["task_options"])
    genome = get_space(settings["space"]).sample(
        task, generator(settings["seed"], "proxies-benchmark", index))
    seed = torch_seed(settings["seed"], "eval", f"g{index}")
    start = time.perf_counter()
    proxies = score(genome, task, seed, batch_size=settings["batch_size"],
                    data_seed=settings["seed"])
    proxy_s = time.perf_counter() - start
    record = run_request(EvalRequest(
        uid=f"g{index}", genome=to_dict(genome), seed=seed, task=settings["task"],
        task_options=settings["task_options"], epochs=settings["epochs"],
        device=settings["device"]))
    entry = {"index": index, "genome": to_dict(genome), "seed": seed, "proxies": proxies,
             "proxy_s": proxy_s, "record": record.to_dict(),
             "outputs": [[o.name, o.primary_metric, o.higher_is_better] for o in task.outputs]}
    write_atomic(path, json.dumps(entry))  # non-finite floats as JSON's Infinity extension
    return entry


def progress(done: int, total: int, entry: dict[str, Any]) -> None:
    rec = entry["record"]
    if rec["status"] != "ok":
        what = f"failed: {rec['error'][:80]}"
    else:
        what = ", ".join(f"{out} {next(iter(m.values())):.4g}" for out, m in rec["val"].items())
        what += f" (train {rec['wall_time_s']:.1f} s, proxies {entry['proxy_s']:.2f} s)"
    print(f"[{done}/{total}] g{entry['index']}: {what}", flush=True)


def run_all(n: int, workers: int, settings: dict[str, Any], work: Path) -> list[dict[str, Any]]:
    """Every genome's entry, from the cache or evaluated now (in ``workers`` processes)."""
    folder = work / "genomes"
    folder.mkdir(parents=True, exist_ok=True)
    entries: dict[int, dict[str, Any]] = {}
    for i in range(n):
        path = folder / f"{i}.json"
        if path.exists():
            entries[i] = json.loads(path.read_text())
    todo = [i for i in range(n) if i not in entries]
    print(f"{len(entries)} of {n} genomes cached in {folder}; evaluating {len(todo)}", flush=True)
    if workers <= 1:
        for i in todo:
            entries[i] = evaluate_one(i, settings, str(folder / f"{i}.json"))
            progress(len(entries), n, entries[i])
    else:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(evaluate_one, i, settings, str(folder / f"{i}.json"))
                       for i in todo]
            for future in as_completed(futures):
                entry = future.result()
                entries[entry["index"]] = entry
                progress(len(entries), n, entry)
    return [entries[i] for i in range(n)]


def _tau(x: np.ndarray, y: np.ndarray) -> float:
    """Kendall's tau-b (nan when either side is constant)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant input: nan, counted out of the intervals
        return float(kendalltau(x, y).statistic)


def _interval(values: np.ndarray) -> list[float | None]:
    if np.all(np.isnan(values)):
        return [None, None]
    return [float(v) for v in np.nanpercentile(values, [2.5, 97.5])]


def correlations(entries: list[dict[str, Any]], outputs: list[tuple[str, str, bool]],
                 n_boot: int, seed: int) -> dict[str, Any]:
    """Per output: tau of every proxy with the signed metric, its interval, and its paired
    bootstrap difference to ``params``."""
    ok = [e for e in entries if e["record"]["status"] == "ok"]
    result: dict[str, Any] = {}
    for out, metric, higher in outputs:
        goodness = np.array([e["record"]["val"][out][metric] * (1 if higher else -1) for e in ok])
        keep = np.isfinite(goodness)
        y = goodness[keep]
        # ranks (ties averaged) equal the values for tau; -inf ranks lowest
        ranks = {p: rankdata(np.array([e["proxies"][out][p] for e in ok])[keep]) for p in PROXIES}
        idx = generator(seed, "bootstrap", out).integers(0, len(y), size=(n_boot, len(y)))
        boot = {p: np.array([_tau(ranks[p][i], y[i]) for i in idx]) for p in PROXIES}
        per: dict[str, Any] = {}
        for p in PROXIES:
            diff = boot[p] - boot["params"]
            known = diff[~np.isnan(diff)]
            per[p] = {"tau": _finite(_tau(ranks[p], y)), "interval": _interval(boot[p]),
                      "minus_params": _finite(_tau(ranks[p], y) - _tau(ranks["params"], y)),
                      "minus_params_interval": _interval(diff),
                      "share_above_params": float(np.mean(known > 0))
                      if p != "params" and len(known) else None}
        minus_inf = sum(1 for e in ok if e["proxies"][out]["naswot"] == -math.inf)
        result[out] = {"metric": metric, "higher_is_better": higher, "genomes": int(keep.sum()),
                       "naswot_minus_inf": minus_inf, "proxies": per}
    return result


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200, help="genomes (default 200)")
    ap.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    ap.add_argument("--work", type=Path, default=ROOT / "runs" / "proxies-benchmark",
                    help="cache folder (default runs/proxies-benchmark)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=0, help="0: the quickstart budget's")
    ap.add_argument("--n-train", type=int, default=None, help="default: the quickstart task's")
    ap.add_argument("--batch-size", type=int, default=64, help="the proxies' mini-batch")
    ap.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--out", type=Path, default=None, help="default: benchmarks/results/")
    args = ap.parse_args()
    if args.n < 2 or args.workers < 1 or args.bootstrap < 1:
        ap.error("--n must be >= 2, --workers and --bootstrap >= 1")
    settings = settings_from(args)
    args.work.mkdir(parents=True, exist_ok=True)
    saved = args.work / "settings.json"
    if saved.exists() and json.loads(saved.read_text()) != settings:
        print(f"error: {args.work} holds genomes made with other settings "
              f"({saved.read_text().strip()}); use another --work", file=sys.stderr)
        sys.exit(2)
    write_atomic(saved, json.dumps(settings))
    start = time.perf_counter()
    entries = run_all(args.n, args.workers, settings, args.work)
    outputs = [(str(o), str(m), bool(h)) for o, m, h in entries[0]["outputs"]]
    payload = {
        "benchmark": "proxies", "settings": {**settings, "n": args.n, "bootstrap": args.bootstrap},
        "genomes": len(entries),
        "failed": sum(1 for e in entries if e["record"]["status"] != "ok"),
        "train_s_mean": float(np.mean([e["record"]["wall_time_s"] for e in entries])),
        "proxy_s_mean": float(np.mean([e["proxy_s"] for e in entries])),
        "outputs": correlations(entries, outputs, args.bootstrap, args.seed),
        "rows": [{"index": e["index"], "status": e["record"]["status"],
                  "val": {o: e["record"]["val"].get(o, {}).get(m) for o, m, _ in outputs},
                  "proxies": {o: {p: _finite(v) for p, v in vals.items()}
                              for o, vals in e["proxies"].items()}} for e in entries],
        "wall_s_this_call": time.perf_counter() - start,
    }
    if args.out is None:
        path = write("proxies", payload)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(args.out, json.dumps({**header(), **payload}, indent=2) + "\n")
        path = args.out
    for out, res in payload["outputs"].items():
        line = ", ".join(f"{p} {v['tau']:+.3f}" if v["tau"] is not None else f"{p} n/a"
                         for p, v in res["proxies"].items())
        print(f"{out} ({res['metric']}): tau {line}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
