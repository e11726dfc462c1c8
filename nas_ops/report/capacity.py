"""Capacity pages, rendered by :mod:`nas_ops.report.document` like every other report.

:func:`write_study_report` renders a capacity study (:func:`nas_ops.capacity.study.run_study`),
:func:`write_run_report` the capacity of a run's best models
(:func:`nas_ops.capacity.of_run.analyse_run`). Each writes results.json, PNGs, report.md and a
self-contained index.html into a fresh directory (the caller makes it atomic).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from nas_ops.capacity.config import CapacityStudyConfig
from nas_ops.capacity.of_run import RunModelRecord
from nas_ops.capacity.study import ModelRecord
from nas_ops.report.document import Figure, Paragraph, Section, Table, to_html, to_markdown
from nas_ops.report.plotting import pyplot

STUDY_INTRO = (
    "Capacity = rank of J = d vec(W)/d theta (independent parameters). Allocation per input = "
    "diagonal of the orthogonal projector onto col(J), summed over outputs; per offset = summed "
    "over all (output, input) pairs at that offset (a single-channel linear conv stack gives "
    "exactly 1 per receptive-field offset only with 'valid' or circular padding; the study's "
    "zero 'same' padding makes the profile uneven, see docs/capacity.md). "
    "ReLU models: local linear maps averaged over the analysis points."
)
RUN_INTRO = (
    "Capacity = rank of d vec(W) / d theta for the local linear map W = dy/dx at each analysed "
    "input, averaged over inputs; per network it is measured on the network's own input and "
    "divided by its parameters. The profile shows where along the input each output spends its "
    "capacity."
)


def _tasks(records: list[ModelRecord]) -> list[str]:
    return list(dict.fromkeys(r.task for r in records))


def _save(fig: object, path: Path, dpi: int) -> None:
    plt = pyplot()
    fig.tight_layout()  # type: ignore[attr-defined]
    fig.savefig(path, dpi=dpi)  # type: ignore[attr-defined]
    plt.close(fig)


def figure_capacity_vs_params(records: list[ModelRecord], path: Path) -> None:
    """One panel per task (tasks would hide each other: same architectures, same parameter
    counts), one marker per architecture named in a legend instead of overlapping labels."""
    tasks = _tasks(records)
    archs = list(dict.fromkeys(r.architecture for r in records))
    markers = "osD^v<>ph*XP"
    fig, axes = pyplot().subplots(1, len(tasks), figsize=(4.2 * len(tasks) + 2.2, 4.2),
                                  squeeze=False, sharey=True)
    top = max(max(r.n_parameters for r in records), 1)
    for ax, task in zip(axes[0], tasks, strict=True):
        for i, arch in enumerate(archs):
            rs = [r for r in records if r.task == task and r.architecture == arch]
            ax.scatter([r.n_parameters for r in rs], [r.capacity for r in rs],
                       marker=markers[i % len(markers)], color=f"C{i % 10}", label=arch)
        ax.plot([1, top], [1, top], "k:", lw=0.8, label="capacity = parameters")
        ax.set(xscale="log", yscale="log", xlabel="parameters", title=task)
    axes[0, 0].set_ylabel("total capacity (rank J)")
    axes[0, -1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    _save(fig, path, 110)


def figure_profiles(records: list[ModelRecord], task: str, path: Path, offsets: bool) -> None:
    fig, ax = pyplot().subplots(figsize=(7, 4.5))
    for r in (r for r in records if r.task == task):
        if offsets and r.per_offset is not None and r.offsets is not None:
            ax.plot(r.offsets, r.per_offset, marker=".", lw=1, label=r.architecture)
        elif not offsets:
            ax.plot(np.arange(len(r.per_input)), r.per_input, lw=1, label=r.architecture)
    xlabel = "offset (input position - output position)" if offsets else "input position"
    ylabel = "capacity per offset (sum over pairs)" if offsets else "capacity per input position"
    ax.set(xlabel=xlabel, ylabel=ylabel, title=task)
    ax.legend(fontsize=6, ncol=2)
    _save(fig, path, 110)


def study_figures(records: list[ModelRecord], out: Path) -> list[Figure]:
    """Write the study's PNGs into ``out``."""
    figs = [Figure(Path("capacity_vs_params.png"), "Total capacity against parameter count")]
    figure_capacity_vs_params(records, out / figs[0].path)
    for i, task in enumerate(_tasks(records)):
        for kind, offsets in (("offsets", True), ("inputs", False)):
            fig = Figure(Path(f"profile_{kind}_{i}.png"), f"{task}: allocation per {kind[:-1]}")
            figure_profiles(records, task, out / fig.path, offsets)
            figs.append(fig)
    return figs


def study_table(records: list[ModelRecord]) -> Table:
    columns = ["task", "architecture", "kind", "activation", "params", "capacity",
               "capacity/params", "bias alloc.", "train MSE", "test MSE"]
    rows: list[list[object]] = [
        [r.task, r.architecture, r.kind, r.activation, str(r.n_parameters), f"{r.capacity:.2f}",
         f"{r.capacity / max(r.n_parameters, 1):.3f}", f"{r.bias:.2f}", f"{r.train_loss:.4f}",
         f"{r.test_loss:.4f}"] for r in records]
    return Table(columns, rows)


def _write_pages(out: Path, title: str, source: str, intro: str, table: Table,
                 figs: list[Figure]) -> None:
    sections = [Section("results", "Results").add(Paragraph(f"Source: {source}"),
                                                  Paragraph(intro), table)]
    sections += [Section(f"figure-{i}", f.caption).add(f) for i, f in enumerate(figs, 1)]
    (out / "report.md").write_text(to_markdown(title, sections))
    (out / "index.html").write_text(to_html(title, sections, out))


def write_study_report(cfg: CapacityStudyConfig, records: list[ModelRecord], out: Path) -> None:
    """Write every artefact of a capacity study into the (fresh, empty) directory ``out``."""
    figs = study_figures(records, out)
    payload = {"config": cfg.to_dict(), "records": [asdict(r) for r in records]}
    (out / "results.json").write_text(json.dumps(payload, indent=1) + "\n")
    _write_pages(out, "Capacity allocation study", cfg.source, STUDY_INTRO, study_table(records),
                 figs)


def run_table(records: list[RunModelRecord]) -> Table:
    columns = ["best for", "model", "output", "capacity", "subgraph parameters",
               "capacity/param", "networks (capacity/params)"]
    rows: list[list[object]] = []
    for r in records:
        nets = ", ".join(f"{n}: {c:.0f}/{p}" for n, (c, p) in r.networks.items())
        rows.append([r.best_for, r.uid, r.output, f"{r.capacity:.1f}", str(r.parameters),
                     f"{r.capacity / r.parameters:.3f}" if r.parameters else "-", nets])
    return Table(columns, rows)


def run_figure(records: list[RunModelRecord], out: Path) -> Figure:
    """One panel per output the models were chosen for, one line per output of that model."""
    best = sorted({r.best_for for r in records})
    fig, axes = pyplot().subplots(len(best), 1, figsize=(8, 2.6 * len(best)), squeeze=False)
    for ax, name in zip(axes[:, 0], best, strict=True):
        for r in (r for r in records if r.best_for == name):
            ax.plot(np.asarray(r.per_input), marker=".", label=r.output)
        ax.set_title(f"best model for {name}")
        ax.set_xlabel("input position (flattened)")
        ax.set_ylabel("capacity")
        ax.legend(fontsize=7)
    _save(fig, out / "profiles.png", 90)
    return Figure(Path("profiles.png"), "Capacity allocated to each input position")


def write_run_report(run_dir: str | Path, records: list[RunModelRecord], out: Path) -> None:
    """Write the capacity report of a run's best models into the (fresh) directory ``out``."""
    fig = run_figure(records, out)
    (out / "results.json").write_text(json.dumps([asdict(r) for r in records], indent=1) + "\n")
    _write_pages(out, "Capacity allocation of the best models of a run", str(run_dir), RUN_INTRO,
                 run_table(records), [fig])
