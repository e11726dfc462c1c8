"""Capacity allocation of the best networks a search (or study) found.

For each output, the individual with the best validation value of that output is rebuilt from
its genome and trained weights (``RUN_DIR/weights/<uid>.pt``); the capacity every output of that
model spends on the task input is analysed at a few validation inputs, and so is every network's
own map (capacity per parameter). ``nas-ops capacity RUN_DIR --out DIR`` writes the report.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from nas_ops.capacity.phenotypes import network_capacity, output_capacity
from nas_ops.capacity.report import _pyplot, html_doc, markdown_page
from nas_ops.errors import CapacityError
from nas_ops.phenotype.model import build_model
from nas_ops.store.run import Individual, load_run
from nas_ops.tasks import load_task

INTRO = ("Capacity = rank of d vec(W) / d theta for the local linear map W = dy/dx at each "
         "analysed input, averaged over inputs; per network it is measured on the network's own "
         "input and divided by its parameters. The profile shows where along the input each "
         "output spends its capacity.")


@dataclass
class RunModelRecord:
    uid: str
    best_for: str
    output: str
    capacity: float
    parameters: int
    per_input: list[float]
    networks: dict[str, list[float]]  # network -> [capacity, parameters]


def _best(run_individuals: list[Individual], k: int, higher: bool) -> Individual:
    ok = [i for i in run_individuals if i.evaluation is not None and i.evaluation.status == "ok"]
    if not ok:
        raise CapacityError("the run has no successfully trained individual")
    return max(ok, key=lambda i: i.objectives[k] if higher else -i.objectives[k])


def analyse_run(run_dir: str | Path, samples: int = 2) -> list[RunModelRecord]:
    run = load_run(run_dir)
    cfg = run.config
    task = load_task(cfg["task"]["name"], **cfg["task"].get("options", {}))
    records: list[RunModelRecord] = []
    for k, spec in enumerate(task.outputs):
        ind = _best(run.individuals, k, spec.higher_is_better)
        weights = Path(run_dir) / "weights" / f"{ind.uid}.pt"
        if not weights.is_file():
            raise CapacityError(f"no trained weights for {ind.uid} at {weights}")
        model = build_model(ind.genome, seed=ind.seed)
        model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        x = task.val[task.inputs[0].name][:samples]
        nets = {n: [c, p] for n, (c, p) in
                network_capacity(model, {task.inputs[0].name: x}).items()}
        for res in output_capacity(model, x):
            records.append(RunModelRecord(ind.uid, spec.name, res.output, res.capacity,
                                          res.parameters, res.per_input.ravel().tolist(), nets))
    return records


def _rows(records: list[RunModelRecord]) -> list[list[str]]:
    rows = [["best for", "model", "output", "capacity", "subgraph parameters", "capacity/param",
             "networks (capacity/params)"]]
    for r in records:
        nets = ", ".join(f"{n}: {c:.0f}/{p}" for n, (c, p) in r.networks.items())
        rows.append([r.best_for, r.uid, r.output, f"{r.capacity:.1f}", str(r.parameters),
                     f"{r.capacity / r.parameters:.3f}" if r.parameters else "-", nets])
    return rows


def _figure(records: list[RunModelRecord], out: Path) -> list[tuple[str, str]]:
    plt = _pyplot()
    best = sorted({r.best_for for r in records})
    fig, axes = plt.subplots(len(best), 1, figsize=(8, 2.6 * len(best)), squeeze=False)
    for ax, name in zip(axes[:, 0], best, strict=True):
        for r in (r for r in records if r.best_for == name):
            ax.plot(np.asarray(r.per_input), marker=".", label=r.output)
        ax.set_title(f"best model for {name}")
        ax.set_xlabel("input position (flattened)")
        ax.set_ylabel("capacity")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "profiles.png", dpi=90)
    plt.close(fig)
    return [("profiles.png", "Capacity allocated to each input position")]


def write_run_report(run_dir: str | Path, out: Path) -> None:
    """Analyse ``run_dir`` and write report.md, index.html, results.json and PNGs into ``out``."""
    records = analyse_run(run_dir)
    figs = _figure(records, out)
    rows = _rows(records)
    (out / "results.json").write_text(json.dumps([asdict(r) for r in records], indent=1) + "\n")
    title = "Capacity allocation of the best models of a run"
    (out / "report.md").write_text(markdown_page(title, str(run_dir), INTRO, rows, figs))
    (out / "index.html").write_text(html_doc(title, str(run_dir), INTRO, rows, figs, out))
