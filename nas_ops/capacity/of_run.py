"""Capacity allocation of the best networks a search (or study) found.

For each output, the individual with the best validation value of that output is rebuilt from
its genome and trained weights (``RUN_DIR/weights/<uid>.pt``); the capacity every output of that
model spends on the task input is analysed at a few validation inputs, and so is every network's
own map (capacity per parameter). ``nas-ops capacity RUN_DIR --out DIR`` writes the report
(rendered by :mod:`nas_ops.report.capacity`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from nas_ops.errors import CapacityError
from nas_ops.metrics.capacity.phenotypes import network_capacity, output_capacity
from nas_ops.phenotype.model import build_model
from nas_ops.store.run import Individual, load_run
from nas_ops.tasks import load_task


@dataclass
class RunModelRecord:
    uid: str
    best_for: str
    output: str
    capacity: float
    parameters: int
    per_input: list[float]
    networks: dict[str, list[float]]  # network -> [capacity, parameters]


def best_for_output(run_individuals: list[Individual], k: int, higher: bool) -> Individual:
    """The successfully trained individual with the best value of objective ``k``."""
    ok = [i for i in run_individuals if i.evaluation is not None and i.evaluation.status == "ok"]
    if not ok:
        raise CapacityError("the run has no successfully trained individual")
    return max(ok, key=lambda i: i.objectives[k] if higher else -i.objectives[k])


def _analyse_model(run_dir: Path, ind: Individual, x: torch.Tensor, input_name: str
                   ) -> tuple[dict[str, list[float]], list[tuple[str, float, int, list[float]]]]:
    weights = run_dir / "weights" / f"{ind.uid}.pt"
    if not weights.is_file():
        raise CapacityError(f"no trained weights for {ind.uid} at {weights}")
    model = build_model(ind.genome, seed=ind.seed)
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    nets = {n: [c, p] for n, (c, p) in network_capacity(model, {input_name: x}).items()}
    outs = [(r.output, r.capacity, r.parameters, r.per_input.ravel().tolist())
            for r in output_capacity(model, x)]
    return nets, outs


def analyse_run(run_dir: str | Path, samples: int = 2,
                progress: Callable[[str], None] = print) -> list[RunModelRecord]:
    """Analyse the best model for each output, printing one line per model with its time.
    A model that is best for several outputs is analysed once."""
    run = load_run(run_dir)
    cfg = run.config.task
    task = load_task(cfg.name, **cfg.options).with_sample_metric(cfg.sample_metric)
    x = task.val[task.inputs[0].name][:samples]
    done: dict[str, tuple[dict[str, list[float]], list[tuple[str, float, int, list[float]]]]] = {}
    records: list[RunModelRecord] = []
    start = time.perf_counter()
    for k, spec in enumerate(task.outputs):
        ind = best_for_output(run.individuals, k, spec.higher_is_better)
        t0 = time.perf_counter()
        cached = ind.uid in done
        if not cached:
            done[ind.uid] = _analyse_model(Path(run_dir), ind, x, task.inputs[0].name)
        nets, outs = done[ind.uid]
        records += [RunModelRecord(ind.uid, spec.name, o, c, p, per, nets)
                    for o, c, p, per in outs]
        how = "same model as above" if cached else f"{time.perf_counter() - t0:.1f}s"
        progress(f"[{k + 1}/{len(task.outputs)}] best for {spec.name}: {ind.uid} ({how}; "
                 f"{time.perf_counter() - start:.1f}s elapsed)")
    return records
