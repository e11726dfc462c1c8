"""The analysis recovers effects planted in a synthetic ledger."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from nas_ops.analysis import Analysis, analyze_run
from tests.analysis.synthetic import write_planted_run


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Analysis:
    return analyze_run(write_planted_run(tmp_path_factory.mktemp("planted")))


def _cell(a: Analysis, op: str, output: str):
    return next(c for c in a.stats if c.operator == op and c.output == output)


def test_effect_rows_are_signed_and_complete(planted: Analysis) -> None:
    # 20 parents x 2 operators x 2 children x 3 outputs
    assert len(planted.effects) == 240
    row = next(r for r in planted.effects if r.operator == "plant_a" and r.output == "class")
    assert row.effect == pytest.approx(row.child_value - row.parent_value)
    assert row.relative_effect == pytest.approx(row.effect / row.parent_value)
    assert row.d_parameters == 50 and row.family == "unknown" and row.affected
    assert row.cost_s == 0.5 and row.parent_parameters == 1000
    recon = [r for r in planted.effects if r.output == "reconstruction"]
    assert all(r.effect == 0.0 and not r.affected for r in recon)
    hist = [r for r in planted.effects if r.output == "histogram"]
    assert all(r.effect == 0.0 for r in hist) and {r.affected for r in hist} == {True, False}


def test_planted_improvement_is_found(planted: Analysis) -> None:
    a = _cell(planted, "plant_a", "class")
    assert a.n == 40 and a.p_value < 0.01
    assert a.ci_low <= 0.05 <= a.ci_high
    assert a.median == pytest.approx(0.05, abs=0.005)
    assert a.p_improve == 1.0 and a.cliffs_delta == 1.0
    assert a.mean_d_parameters == 50


def test_no_effect_operator_is_not_significant(planted: Analysis) -> None:
    b = _cell(planted, "plant_b", "class")
    assert b.n == 40 and b.p_value > 0.05
    assert b.ci_low <= 0.0 <= b.ci_high
    assert abs(b.cliffs_delta) < 0.3
    assert math.isnan(_cell(planted, "plant_b", "reconstruction").p_value)  # all exactly 0


def test_kruskal_and_pairwise_detect_the_difference(planted: Analysis) -> None:
    k = next(k for k in planted.kruskal if k.output == "class")
    assert k.operators == ["plant_a", "plant_b"] and k.p_value < 1e-6
    pair = next(p for p in planted.pairwise if p.output == "class")
    assert (pair.a, pair.b, pair.n_a, pair.n_b) == ("plant_a", "plant_b", 40, 40)
    assert pair.p_adjusted < 1e-6


def test_rates_count_every_attempt(planted: Analysis) -> None:
    rates = {r.operator: r for r in planted.rates}
    assert rates["plant_a"].attempts == 60 and rates["plant_a"].ok == 40
    assert rates["plant_a"].not_applicable == 20
    assert rates["plant_a"].success_rate == pytest.approx(2 / 3)
    assert rates["plant_b"].neutral == 0 and rates["plant_b"].failure_rate == 0.0


def test_covariates(planted: Analysis) -> None:
    rows = [r for r in planted.effects if r.output == "class"]
    assert {r.relevance_level for r in rows} == {"low", "high"}
    assert {(r.edited_network, r.distance, r.distance_level) for r in rows} == {
        ("n0", 2, "far"), ("n1", 1, "near")}
    assert {r.size_level for r in rows} == {"small", "large"}
    assert all(r.worst_output is not None for r in rows)
    # exactly one worst output per parent
    per_child = {}
    for r in planted.effects:
        per_child[r.child] = per_child.get(r.child, 0) + bool(r.worst_output)
    assert set(per_child.values()) == {1}
    # n0 -> n1 -> class, n0 -> histogram; neither reaches reconstruction
    assert planted.coverage["distance"] == {"near": 80, "far": 40, "missing": 120}
    assert planted.coverage["affected"] == {"affected": 120, "unaffected": 120, "missing": 0}


def test_guidelines_state_the_planted_rule_only(planted: Analysis) -> None:
    g = planted.guidelines
    assert g.rules and all(r.operator == "plant_a" and r.output == "class" for r in g.rules)
    top = next(r for r in g.rules if r.condition == "all")
    # 20 bases, 10 of them for discovery: the exact floor is 2 / 2**10 before Holm
    assert top.direction == "improves" and top.support == 40 and top.p_adjusted < 0.05
    assert top.replicated and top.n_bases == 20
    assert top.ci[0] <= 0.05 <= top.ci[1] and top.complexity_cost == 50
    data = json.loads(g.to_json())
    assert data["format"] == "nas-ops-guidelines" and data["version"] == 2
    assert any(c["operator"] == "plant_b" for c in data["not_significant"] + data["insufficient"])
    assert "plant_a improves class" in g.text()


def test_tiny_runs_say_evidence_is_insufficient(tmp_path: Path) -> None:
    a = analyze_run(write_planted_run(tmp_path / "tiny", n_parents=2, per_parent=2))
    assert a.guidelines.rules == [] and a.guidelines.n_tested == 0
    assert a.guidelines.verdict.startswith("Insufficient evidence")
    assert "n = 4 < 10" in json.dumps(a.guidelines.to_dict()["insufficient"])


def test_analysis_is_deterministic(planted: Analysis) -> None:
    again = analyze_run(planted.run)
    def dump(a: Analysis) -> str:
        return json.dumps([c.to_dict() for c in a.stats + a.conditioned])  # nan -> NaN

    assert dump(again) == dump(planted)
