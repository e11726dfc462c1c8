"""The best architectures as graphs: inputs -> networks (with their layers) -> outputs.

:func:`best_architectures` computes one :class:`ArchitectureView` per distinct best individual
(the best of each output); :func:`architecture_figure` draws one view as a PNG, columns by depth
(inputs left, outputs right).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nas_ops.analysis import Analysis
from nas_ops.genome import Genome
from nas_ops.genome.nodes import InputNode, Layer, NetworkNode, OutputNode
from nas_ops.genome.shapes import network_cost
from nas_ops.report.figures import _plt, _safe, _save
from nas_ops.report.lineage import best_per_output

COLORS = {"input": "#dbe9f6", "network": "#fdebd0", "output": "#d5f5e3"}
LAYERS_PER_LINE = 2


@dataclass
class ArchNode:
    id: str
    role: str  # input, network or output
    label: str
    column: int


@dataclass
class ArchitectureView:
    uid: str
    outputs: list[str]  # the outputs this individual is the best model of ([]: a front model)
    nodes: list[ArchNode]
    edges: list[tuple[str, str]]
    parameters: int


def layer_summary(layers: tuple[Layer, ...]) -> str:
    """``64 relu+bn, 32 tanh+do0.2`` with at most two layers a line."""
    parts = [f"{la.units} {la.activation}{'+bn' if la.batchnorm else ''}"
             f"{f'+do{la.dropout:g}' if la.dropout else ''}" for la in layers]
    lines = [", ".join(parts[k:k + LAYERS_PER_LINE])
             for k in range(0, len(parts), LAYERS_PER_LINE)]
    return "\n".join(lines) or "no hidden layer"


def _label(genome: Genome, node_id: str) -> tuple[str, str]:
    node = genome.node(node_id)
    if isinstance(node, NetworkNode):
        extra = f", latent {node.latent}" if node.latent else ""
        params = network_cost(genome, node_id)[0]
        return "network", (f"{node_id}: {node.kind}\n{layer_summary(node.layers)}\n"
                           f"out {node.out_size}{extra}, {params} params")
    if isinstance(node, OutputNode):
        return "output", f"{node_id}\n{node.kind} [{node.size}]"
    assert isinstance(node, InputNode)
    return "input", f"{node_id}\n{node.dtype} {list(node.shape)}"


def architecture_view(genome: Genome, uid: str, outputs: list[str],
                      parameters: int) -> ArchitectureView:
    """The nodes of ``genome`` with their labels and columns (longest path from an input)."""
    column: dict[str, int] = {}
    for node_id in genome.topological_order:
        preds = genome.predecessors(node_id)
        column[node_id] = 1 + max((column[p] for p in preds), default=-1)
    last = max(column.values(), default=0)
    nodes = []
    for node_id in genome.topological_order:
        role, label = _label(genome, node_id)
        nodes.append(ArchNode(node_id, role, label, last if role == "output" else column[node_id]))
    edges = [(src, dst) for src, dst in genome.edges]
    return ArchitectureView(uid, outputs, nodes, edges, parameters)


def best_architectures(a: Analysis) -> list[ArchitectureView]:
    """One view per distinct best individual, in output order."""
    by_uid = a.run.by_uid()
    outputs_of: dict[str, list[str]] = {}
    for out, (uid, _) in best_per_output(a).items():
        outputs_of.setdefault(uid, []).append(out)
    views = []
    for uid, outs in outputs_of.items():
        ind = by_uid[uid]
        params = ind.evaluation.complexity.get("parameters", 0) if ind.evaluation else 0
        views.append(architecture_view(ind.genome, uid, outs, int(params)))
    return views


def figure_name(view: ArchitectureView) -> str:
    """``architecture_<output>`` for the best model of an output, ``front_<uid>`` for another
    model of the Pareto front (the figure's file name and the report's anchor alike)."""
    return f"architecture_{_safe(view.outputs[0])}" if view.outputs \
        else f"front_{_safe(view.uid)}"


def figure_title(view: ArchitectureView) -> str:
    what = f"best model for {', '.join(view.outputs)}" if view.outputs \
        else "Pareto-front model"
    return f"{what}: {view.uid} ({view.parameters} parameters)"


def architecture_figure(view: ArchitectureView, fig_dir: Path) -> Path:
    """Draw ``view``: rounded boxes coloured by role, arrows along the connections."""
    plt = _plt()
    n_cols = 1 + max(n.column for n in view.nodes)
    rows: dict[int, list[ArchNode]] = {}
    for n in view.nodes:
        rows.setdefault(n.column, []).append(n)
    n_rows = max(len(v) for v in rows.values())
    fig, ax = plt.subplots(figsize=(min(1.0 + 3.0 * n_cols, 13.5), 0.9 + 1.2 * n_rows))
    boxes: dict[str, Any] = {}
    for col, members in rows.items():
        for k, n in enumerate(members):
            y = (len(members) - 1) / 2 - k
            boxes[n.id] = ax.text(col, y, n.label, ha="center", va="center", fontsize=10,
                                  zorder=3, bbox={"boxstyle": "round,pad=0.4", "fc": COLORS[n.role],
                                        "ec": "grey"})
    column = {n.id: n.column for n in view.nodes}
    for src, dst in view.edges:
        if src in boxes and dst in boxes:
            bend = 0.08 if column[dst] - column[src] <= 1 else 0.3  # skips arc around columns
            ax.annotate("", xy=boxes[dst].get_position(), xytext=boxes[src].get_position(),
                        zorder=1,
                        arrowprops={"arrowstyle": "-|>", "color": "#555", "shrinkA": 2,
                                    "shrinkB": 2, "patchA": boxes[src].get_bbox_patch(),
                                    "patchB": boxes[dst].get_bbox_patch(),
                                    "connectionstyle": f"arc3,rad={bend}"})
    ax.set_xlim(-0.6, n_cols - 0.4)
    ax.set_ylim(-(n_rows - 1) / 2 - 0.55, (n_rows - 1) / 2 + 0.55)
    ax.set_title(figure_title(view), fontsize=11)
    ax.set_axis_off()
    return _save(fig, fig_dir / f"{figure_name(view)}.png")
