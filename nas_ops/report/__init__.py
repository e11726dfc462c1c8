"""Operator-effect reports: compute the :class:`~nas_ops.analysis.Analysis`, then render it.

``build_report(RUN_DIR, OUT_DIR)`` writes::

    OUT_DIR/index.html        self-contained (figures embedded as data URIs)
    OUT_DIR/report.md         the same sections, linking figures/*.png
    OUT_DIR/figures/*.png     effects per output, effect vs complexity, usage, Pareto (every
                              objective pair), lineage, the hypervolume curve, the best
                              architecture of each output and those of the Pareto front
    OUT_DIR/tables/*.csv|json effects, stats, conditioned, rates, kruskal, pairwise, rules,
                              versus_control, pareto_front (linked from the page; long
                              tables are collapsed)
    OUT_DIR/guidelines.json   versioned rules with their evidence; guidelines.txt as text

Everything is written into a temporary sibling directory first and renamed into place, so a
failure never leaves half a report. An existing OUT_DIR is replaced only if it holds a report
(a ``.nas-ops-report`` marker) and no run, or is empty (:mod:`nas_ops.infra.outdir`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from nas_ops.analysis import Analysis, analyze_run, stage_timer
from nas_ops.infra.outdir import MARKERS, check_replaceable, replacing
from nas_ops.report import figures as F
from nas_ops.report.architecture import architecture_figure, figure_name
from nas_ops.report.document import to_html, to_markdown
from nas_ops.report.front import drawn_views, write_front_table
from nas_ops.report.hypervolume import hypervolume_figure
from nas_ops.report.pareto import pareto_matrix
from nas_ops.report.sections import SECTION_IDS, FigureResult, all_sections
from nas_ops.report.tables import write_tables

MARKER = MARKERS["report"]

__all__ = ["MARKER", "SECTION_IDS", "build_report", "render_report"]


def _figures(a: Analysis, root: Path) -> dict[str, FigureResult]:
    fig_dir = root / "figures"
    fig_dir.mkdir()
    results: dict[str, Path | str] = {}
    for out in a.outputs:
        results[f"effects_{out.name}"] = F.effect_distribution(a, out, fig_dir)
    results["effect_vs_complexity"] = F.effect_vs_complexity(a, fig_dir)
    results["operator_usage"] = F.operator_usage(a, fig_dir)
    results["pareto"] = pareto_matrix(a, fig_dir)
    results["lineage"] = F.lineage(a, fig_dir)
    results["hypervolume"] = hypervolume_figure(a.run, fig_dir)
    for view in drawn_views(a):  # the best of each output, then the rest of the Pareto front
        results[figure_name(view)] = architecture_figure(view, fig_dir)
    return {k: v.relative_to(root) if isinstance(v, Path) else v for k, v in results.items()}


def render_report(a: Analysis, root: Path,
                  progress: Callable[[str], None] | None = None) -> Path:
    """Write every file of the report of ``a`` into the (existing, empty) directory ``root``;
    ``progress`` gets one line per stage."""
    say = stage_timer(progress)
    figs = _figures(a, root)
    say(f"{len(figs)} figures drawn")
    write_tables(a, root / "tables")
    write_front_table(a, root / "tables")
    (root / "guidelines.json").write_text(a.guidelines.to_json() + "\n")
    (root / "guidelines.txt").write_text(a.guidelines.text())
    sections = list(all_sections(a, figs))
    title = f"nas-ops operator-effect report: {a.run.run_dir.name} ({a.kind})"
    (root / "report.md").write_text(to_markdown(title, sections))
    (root / "index.html").write_text(to_html(title, sections, root))
    say("tables, guidelines and pages written")
    return root / "index.html"


def build_report(run_dir: str | Path, out_dir: str | Path, *, seed: int = 0,
                 allow_untrained: bool = False,
                 progress: Callable[[str], None] | None = None) -> Path:
    """Analyse the run in ``run_dir`` and write its report into ``out_dir``; returns the path
    of ``index.html``. Raises :class:`ConfigError` for a directory that holds no run.
    ``allow_untrained`` lets base models at chance level count for the guidelines;
    ``progress`` gets one line per stage of the analysis and the rendering."""
    out = Path(out_dir).resolve()
    check_replaceable(out, "report", flag="report directory")
    analysis = analyze_run(run_dir, seed=seed, allow_untrained=allow_untrained,
                           progress=progress)
    with replacing(out, "report", flag="report directory") as tmp:
        render_report(analysis, tmp, progress)
    return out / "index.html"
