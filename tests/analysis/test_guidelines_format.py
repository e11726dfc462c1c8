"""The one guidelines.json format: what the analysis writes reads back whole, the committed
guidelines files load, and the guided policy keeps only its fields of each rule."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from nas_ops.analysis import Guidelines
from nas_ops.engine.policies import load_rules
from nas_ops.errors import ConfigError
from nas_ops.guidelines_format import (
    FORMAT,
    POLICY_FIELDS,
    VERSION,
    Rule,
    document,
    dumps,
    finite,
    read,
)

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = sorted([*(ROOT / "studies" / "results").rglob("guidelines.json"),
                    ROOT / "tests" / "engine" / "data" / "guidelines.json"])


def full_rule() -> Rule:
    return Rule("size", "small", "add_layer", "class", "improves", 0.03, (0.01, 0.05), 0.001,
                0.002, 40, 0.7, 0.4, 1500.0, n_bases=12, p_improve_ci=(0.6, 0.8),
                cliffs_ci=(0.2, math.nan), scaled_effect=0.1, scaled_ci=(0.05, 0.15),
                against="matched_control", also=["affected = affected"],
                discovery={"n": 20, "median": 0.02}, replication={"n": 20, "ci": [0.0, 0.1]},
                replicated=True)


def test_what_the_analysis_writes_reads_back_whole(tmp_path: Path) -> None:
    g = Guidelines(0.05, 10, 3, 2, rules=[full_rule(), Rule("all", "all", "x", "y", "worsens",
                                                            -0.5)])
    path = tmp_path / "guidelines.json"
    path.write_text(g.to_json())
    found = read(path)
    assert found.data["format"] == FORMAT == "nas-ops-guidelines"
    assert found.data["version"] == VERSION == 2
    assert found.data == json.loads(g.to_json())
    assert [finite(r.to_dict()) for r in found.rules] == \
        [finite(r.to_dict()) for r in g.rules]  # NaN is written null and read back NaN
    assert found.rules[0].cliffs_ci[1] != found.rules[0].cliffs_ci[1]
    assert math.isnan(found.rules[1].complexity_cost) and found.rules[1].score == -0.5


def test_the_policy_keeps_its_fields_and_records_only_them(tmp_path: Path) -> None:
    path = tmp_path / "g.json"
    path.write_text(dumps(document({"rules": [full_rule().to_dict()]})))
    rules = load_rules(path)
    (rule,) = rules.rules
    assert {f: getattr(rule, f) for f in POLICY_FIELDS} == \
        {f: getattr(full_rule(), f) for f in POLICY_FIELDS}
    assert rule.support == 0 and rule.also == [] and math.isnan(rule.p_value)
    assert list(rules.to_record()["rules"][0]) == list(POLICY_FIELDS)


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: str(p.relative_to(ROOT)))
def test_committed_guidelines_load_as_they_did(path: Path) -> None:
    raw = json.loads(path.read_text())
    found = read(path)
    assert len(found.rules) == len(raw["rules"])  # a study may find none (table_study_cora)
    rules = load_rules(path)
    # the policy's rules: the eight fields as written (null = NaN; replicated only when true)
    expected = [{f: (math.nan if r[f] is None else r[f]) for f in POLICY_FIELDS[:-1]}
                | {"replicated": r["replicated"] is True} for r in raw["rules"]]
    assert [finite(r) for r in rules.to_record()["rules"]] == [finite(e) for e in expected]
    assert type(rules).from_record(json.loads(json.dumps(rules.to_record()))) == rules


@pytest.mark.parametrize(("rule", "message"), [
    ({"support": "many"}, "rule #0: 'support' = 'many' is not a whole number"),
    ({"ci": [1.0]}, "rule #0: 'ci' = [1.0] is not a [low, high] pair"),
    ({"expected_effect": "big"}, "'expected_effect' = 'big' is not a number"),
    ({"operator": 3}, "'operator' = 3 is not text"),
    ({"also": "x"}, "'also' = 'x' is not a list of text"),
])
def test_a_bad_rule_field_is_named_in_one_line(tmp_path: Path, rule: dict,
                                               message: str) -> None:
    body = {f: "all" for f in POLICY_FIELDS[:5]} | {"expected_effect": 0.1,
                                                    "complexity_cost": 1.0, "replicated": True}
    path = tmp_path / "g.json"
    path.write_text(json.dumps(document({"rules": [body | rule]})))
    with pytest.raises(ConfigError) as info:
        read(path, "policy.guidelines")
    assert str(info.value).startswith(f"policy.guidelines: {path}: ")
    assert message in str(info.value) and "\n" not in str(info.value)


OLD = Path(__file__).parent / "data" / "guidelines_before_families.json"


def test_a_file_written_before_families_and_regimes_reads(tmp_path: Path) -> None:
    # cut from studies/results/operator_effects_real/report/guidelines.json as committed before
    # issue 24 point 3: one Holm family over every cell, conditioned rules, no regime
    raw = json.loads(OLD.read_text())
    assert "families" not in raw and all("regime" not in r for r in raw["rules"])
    found = read(OLD)
    assert [(r.condition, r.operator, r.output) for r in found.rules] == [
        ("all", "reinit_network", "reconstruction"),
        ("all", "reinit_network", "class"),
        ("worst_output", "add_layer", "reconstruction"),
        ("relevance", "reinit_network", "reconstruction")]
    assert all(r.regime == {} for r in found.rules)
    assert found.rules[1].p_adjusted == raw["rules"][1]["p_adjusted"]
    assert "holds for" not in found.rules[0].text()  # no regime: none stated, none invented
    rules = load_rules(OLD)
    assert [r.operator for r in rules.rules] == [r["operator"] for r in raw["rules"]]
    # and a file written now, with both, reads in full
    g = Guidelines(0.05, 10, 3, 2, rules=[full_rule()])
    g.rules[0].regime = {"child_budget": {"epochs": 2}, "parents": {"converged": 1}}
    g.families = {"confirmatory": {"size": 1, "correction": "holm"}}
    path = tmp_path / "new.json"
    path.write_text(g.to_json())
    assert read(path).rules[0].regime == g.rules[0].regime
    assert read(path).data["families"] == g.families
