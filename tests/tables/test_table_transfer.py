"""Transfer of a table's rules (nas_ops.experiments.table_transfer): verdicts on hand-made cells,
and the committed page's headline recomputed from the committed cells with json alone."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from nas_ops.experiments.table_transfer import (
    across_objectives,
    across_tables,
    judge,
    sign,
    tally,
    wilson,
)

ROOT = Path(__file__).resolve().parents[2]
CELLS = ROOT / "studies" / "results" / "tables_opstudy" / "cells"


def cell(op: str, lo: float, hi: float, *, disc: tuple[float, float] = (0.1, 0.2),
         objective: str = "class", condition: str = "all", level: str = "all",
         higher: bool = True, replicated: bool = True) -> dict:  # type: ignore[type-arg]
    return {"operator": op, "condition": condition, "level": level, "objective": objective,
            "higher_is_better": higher, "significant": True, "replicated": replicated,
            "discovery": {"n_bases": 10, "ci": list(disc)},
            "held_out": {"n_bases": 10, "ci": [lo, hi]}}


def test_verdicts_follow_the_replication_rule_and_the_objectives_direction() -> None:
    rule = cell("a", 0.1, 0.2)
    assert judge(rule, cell("a", 0.05, 0.3)) == "holds"
    assert judge(rule, cell("a", -0.3, -0.05)) == "reversed"
    assert judge(rule, cell("a", -0.1, 0.3)) == "no effect"
    assert judge(rule, None) == "absent"
    assert judge(rule, {**cell("a", 0.1, 0.2), "held_out": {"n_bases": 0}}) == "absent"
    # latency: lower is better, so a rise is "worse" and the signs flip
    assert sign(cell("a", 5.0, 9.0, higher=False), "held_out") == -1
    slower = cell("a", 5.0, 9.0, disc=(2.0, 3.0), objective="latency_us", higher=False)
    assert judge(slower, cell("a", 1.0, 4.0, objective="latency_us", higher=False)) == "holds"


def test_tables_are_judged_pairwise_on_replicated_rules_only() -> None:
    cells = {"x": [cell("a", 0.1, 0.2), cell("b", 0.1, 0.2, replicated=False)],
             "y": [cell("a", -0.2, -0.1), cell("b", 0.1, 0.2)],
             "z": [cell("b", 0.1, 0.2)]}
    got = across_tables(cells)
    assert got["x"]["y"]["reversed"] == 1 and got["x"]["y"]["rules"] == 1  # b did not replicate
    assert got["x"]["z"]["absent"] == 1 and math.isnan(got["x"]["z"]["rate"])
    assert got["y"]["z"] == tally(["absent", "holds"])
    assert got["y"]["z"]["rate"] == 1.0


def test_objectives_are_judged_on_the_same_cell() -> None:
    cells = [cell("a", 0.1, 0.2), cell("a", 0.1, 0.3, objective="class.analog_accuracy"),
             cell("a", -0.3, 0.1, objective="class.drift_30d_accuracy")]
    got = across_objectives(cells)
    assert got["class.analog_accuracy"]["holds"] == 1
    assert got["class.drift_30d_accuracy"]["no effect"] == 1


def test_wilson_interval() -> None:
    lo, hi = wilson(19, 21)  # 0.905: the interval is asymmetric, within [0, 1]
    assert lo == pytest.approx(0.711, abs=1e-3) and hi == pytest.approx(0.973, abs=1e-3)
    assert wilson(0, 10)[0] == 0.0 and all(math.isnan(x) for x in wilson(0, 0))


def test_the_nb201_analog_headline_recomputes_from_the_committed_cells() -> None:
    """The page's "19 of 21 hold on analog accuracy" by hand: json and arithmetic alone."""
    cells = json.loads((CELLS / "nb201_cifar10.json").read_text())["cells"]
    by_key = {(c["operator"], c["condition"], c["level"], c["objective"]): c for c in cells}
    rules = [c for c in cells if c["objective"] == "class" and c.get("significant")
             and c.get("replicated")]
    holds = 0
    for r in rules:
        t = by_key[(r["operator"], r["condition"], r["level"], "class.analog_accuracy")]
        lo, hi = t["held_out"]["ci"]
        want = 1 if r["discovery"]["ci"][0] > 0 else -1
        holds += (lo > 0 and want == 1) or (hi < 0 and want == -1)
    page = (ROOT / "docs" / "tables-transfer.md").read_text()
    assert f"{holds} of {len(rules)} hold on analog accuracy" in page
