"""What the report shows: the Pareto front over every objective, the best architectures, rules
once, long tables collapsed and linked, exactly-zero cells left out, readable figure text."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from nas_ops.analysis import Rule, analyze_run
from nas_ops.report import architecture, build_report, figures, pareto
from nas_ops.report.rules import distinct_rules, exactly_zero
from tests.analysis.synthetic import write_planted_run

MIN_POINTS = 9  # every text of these figures is at least this large (at 80 dpi: 10 px)


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_planted_run(tmp_path_factory.mktemp("planted") / "run", n_parents=12,
                             per_parent=1)


def test_non_dominated_marks_the_first_front() -> None:
    rows = [[0.9, 100.0], [0.8, 50.0], [0.7, 200.0], [0.9, 100.0], [0.95, 500.0]]
    assert pareto.non_dominated(rows, [True, False]) == [True, True, False, True, True]


def test_pareto_data_has_every_objective_and_the_final_front(search_run: Path) -> None:
    a = analyze_run(search_run)
    data = pareto.pareto_data(a)
    assert data is not None
    assert data.names == ["class accuracy", "histogram mse", "reconstruction recon_mse",
                          "parameters"]
    assert data.values.shape == (len(data.uids), 4)
    final = set(a.run.populations[max(a.run.populations)])
    marked = {u for u, f in zip(data.uids, data.front, strict=True) if f}
    assert marked and marked <= final
    pts = {u: list(v) for u, v in zip(data.uids, data.values, strict=True) if u in final}
    keep = pareto.non_dominated(list(pts.values()), data.higher_is_better)
    assert marked == {u for u, k in zip(pts, keep, strict=True) if k}


def test_search_report_draws_each_best_architecture(search_report: Path) -> None:
    html = (search_report / "index.html").read_text()
    drawn = sorted(p.name for p in (search_report / "figures").glob("architecture_*.png"))
    assert drawn and '<section id="architectures">' in html
    assert html.count("best model for ") >= len(drawn)


def test_architecture_view_lists_inputs_networks_with_layers_and_outputs(planted: Path) -> None:
    views = architecture.best_architectures(analyze_run(planted))
    assert views
    roles = {n.role for n in views[0].nodes}
    assert roles == {"input", "network", "output"}
    nets = [n for n in views[0].nodes if n.role == "network"]
    assert all(re.search(r"\d+ \w+", n.label) and "params" in n.label for n in nets)
    outputs = [n for n in views[0].nodes if n.role == "output"]
    assert {n.column for n in outputs} == {max(n.column for n in views[0].nodes)}
    assert {n.column for n in views[0].nodes if n.role == "input"} == {0}


def _rule(condition: str, level: str, p_adjusted: float) -> Rule:
    return Rule(condition, level, "op", "class", "improves", 0.05, (0.01, 0.09), 0.001,
                p_adjusted, 12, 0.9, 0.8, 10.0)


def test_a_rule_on_the_same_evidence_is_listed_once() -> None:
    rules = [_rule("all", "all", 0.01), _rule("affected", "affected", 0.02)]
    assert [w for w, _ in distinct_rules(rules)] == ["always or affected = affected"]


def test_study_report_collapses_long_tables_and_drops_zero_cells(planted: Path,
                                                                tmp_path: Path) -> None:
    index = build_report(planted, tmp_path / "report")
    html = index.read_text()
    a = analyze_run(planted)
    zero = [c for c in a.conditioned if c.n >= 3 and exactly_zero(c)]
    assert zero, "the planted run has outputs its edits cannot reach"
    section = html.split('<section id="conditioned">')[1].split("</section>")[0]
    assert f"({len(zero)} cells whose every effect is exactly 0" in section
    table = section.split("<details>")[1]
    rows = re.findall(r"<tr><td>(\w+)</td><td>(\w+)</td><td>(\w+)</td><td>(\w+)</td>", table)
    shown = {(c.condition, c.level, c.output, c.operator) for c in a.conditioned
             if c.n >= 3 and not exactly_zero(c)}
    assert set(rows) == shown and len(rows) == len(shown)
    assert '<a href="tables/conditioned.csv">' in section
    assert (index.parent / "tables" / "conditioned.csv").is_file()
    assert (index.parent / "tables" / "versus_control.csv").is_file()
    guide = html.split('<section id="guidelines">')[1].split("</section>")[0]
    assert guide.count("<td>plant_a</td>") == len(distinct_rules(a.guidelines.rules))


def _text_sizes(fig: Any) -> list[float]:
    from matplotlib.text import Text

    return [t.get_fontsize() for t in fig.findobj(Text) if t.get_text().strip()]


@pytest.mark.parametrize("draw", ["lineage", "pareto", "architecture"])
def test_figure_text_is_readable(draw: str, planted: Path, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    sizes: list[float] = []
    save = figures._save

    def keep(fig: Any, path: Path) -> Path:
        fig.canvas.draw()
        sizes.extend(_text_sizes(fig))
        return save(fig, path)

    a = analyze_run(planted)
    if draw == "lineage":
        monkeypatch.setattr(figures, "_save", keep)
        figures.lineage(a, tmp_path)
    elif draw == "pareto":
        monkeypatch.setattr(pareto, "_save", keep)
        pareto.pareto_matrix(a, tmp_path)
    else:
        monkeypatch.setattr(architecture, "_save", keep)
        architecture.architecture_figure(architecture.best_architectures(a)[0], tmp_path)
    assert sizes and min(sizes) >= MIN_POINTS, sorted(sizes)[:5]
