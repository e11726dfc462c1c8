"""The report lists what the CLI promises (issue 25, point 8): the Pareto front the summary
printed, with uids and metrics linked to architecture drawings; a search's guidelines section
speaks of a search; the rows-per-condition table is explained; the operator-usage chart has
colours that can be told apart."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

import nas_ops
from nas_ops.report import build_report
from nas_ops.report.figures import DISTINCT, usage_groups
from nas_ops.report.front import MAX_DRAWN, MAX_LISTED
from tests.analysis.synthetic import write_planted_run
from tests.configs import tiny_config


def _section(html: str, sid: str) -> str:
    return html.split(f'<section id="{sid}">', 1)[1].split("</section>", 1)[0]


@pytest.fixture(scope="module")
def search(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], Path]:
    root = tmp_path_factory.mktemp("front")
    summary = nas_ops.run_search(tiny_config(seed=3), root / "run", progress=False)
    return summary.front, build_report(root / "run", root / "report")


def test_the_report_lists_the_front_the_summary_printed(
        search: tuple[list[str], Path]) -> None:
    printed, index = search
    html = index.read_text()
    front = _section(html, "front")
    linked = re.findall(r'<td><a href="#([^"]+)">([^<]+)</a></td>', front)
    assert [uid for _, uid in linked] == printed and len(printed) >= 2
    for anchor, _ in linked:  # every link lands on a drawing of the page
        assert re.search(rf'<figure id="{anchor}"><img ', html), anchor
    rows = list(csv.DictReader((index.parent / "tables" / "pareto_front.csv").open()))
    run = nas_ops.load_run(index.parent.parent / "run")
    assert [r["uid"] for r in rows] == printed
    for row, ind in zip(rows, run.pareto_front(), strict=True):
        for objective, value in zip(run.objectives(), ind.objectives, strict=True):
            assert float(row[objective.name]) == pytest.approx(value)
    first = run.pareto_front()[0]
    accuracy = f"{first.objectives[0]:.4g}"
    assert re.search(rf">{first.uid}</a></td><td>{first.generation}</td><td>[^<]*</td>"
                     rf"<td>{accuracy}</td>", front)
    markdown = (index.parent / "report.md").read_text()
    assert all(f"[{uid}](#" in markdown for uid in printed)
    assert len(list((index.parent / "figures").glob("front_*.png"))) <= MAX_DRAWN


def test_a_search_guidelines_section_speaks_of_a_search(
        search: tuple[list[str], Path]) -> None:
    section = _section(search[1].read_text(), "guidelines")
    assert "This run is a search" in section
    assert "base model(s)" not in section and " bases" not in section
    assert "parent model(s)" in section


def test_rows_per_condition_level_are_explained(search: tuple[list[str], Path]) -> None:
    section = _section(search[1].read_text(), "conditioned")
    assert "<p>Rows per condition level: every (child, output) effect row falls in one level" \
        in section
    assert "<th>condition</th><th>rows per level</th><th>missing</th>" in section
    assert re.search(r"<td>relevance</td><td>low \d+, high \d+</td><td>\d+</td>", section)


def test_operator_usage_colours_can_be_told_apart() -> None:
    assert len(set(DISTINCT)) == len(DISTINCT)
    many = Counter({f"op{k:02d}": 100 - k for k in range(17)})
    groups = usage_groups(many)
    bars = list(dict.fromkeys(groups.values()))
    assert bars == [f"op{k:02d}" for k in range(9)] + ["other (8 operators)"]
    assert len(bars) <= len(DISTINCT)
    few = Counter({"a": 1, "b": 5})
    assert usage_groups(few) == {"a": "a", "b": "b"}


def test_a_study_report_lists_its_front_too(tmp_path: Path) -> None:
    config = tiny_config(study__base_models=2, study__variations=1,
                         study__operators=["change_units"])
    summary = nas_ops.run_study(config, tmp_path / "run")
    html = build_report(tmp_path / "run", tmp_path / "report").read_text()
    front = _section(html, "front")
    assert "A study samples variations of its base models rather than searching" in front
    assert re.findall(r'<a href="#[^"]+">([^<]+)</a>', front) == summary.front
    assert "searches no Pareto front" not in html


def test_a_long_front_shows_its_first_rows_and_collapses_the_rest(tmp_path: Path) -> None:
    run = write_planted_run(tmp_path / "study", n_parents=12, per_parent=1)
    front = nas_ops.load_run(run).pareto_front()
    assert len(front) > MAX_LISTED  # the planted study's front is long enough to collapse
    section = _section(build_report(run, tmp_path / "report").read_text(), "front")
    shown, hidden = section.split("<details>", 1)
    uids = [i.uid for i in front]
    assert re.findall(r"<tr><td>(?:<a [^>]*>)?([^<]+)", shown) == uids[:MAX_LISTED]
    assert f"<summary>the other {len(front) - MAX_LISTED} front models</summary>" in hidden
    assert re.findall(r"<tr><td>(?:<a [^>]*>)?([^<]+)", hidden) == uids[MAX_LISTED:]
