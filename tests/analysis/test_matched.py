"""Matched controls, bases at chance, retrain-everything edits and cells tested once."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from nas_ops.analysis import Analysis, analyze_run, derive_guidelines
from tests.analysis.synthetic import write_planted_run

# Retraining the child's trainable set alone improves class by +0.03; plant_a by +0.08 (+0.05
# against its matched control); plant_b by +0.03: no better than its matched control.
EDITS = {"plant_a": {"class": (0.08, 0.01)}, "plant_b": {"class": (0.03, 0.01)}}
MATCHED = {"matched_control": {"class": (0.03, 0.01)}}


@pytest.fixture(scope="module")
def matched(tmp_path_factory: pytest.TempPathFactory) -> Analysis:
    run_dir = write_planted_run(tmp_path_factory.mktemp("matched"), EDITS, n_parents=30,
                                matched=MATCHED)
    return analyze_run(run_dir)


def test_rows_pair_each_edit_with_its_matched_control(matched: Analysis) -> None:
    rows = [r for r in matched.effects if r.operator == "plant_a"]
    assert rows and all(r.control == f"m{r.child}" for r in rows)
    cls = [r for r in rows if r.output == "class"]
    assert all(r.effect_vs_control == pytest.approx(r.child_value - r.control_value)
               for r in cls)
    # an unaffected output is exactly unchanged in the edit and in its control
    recon = [r for r in rows if r.output == "reconstruction"]
    assert all(not r.affected and r.effect == 0.0 and r.effect_vs_control == 0.0 for r in recon)


def test_primary_effect_is_edit_minus_matched_control(matched: Analysis) -> None:
    g = matched.guidelines
    assert g.versus_control == []  # the pairing replaces the unpaired comparison
    assert [(r.operator, r.output, r.condition) for r in g.rules
            if r.condition == "all"] == [("plant_a", "class", "all")]
    top = next(r for r in g.rules if r.condition == "all")
    assert top.against == "matched_control" and top.replicated
    assert top.ci[0] <= 0.05 <= top.ci[1]
    assert top.expected_effect == pytest.approx(0.05, abs=0.01)
    assert not any(r.operator in ("plant_b", "matched_control") for r in g.rules)
    b = next(c for c in matched.stats if c.operator == "plant_b" and c.output == "class")
    assert b.ci_low <= 0.0 <= b.ci_high and b.n_bases == 30


def test_affected_and_all_cells_are_tested_once(matched: Analysis) -> None:
    g = matched.guidelines
    assert not any(r.condition == "affected" for r in g.rules)
    top = next(r for r in g.rules if r.condition == "all")
    assert "affected = affected" in top.also
    keys = [(c["operator"], c["output"], c["condition"], c["level"])
            for c in g.not_significant + g.insufficient]
    assert len(keys) == len(set(keys))


def test_every_effect_size_has_an_interval(matched: Analysis) -> None:
    top = next(r for r in matched.guidelines.rules if r.condition == "all")
    for lo, hi in (top.ci, top.p_improve_ci, top.cliffs_ci, top.scaled_ci):
        assert lo <= hi
    assert top.p_improve_ci[0] <= top.p_improve <= top.p_improve_ci[1]
    assert top.cliffs_ci[0] <= top.cliffs_delta <= top.cliffs_ci[1]
    d = top.discovery | {}
    assert d["n_bases"] == 15 and d["p_adjusted"] >= d["p_value"]
    assert top.replication["n_bases"] == 15 and top.replication["ci"][0] > 0
    rep = matched.guidelines.to_dict()["replication"]
    assert rep["findings"] >= 1 and rep["rate"] == rep["replicated"] / rep["findings"]


def test_bases_at_chance_give_no_rules_unless_allowed(tmp_path: Path) -> None:
    run_dir = write_planted_run(tmp_path / "chance", EDITS, n_parents=30, matched=MATCHED,
                                chance=30)
    g = analyze_run(run_dir).guidelines
    assert len(g.bases["at_chance"]) == 30 and g.bases["used"] == 0
    assert g.rules == [] and g.n_tested == 0
    allowed = analyze_run(run_dir, allow_untrained=True).guidelines
    assert any(r.operator == "plant_a" for r in allowed.rules)


def test_bases_meta_decides_when_present(tmp_path: Path) -> None:
    meta = {f"b{p:03d}": {"converged": p >= 10, "steps": 100, "chance_level": p < 10}
            for p in range(30)}
    run_dir = write_planted_run(tmp_path / "meta", EDITS, n_parents=30, matched=MATCHED,
                                chance=0, bases_meta=meta)
    g = analyze_run(run_dir).guidelines
    assert g.bases["at_chance"] == [f"b{p:03d}" for p in range(10)]
    assert g.bases["used"] == 20 and g.bases["converged"] == 20


def test_retrain_everything_edits_are_never_judged_against_zero(matched: Analysis) -> None:
    rows = [dataclasses.replace(r, control=None, retrains_all=r.operator == "plant_a")
            for r in matched.effects if r.operator != "matched_control"]
    g = derive_guidelines(rows, n_boot=200)
    assert not any(r.operator == "plant_a" for r in g.rules)


def test_without_a_control_arm_nothing_is_compared_with_it(tmp_path: Path) -> None:
    g = analyze_run(write_planted_run(tmp_path / "plain", n_parents=4)).guidelines
    assert not any(c["kind"] == "versus_control" for c in g.insufficient + g.not_significant)
