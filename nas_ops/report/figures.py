"""Report figures (matplotlib, Agg backend, imported lazily). Each function writes one PNG into
``fig_dir`` and returns its path, or returns a string saying why the figure was skipped."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from nas_ops.analysis import Analysis, OutputInfo
from nas_ops.report.lineage import lineage_graph
from nas_ops.report.plotting import pyplot as _plt

DPI = 80


def _save(fig: Any, path: Path) -> Path:
    plt = _plt()
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def effect_distribution(a: Analysis, out: OutputInfo, fig_dir: Path) -> Path | str:
    """Box plot plus jittered points of the effects of each operator on ``out``."""
    by_op: dict[str, list[float]] = {}
    for r in a.valid_effects():
        if r.output == out.name:
            by_op.setdefault(r.operator, []).append(r.effect)
    if not by_op:
        return f"insufficient data: no effect measured on {out.name}"
    plt = _plt()
    ops = sorted(by_op)
    fig, ax = plt.subplots(figsize=(7, 1.2 + 0.35 * len(ops)))
    ax.boxplot([by_op[o] for o in ops], showfliers=False, **_horizontal())
    rng = np.random.default_rng(0)
    for k, op in enumerate(ops, start=1):
        ys = k + rng.uniform(-0.15, 0.15, len(by_op[op]))
        ax.scatter(by_op[op], ys, s=8, alpha=0.6, color="tab:blue")
    ax.set_yticks(range(1, len(ops) + 1), [f"{o} (n={len(by_op[o])})" for o in ops])
    ax.axvline(0.0, color="grey", lw=0.8, ls="--")
    sign = "" if out.higher_is_better else "-"
    ax.set_xlabel(f"effect on {out.name}: {sign}Δ{out.metric} (positive = better)")
    return _save(fig, fig_dir / f"effects_{_safe(out.name)}.png")


def _horizontal() -> dict[str, Any]:
    import matplotlib

    major, minor = (int(p) for p in matplotlib.__version__.split(".")[:2])
    return {"orientation": "horizontal"} if (major, minor) >= (3, 10) else {"vert": False}


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


def effect_vs_complexity(a: Analysis, fig_dir: Path) -> Path | str:
    """Scatter of each effect against the parameter change, one panel per output."""
    rows = [r for r in a.valid_effects() if not math.isnan(r.d_parameters)]
    if not rows:
        return "insufficient data: no effect measured"
    plt = _plt()
    outs = [o for o in a.outputs if any(r.output == o.name for r in rows)]
    families = sorted({r.family for r in rows})
    colors = {f: plt.cm.tab10(i % 10) for i, f in enumerate(families)}
    fig, axes = plt.subplots(1, len(outs), figsize=(4.2 * len(outs), 3.6), squeeze=False)
    for ax, out in zip(axes[0], outs, strict=True):
        for fam in families:
            sel = [r for r in rows if r.output == out.name and r.family == fam]
            ax.scatter([r.d_parameters for r in sel], [r.effect for r in sel], s=10,
                       alpha=0.7, color=colors[fam], label=fam)
        ax.set_xscale("symlog", linthresh=100)
        ax.axhline(0.0, color="grey", lw=0.8, ls="--")
        ax.set_title(out.name)
        ax.set_xlabel("Δ parameters")
        ax.set_ylabel("effect (positive = better)")
    axes[0][0].legend(fontsize=7)
    return _save(fig, fig_dir / "effect_vs_complexity.png")


def operator_usage(a: Analysis, fig_dir: Path) -> Path | str:
    """Stacked bars per generation: attempts by operator, and attempts by status."""
    variations = a.run.variations
    if not variations:
        return "insufficient data: the run recorded no variation"
    plt = _plt()
    gens = sorted({v.generation for v in variations})
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5), width_ratios=(3, 2))
    shown = usage_groups(Counter(v.operator for v in variations))
    _stacked(ax1, gens, Counter((v.generation, shown[v.operator]) for v in variations),
             list(dict.fromkeys(shown.values())), DISTINCT)
    ax1.set_title("operator usage (attempts)")
    _stacked(ax2, gens, Counter((v.generation, v.status) for v in variations),
             list(STATUS_COLORS), list(STATUS_COLORS.values()))
    ax2.set_title("outcome of attempts")
    for ax in (ax1, ax2):
        ax.set_xlabel("generation")
        ax.set_xticks(gens)
    return _save(fig, fig_dir / "operator_usage.png")


# colours told apart at a glance (matplotlib's tab10 without its grey); "other" is grey
DISTINCT = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
            "#bcbd22", "#17becf", "#7f7f7f"]
STATUS_COLORS = {"ok": "#2ca02c", "not_applicable": "#ff7f0e", "failed": "#d62728"}


def usage_groups(attempts: Counter) -> dict[str, str]:
    """The bar each operator is drawn in: the most used ones their own (as many as there are
    distinct colours), the rest one grey ``other (N operators)`` bar."""
    ranked = sorted(attempts, key=lambda op: (-attempts[op], op))
    own = min(len(ranked), len(DISTINCT) - 1)  # the last colour, grey, is "other"
    other = f"other ({len(ranked) - own} operators)"
    return {op: op if k < own else other for k, op in enumerate(ranked)}


def _stacked(ax: Any, gens: list[int], counts: Counter, keys: list[str],
             colors: list[str]) -> None:
    bottom = np.zeros(len(gens))
    for i, key in enumerate(keys):
        heights = np.array([counts.get((g, key), 0) for g in gens], dtype=float)
        if heights.sum() == 0:
            continue
        ax.bar(gens, heights, bottom=bottom, label=key, color=colors[i % len(colors)])
        bottom += heights
    ax.legend(fontsize=6, ncol=1 + len(keys) // 12, loc="upper left", bbox_to_anchor=(1.0, 1.0))


def lineage(a: Analysis, fig_dir: Path) -> Path | str:
    """The ancestors of the best individual of each output, laid out by generation."""
    graph, best = lineage_graph(a)
    if graph.number_of_edges() == 0:
        return "insufficient data: the best models have no recorded ancestors"
    import networkx as nx

    plt = _plt()
    pos = _layered_layout(graph)
    n_cols = 1 + int(max(x for x, _ in pos.values()))
    fig, ax = plt.subplots(figsize=(min(max(2.0 + 2.2 * n_cols, 7.0), 13.5),
                                    1.4 + 0.8 * _max_layer(pos)))
    colors = ["tab:orange" if n in best.values() else "lightsteelblue" for n in graph.nodes]
    nx.draw_networkx_nodes(graph, pos, ax=ax, node_color=colors, node_size=3200,
                           node_shape="s", alpha=0.9)
    nx.draw_networkx_labels(graph, pos, ax=ax, font_size=10)
    nx.draw_networkx_edges(graph, pos, ax=ax, node_size=3200, node_shape="s", arrows=True,
                           arrowsize=14, edge_color="#666")
    labels = {e: graph.edges[e].get("operator", "") for e in graph.edges}
    nx.draw_networkx_edge_labels(graph, pos, edge_labels=labels, ax=ax, font_size=9,
                                 label_pos=0.6, rotate=False,
                                 bbox={"fc": "white", "ec": "none", "alpha": 0.85})
    ax.set_title("lineage of the best model per output (orange); edges: operator\n" + ", ".join(
        f"{o}: {u}" for o, u in best.items()), fontsize=11)
    ax.set_xlim(-0.6, n_cols - 0.4)
    ax.set_ylim(-_max_layer(pos) + 0.5, 0.5)  # room for the boxes of the first and last row
    ax.set_axis_off()
    return _save(fig, fig_dir / "lineage.png")


def _layered_layout(graph: Any) -> dict[str, tuple[float, float]]:
    layers: dict[int, list[str]] = {}
    for node, data in sorted(graph.nodes(data=True)):
        layers.setdefault(int(data.get("generation", 0)), []).append(node)
    return {node: (float(g), float(-k)) for g, nodes in layers.items()
            for k, node in enumerate(nodes)}


def _max_layer(pos: dict[str, tuple[float, float]]) -> int:
    return 1 + int(max(-y for _, y in pos.values()))
