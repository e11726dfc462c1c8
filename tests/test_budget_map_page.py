"""The budget map's results page (studies/budget_map.py summarize) from a committed report: the
pilot's map.json, whose numbers the page must carry exactly."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_page_carries_the_reports_break_even_and_drift(tmp_path: Path) -> None:
    shutil.copyfile(ROOT / "studies" / "results" / "budget_map" / "pilot.json",
                    tmp_path / "map.json")
    spec = importlib.util.spec_from_file_location("budget_map", ROOT / "studies" /
                                                  "budget_map.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = module.summarize(tmp_path)
    a = json.loads((tmp_path / "map.json").read_text())["analysis"]
    b = a["break_even"]["conv|operator|reinit_network|all"]
    row = next(line for line in text.splitlines()
               if line.startswith("| conv | reinit_network | all |"))
    assert f"| {b['break_even']} ({b['interval'][0]} .. {b['interval'][1]}) |" in row
    assert " | ".join(f"{m:+.3f}" for m in b["medians"]) in row
    d = a["control_drift"]["conv|e2_lr10|class"]
    assert f"| conv | e2_lr10 | class | {d['bases']} | {d['median']:+.3f} |" in text
    assert f"`conv`: `{a['neutral_control']['conv']}`" in text
    n = sum(1 for k, v in a["break_even"].items()
            if k.startswith("e5|operator|") and k.endswith("|all") and v["break_even"] == "e2")
    assert f"Parents `e5`: operators breaking even (all outputs) at e2: {n}," in text
