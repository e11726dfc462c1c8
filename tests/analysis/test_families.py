"""The two multiple-testing families (issue 24 point 3): Holm over exactly the operator x output
cells over every base (the cells a study is sized for), Benjamini-Hochberg over the cells under
a condition; only the first gives rules, and guidelines.json says which cells, which
correction and how many."""

from __future__ import annotations

import json
import math

import pytest

from nas_ops.analysis import analyze_run
from nas_ops.analysis.statistics import benjamini_hochberg, holm
from tests.analysis.synthetic import write_planted_run


def test_benjamini_hochberg_matches_a_hand_computed_example() -> None:
    # sorted p 0.005, 0.01, 0.03, 0.04 (m = 4): m p / rank = 0.02, 0.02, 0.04, 0.04;
    # q = running minimum from the largest down: 0.04, 0.04, 0.02, 0.02
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.005]) == pytest.approx(
        [0.02, 0.04, 0.04, 0.02])
    q = benjamini_hochberg([math.nan, 0.5, 0.01])  # m = 2: 0.02, 0.5
    assert math.isnan(q[0]) and q[1:] == pytest.approx([0.5, 0.02])
    assert benjamini_hochberg([]) == []


@pytest.fixture(scope="module")
def guidelines(tmp_path_factory: pytest.TempPathFactory) -> dict:
    run = write_planted_run(tmp_path_factory.mktemp("families") / "run", n_parents=20)
    return json.loads(analyze_run(run).guidelines.to_json())


def _tested(g: dict) -> list[dict]:
    return [*g["rules"], *g["not_significant"], *g["exploratory"]["findings"],
            *g["exploratory"]["not_significant"]]


def test_holm_covers_exactly_the_operator_output_cells(guidelines: dict) -> None:
    g = guidelines
    confirmatory = [c for c in _tested(g) if c["condition"] == "all"]
    exploratory = [c for c in _tested(g) if c["condition"] != "all"]
    assert confirmatory and exploratory
    family = g["families"]["confirmatory"]
    assert family["correction"] == "holm" and family["alpha"] == 0.05
    assert family["size"] == g["n_family"] == len(confirmatory) == g["n_tested"]
    assert sorted(family["members"]) == sorted(f"{c['operator']} x {c['output']}"
                                               for c in confirmatory)
    # the old analysis corrected over every tested cell, conditions included: larger p
    expected = holm([c["p_value"] for c in confirmatory])
    assert [c["p_adjusted"] for c in confirmatory] == pytest.approx(expected, rel=1e-12)
    assert any(adj < old for adj, old in zip(expected,
                                              holm([c["p_value"] for c in _tested(g)]),
                                              strict=False))


def test_condition_cells_are_exploratory_under_benjamini_hochberg(guidelines: dict) -> None:
    g = guidelines
    exploratory = [*g["exploratory"]["findings"], *g["exploratory"]["not_significant"]]
    family = g["families"]["exploratory"]
    assert family["correction"] == "benjamini-hochberg"
    assert family["size"] == len(exploratory) > 0
    assert all(c["condition"] != "all" for c in exploratory)
    by_cell = {(c["condition"], c["level"], c["operator"], c["output"]): c for c in exploratory}
    members = [m.split(" | ") for m in family["members"]]
    cells = [(*cond.split(" = "), *cell.split(" x ")) for cell, cond in members]
    q = benjamini_hochberg([by_cell[c]["p_value"] for c in cells])
    assert [by_cell[c]["p_adjusted"] for c in cells] == pytest.approx(q, rel=1e-12)
    assert family["findings"] == len(g["exploratory"]["findings"]) == sum(x < 0.05 for x in q)
    # findings under a condition are hypotheses, never rules the guided policy follows
    assert all(r["condition"] == "all" for r in g["rules"])
    assert all(f["replication"] for f in g["exploratory"]["findings"])


def test_the_verdict_names_both_families(guidelines: dict) -> None:
    g = guidelines
    c, e = g["families"]["confirmatory"], g["families"]["exploratory"]
    assert (f"Holm correction over the {c['size']} confirmatory findings tested "
            "(operator x output over every base") in g["verdict"]
    assert f"Benjamini-Hochberg at q = 0.05 over {e['size']}): {e['findings']}" in g["verdict"]
