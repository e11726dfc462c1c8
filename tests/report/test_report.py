"""Reports of a real tiny search, of a planted study and of an empty run."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from nas_ops.errors import ConfigError
from nas_ops.report import MARKER, SECTION_IDS, build_report
from nas_ops.store import Ledger
from tests.analysis.synthetic import write_planted_run

PNG = b"\x89PNG\r\n\x1a\n"
FIGURES = ("effects_class", "effects_histogram", "effects_reconstruction",
           "effect_vs_complexity", "operator_usage", "pareto", "lineage")
TABLES = ("effects", "stats", "conditioned", "rates", "kruskal", "pairwise", "guideline_rules")


def _assert_self_contained(html: str) -> None:
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|file:)""", html)
    assert "<link" not in html and "@import" not in html and "url(" not in html
    srcs = re.findall(r'<img [^>]*src="([^"]+)"', html)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)


def test_search_report_has_every_section_figure_and_table(search_report: Path) -> None:
    html = (search_report / "index.html").read_text()
    md = (search_report / "report.md").read_text()
    for sid in SECTION_IDS:
        assert f'<section id="{sid}">' in html and f'<a id="{sid}"></a>' in md
    for name in FIGURES:
        data = (search_report / "figures" / f"{name}.png").read_bytes()
        assert data.startswith(PNG) and len(data) > 2000
        assert f"figures/{name}.png" in md
    drawn = list((search_report / "figures").glob("*.png"))
    assert len(drawn) > len(FIGURES), "plus one architecture per distinct best model"
    assert html.count("<img ") == len(drawn)
    _assert_self_contained(html)
    for name in TABLES:
        assert (search_report / "tables" / f"{name}.csv").is_file()
        json.loads((search_report / "tables" / f"{name}.json").read_text())
    with (search_report / "tables" / "effects.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert rows and {"operator", "output", "effect", "relevance_level"} <= set(rows[0])
    g = json.loads((search_report / "guidelines.json").read_text())
    assert g["version"] == 2 and g["verdict"] in (search_report / "guidelines.txt").read_text()
    assert "Insufficient evidence" in g["verdict"]  # 8 children cannot support a rule


def test_study_report_states_the_planted_rule(tmp_path: Path) -> None:
    # 20 bases: 10 for discovery, where the exact test over bases can reach alpha after Holm
    run = write_planted_run(tmp_path / "study", n_parents=20, per_parent=1)
    index = build_report(run, tmp_path / "report")
    html = index.read_text()
    assert "(study)" in html and "plant_a" in html
    g = json.loads((index.parent / "guidelines.json").read_text())
    assert g["rules"] and g["rules"][0]["operator"] == "plant_a"
    assert g["rules"][0]["direction"] == "improves"
    # a study has no generations to compare: usage and Pareto still render, lineage is b -> v
    assert (index.parent / "figures" / "lineage.png").read_bytes().startswith(PNG)
    _assert_self_contained(html)


def test_empty_run_renders_with_insufficient_data(tmp_path: Path) -> None:
    with Ledger(tmp_path / "empty", "w") as ledger:
        ledger.set_meta("config", {})
    index = build_report(tmp_path / "empty", tmp_path / "report")
    html = index.read_text()
    assert "Insufficient data" in html and "<img " not in html
    assert not list((index.parent / "figures").iterdir())
    for sid in SECTION_IDS:
        assert f'<section id="{sid}">' in html


def test_report_replaces_a_report_but_not_other_directories(tmp_path: Path) -> None:
    run = write_planted_run(tmp_path / "run", n_parents=2, per_parent=1)
    out = tmp_path / "report"
    build_report(run, out)
    (out / "stale.txt").write_text("old")
    build_report(run, out)
    assert (out / MARKER).is_file() and not (out / "stale.txt").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not empty"):
        build_report(run, other)
    assert (other / "keep.txt").read_text() == "mine"


def test_a_directory_without_a_run_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a run directory"):
        build_report(tmp_path, tmp_path / "report")
    assert not (tmp_path / "report").exists()


def test_run_without_children_skips_effect_and_lineage_figures(tmp_path: Path) -> None:
    run = write_planted_run(tmp_path / "run", n_parents=3, per_parent=0)
    index = build_report(run, tmp_path / "report")
    figures = sorted(p.name for p in (index.parent / "figures").iterdir())
    architectures = [f for f in figures if f.startswith(("architecture_", "front_"))]
    assert [f for f in figures if f not in architectures] == ["operator_usage.png", "pareto.png"]
    html = index.read_text()
    assert "no effect measured on class" in html and "no recorded ancestors" in html
    assert html.count("<img ") == 2 + len(architectures)
