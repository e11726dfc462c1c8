"""The Pareto front a run's summary announces (``nas-ops search`` and ``study`` print it, and say
"nas-ops report lists them"): every model in it with its objective values, linked to a drawing
of its architecture, and ``tables/pareto_front.csv``.

The front is :meth:`Run.pareto_front`: the non-dominated models among every successfully
evaluated one at full fidelity, over the run's objectives, which is the front the CLI prints.
The best model of each output is drawn in "Best architectures"; the other front models are
drawn here, the first :data:`MAX_DRAWN` of them (the rest are in the CSV).
"""

from __future__ import annotations

import math
from pathlib import Path

from nas_ops.analysis import Analysis
from nas_ops.report.architecture import (
    ArchitectureView,
    architecture_view,
    best_architectures,
    figure_name,
    figure_title,
)
from nas_ops.report.document import Details, Figure, Files, Link, Paragraph, Section, Table
from nas_ops.report.tables import write_table
from nas_ops.store.run import Individual

MAX_DRAWN = 20  # front models drawn besides the best of each output
MAX_LISTED = 10  # front rows shown open; the rest are listed in a collapsed block below


def _values(ind: Individual, n: int) -> list[float]:
    """The ``n`` objective values of ``ind`` (nan for any a hand-made ledger left out)."""
    values = [float(v) for v in ind.objectives[:n]]
    return values + [math.nan] * (n - len(values))


def _parameters(ind: Individual) -> int:
    return int(ind.evaluation.complexity.get("parameters", 0)) if ind.evaluation else 0


def front_views(a: Analysis, drawn: set[str]) -> list[ArchitectureView]:
    """Views of the front models not among ``drawn`` (the best of each output), at most
    :data:`MAX_DRAWN`, in front order."""
    rest = [i for i in a.run.pareto_front() if i.uid not in drawn]
    return [architecture_view(i.genome, i.uid, [], _parameters(i)) for i in rest[:MAX_DRAWN]]


def write_front_table(a: Analysis, tables: Path) -> None:
    """``tables/pareto_front.csv`` (and ``.json``): uid, generation, operator and each
    objective of every front model."""
    names = [o.name for o in a.run.objectives()]
    records = [{"uid": i.uid, "generation": i.generation, "operator": i.operator,
                **dict(zip(names, _values(i, len(names)), strict=True))}
               for i in a.run.pareto_front()]
    tables.mkdir(exist_ok=True)
    write_table(tables / "pareto_front", records, ["uid", "generation", "operator", *names])


def drawn_views(a: Analysis) -> list[ArchitectureView]:
    """Every architecture the report draws: the best model of each output, then the other
    front models (:func:`front_views`)."""
    best = best_architectures(a)
    return [*best, *front_views(a, {v.uid for v in best})]


def front_section(a: Analysis, figs: dict[str, Path | str]) -> Section:
    """The front as a table linked to the drawings in ``figs`` (figure name -> PNG path, or why
    it was not drawn), with the drawings of the front models not best of an output."""
    s = Section("front", "Pareto front")
    views = [v for v in drawn_views(a) if isinstance(figs.get(figure_name(v)), Path)]
    anchors = {v.uid: figure_name(v) for v in views}
    figures = [Figure(Path(figs[figure_name(v)]), figure_title(v), anchor=figure_name(v))
               for v in views if not v.outputs]
    front = a.run.pareto_front()
    objectives = a.run.objectives()
    if not front:
        return s.add(Paragraph("Insufficient data: no model was evaluated successfully."))
    kind = ("A study samples variations of its base models rather than searching; these are "
            "the non-dominated models among what it evaluated. ") if a.kind == "study" else ""
    s.add(Paragraph(
        f"{kind}The {len(front)} non-dominated models among every successfully evaluated one "
        f"(full fidelity) over the run's objectives ({', '.join(o.name for o in objectives)}; "
        "validation values): the front the run's summary printed, and "
        "`nas_ops.load_run(RUN).pareto_front()`. Each uid links to the drawing of its "
        f"architecture{_cap_note(len(front), sum(i.uid in anchors for i in front))}."))
    columns = ["uid", "generation", "operator",
               *[f"{o.name} ({'higher' if o.higher_is_better else 'lower'} better)"
                 for o in objectives]]
    rows = [[Link(i.uid, f"#{anchors[i.uid]}") if i.uid in anchors else i.uid,
             i.generation, i.operator or "(initial)",
             *[v if o.output is not None or not math.isfinite(v) else round(v)  # a count
               for o, v in zip(objectives, _values(i, len(objectives)), strict=True)]]
            for i in front]
    s.add(Table(columns, rows[:MAX_LISTED]))
    if len(rows) > MAX_LISTED:
        s.add(Details(f"the other {len(rows) - MAX_LISTED} front models",
                      [Table(columns, rows[MAX_LISTED:])]))
    s.add(Files("all rows", ["tables/pareto_front.csv"]))
    if figures:
        s.add(Details(f"drawings of the {len(figures)} front models that are not the best "
                      "model of an output (those are under Best architectures)", [*figures]))
    return s


def _cap_note(n_front: int, n_drawn: int) -> str:
    if n_drawn >= n_front:
        return ""
    return f" (the first {n_drawn} are drawn; the others are in tables/pareto_front.csv)"

