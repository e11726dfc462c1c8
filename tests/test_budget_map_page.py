"""The budget map's results page (studies/budget_map.py summarize) from a committed report: the
pilot's map.json, whose numbers the page must carry exactly."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from types import ModuleType

import pytest

from tests.study_scripts import study_script

ROOT = Path(__file__).resolve().parents[1]


def _module() -> ModuleType:
    return study_script("budget_map")


def test_the_page_carries_the_reports_break_even_and_drift(tmp_path: Path) -> None:
    shutil.copyfile(ROOT / "studies" / "results" / "budget_map" / "pilot.json",
                    tmp_path / "map.json")
    text = _module().summarize(tmp_path)
    a = json.loads((tmp_path / "map.json").read_text())["analysis"]
    b = a["break_even"]["conv|operator|reinit_network|all"]
    row = next(line for line in text.splitlines()
               if line.startswith("| conv | reinit_network | all |"))
    assert f"| {b['break_even']} ({b['interval'][0]} .. {b['interval'][1]}) |" in row
    assert " | ".join(f"{m:+.3f}" for m in b["medians"]) in row
    d = a["control_drift"]["conv|e2_lr10|class"]
    assert f"| conv | e2_lr10 | class | {d['bases']} | {d['median']:+.3f} |" in text
    cls = {k.split("|")[1]: v for k, v in a["control_drift"].items()
           if k.startswith("conv|") and k.endswith("|class")}
    best = min(abs(v["median"]) for v in cls.values())
    line = next(x for x in text.splitlines() if x.startswith("- `conv` parents, class: "))
    for rule, v in cls.items():  # every rule tied closest to 0 is named, with its counts
        named = f"`{rule}` ({v['median']:+.3f}; {v['above_zero']} up, {v['below_zero']} down)"
        assert (named in line) == (abs(v["median"]) == best), (rule, line)
    n = sum(1 for k, v in a["break_even"].items()
            if k.startswith("e5|operator|") and k.endswith("|all") and v["break_even"] == "e2")
    assert f"Parents `e5`: operators breaking even (all outputs) at e2: {n}," in text


@pytest.mark.slow
def test_the_committed_map_recomputes_from_the_committed_ledger(tmp_path: Path) -> None:
    """studies/budget_map.py report on studies/results/budget_map/ledger.sqlite.gz gives the
    committed map.json's analysis, bases and design exactly (seeded bootstrap, 2,000 resamples)."""
    results = ROOT / "studies" / "results" / "budget_map"
    (tmp_path / "run").mkdir()
    with gzip.open(results / "ledger.sqlite.gz") as src, \
            (tmp_path / "run" / "ledger.sqlite").open("wb") as dst:
        shutil.copyfileobj(src, dst)
    committed = json.loads((results / "map.json").read_text())
    got = _module().report(tmp_path / "run", committed["analysis"]["seed"],
                           committed["analysis"]["n_boot"])
    for key in ("analysis", "bases", "design", "evaluations", "status"):
        assert json.loads(json.dumps(got[key])) == committed[key], key
