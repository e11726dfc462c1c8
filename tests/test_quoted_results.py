"""Numbers that README.md and docs/ quote from committed results pages: each must equal what the
committed result file says, so that a re-run that changes a result fails here until the text
changes with it."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_multi_fidelity_retest_is_quoted_as_committed() -> None:
    data = json.loads((ROOT / "studies" / "results" / "fidelity_sh" / "compare" / "main" /
                       "compare.json").read_text())
    (sp,) = data["speedups"]
    quoted = (f"median speed-up {sp['median']:.3g} (95 % interval {sp['ci_low']:.3g} to "
              f"{sp['ci_high']:.3g}")
    final = next(t for t in data["tests"] if t["measure"] == "final")
    base = sum(data["measures"]["final"]["full"].values()) / len(final["seeds"])
    # halving - full, as a share of full's mean (the test's difference is b - a, a = full)
    rel = [100 * final[k] / base for k in ("mean_difference", "ci_low", "ci_high")]
    assert final["a"] == "full" and data["speedup_share"] == 0.9
    span = f"{rel[0]:.0f} %, interval {rel[1]:.0f} % to {rel[2]:+.0f} %"
    readme = " ".join((ROOT / "README.md").read_text().split())
    doc = " ".join((ROOT / "docs" / "fidelity.md").read_text().split())
    assert quoted.replace("median speed-up", "a median speed-up of") in readme
    assert quoted in doc
    assert span in readme and span.replace(", interval", " (interval") in doc, span


def test_the_budget_map_is_quoted_as_committed() -> None:
    a = json.loads((ROOT / "studies" / "results" / "budget_map" / "map.json").read_text())[
        "analysis"]
    b = a["break_even"]
    ops = ["reinit_network", "remove_layer", "change_initializer", "add_layer", "deepen_network",
           "change_learning_rate"]
    quoted = ", ".join(
        f"{op} {b[f'conv|operator|{op}|all']['break_even']} "
        f"({b[f'conv|operator|{op}|all']['interval'][0]} to "
        f"{b[f'conv|operator|{op}|all']['interval'][1]})" for op in ops)
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert f"On converged parents: {quoted};" in readme, quoted
    assert {b[f"e5|operator|{op}|all"]["break_even"] for op in ops} == {"e2"}
    assert "on parents at 5 epochs every one of them breaks even at e2" in readme
    d = a["control_drift"]["conv|e2|class"]
    assert d["median"] == 0.0
    assert (f"(fresh 2 epochs: {d['above_zero']} bases better, {d['below_zero']} worse)"
            in readme)
    assert all(v["median"] == 0.0 for k, v in a["control_drift"].items()
               if k.startswith("conv|") and k.endswith("|class"))


def test_the_search_decomposition_is_quoted_as_its_page_says() -> None:
    """The shares README quotes are the generated page's (the page itself is held equal to the
    committed results by the golden test)."""
    page = (ROOT / "docs" / "search-decomposition.md").read_text()
    share = {}
    for arm in ("uniform", "ranked"):
        row = next(x for x in page.splitlines() if x.startswith(f"| {arm} |"))
        cell = row.rstrip(" |").rsplit("| ", 1)[1]  # "+0.08 (-0.06 .. +0.21)"
        est, lo, hi = cell.replace("(", "").replace(")", "").replace("..", "").split()
        share[arm] = (est, lo, hi)
    readme = " ".join((ROOT / "README.md").read_text().split())
    est, lo, hi = share["uniform"]
    assert f"architecture share of uniform search is {est} (95 % interval {lo} to {hi})" in readme
    est, lo, hi = share["ranked"]
    assert f"total variation {est} ({lo} to {hi})" in readme
