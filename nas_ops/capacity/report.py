"""Render capacity-study records: results.json, PNGs, report.md, self-contained index.html."""

from __future__ import annotations

import base64
import html
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..errors import MissingDependencyError
from .study import ModelRecord, StudyConfig


def _pyplot():  # noqa: ANN202 - matplotlib is optional and imported lazily
    try:
        import matplotlib  # noqa: PLC0415

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError as err:
        raise MissingDependencyError("capacity report figures need matplotlib") from err
    return plt


def _tasks(records: list[ModelRecord]) -> list[str]:
    return list(dict.fromkeys(r.task for r in records))


def figure_capacity_vs_params(records: list[ModelRecord], path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for task in _tasks(records):
        rs = [r for r in records if r.task == task]
        ax.scatter([r.n_parameters for r in rs], [r.capacity for r in rs], label=task)
        for r in rs:
            ax.annotate(r.architecture, (r.n_parameters, r.capacity), fontsize=6)
    top = max(max(r.n_parameters for r in records), 1)
    ax.plot([1, top], [1, top], "k:", lw=0.8, label="capacity = parameters")
    ax.set(xscale="log", yscale="log", xlabel="parameters", ylabel="total capacity (rank J)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def figure_profiles(records: list[ModelRecord], task: str, path: Path, offsets: bool) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for r in (r for r in records if r.task == task):
        if offsets and r.per_offset is not None and r.offsets is not None:
            ax.plot(r.offsets, r.per_offset, marker=".", lw=1, label=r.architecture)
        elif not offsets:
            ax.plot(np.arange(len(r.per_input)), r.per_input, lw=1, label=r.architecture)
    xlabel = "offset (input position - output position)" if offsets else "input position"
    ylabel = "capacity per offset (sum over pairs)" if offsets else "capacity per input position"
    ax.set(xlabel=xlabel, ylabel=ylabel, title=task)
    ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def render_figures(records: list[ModelRecord], out: Path) -> list[tuple[str, str]]:
    """Write the PNGs into ``out``; return (file name, caption) pairs."""
    figs = [("capacity_vs_params.png", "Total capacity against parameter count")]
    figure_capacity_vs_params(records, out / figs[0][0])
    for i, task in enumerate(_tasks(records)):
        for kind, offsets in (("offsets", True), ("inputs", False)):
            name = f"profile_{kind}_{i}.png"
            figure_profiles(records, task, out / name, offsets)
            figs.append((name, f"{task}: allocation per {kind[:-1]}"))
    return figs


def _table(records: list[ModelRecord]) -> list[list[str]]:
    rows = [["task", "architecture", "kind", "activation", "params", "capacity",
             "capacity/params", "bias alloc.", "train MSE", "test MSE"]]
    for r in records:
        rows.append([r.task, r.architecture, r.kind, r.activation, str(r.n_parameters),
                     f"{r.capacity:.2f}", f"{r.capacity / max(r.n_parameters, 1):.3f}",
                     f"{r.bias:.2f}", f"{r.train_loss:.4f}", f"{r.test_loss:.4f}"])
    return rows


INTRO = (
    "Capacity = rank of J = d vec(W)/d theta (independent parameters). Allocation per input = "
    "diagonal of the orthogonal projector onto col(J), summed over outputs; per offset = summed "
    "over all (output, input) pairs at that offset (a single-channel linear conv stack gives 1 per "
    "receptive-field offset). ReLU models: local linear maps averaged over the analysis points. "
    "See docs/capacity.md."
)


def markdown_page(title: str, source: str, intro: str, rows: list[list[str]],
                  figs: list[tuple[str, str]]) -> str:
    """A Markdown page: title, source, intro, one table (first row = header), figures."""
    lines = [f"# {title}", "", f"Source: `{source}`", "", intro, "",
             "| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    lines.append("")
    for name, caption in figs:
        lines += [f"## {caption}", "", f"![{caption}]({name})", ""]
    return "\n".join(lines)


def markdown(cfg: StudyConfig, records: list[ModelRecord], figs: list[tuple[str, str]]) -> str:
    return markdown_page("Capacity allocation study", cfg.source, INTRO, _table(records), figs)


def html_page(cfg: StudyConfig, records: list[ModelRecord], figs: list[tuple[str, str]],
              out: Path) -> str:
    return html_doc("Capacity allocation study", cfg.source, INTRO, _table(records), figs, out)


def html_doc(title: str, source: str, intro: str, rows: list[list[str]],
             figs: list[tuple[str, str]], out: Path) -> str:
    """A self-contained HTML page (figures from ``out`` embedded as base64)."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
                   for r in rows[1:])
    imgs = "".join(
        f"<h2>{html.escape(c)}</h2><img alt='{html.escape(c)}' src='data:image/png;base64,"
        f"{base64.b64encode((out / n).read_bytes()).decode()}'/>" for n, c in figs)
    style = ("body{font-family:sans-serif;max-width:1000px;margin:auto}table{border-collapse:"
             "collapse}td,th{border:1px solid #bbb;padding:2px 6px;font-size:12px}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title><style>{style}</style></head><body><h1>{html.escape(title)}</h1>"
            f"<p>Source: <code>{html.escape(source)}</code></p><p>{html.escape(intro)}</p>"
            f"<table><tr>{head}</tr>{body}</table>{imgs}</body></html>")


def write_report(cfg: StudyConfig, records: list[ModelRecord], out: Path) -> None:
    """Write every artefact into the (fresh, empty) directory ``out``."""
    figs = render_figures(records, out)
    payload = {"config": {"study": cfg.study, "tasks": cfg.tasks,
                          "architectures": cfg.architectures, "source": cfg.source},
               "records": [asdict(r) for r in records]}
    (out / "results.json").write_text(json.dumps(payload, indent=1) + "\n")
    (out / "report.md").write_text(markdown(cfg, records, figs))
    (out / "index.html").write_text(html_page(cfg, records, figs, out))
