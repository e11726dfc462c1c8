"""The search-level transfer study (studies/transfer_search.py): the transferred guidelines
(another dataset's rules, the target's percentile bounds), a CI-size run whose transfer arm is
policy guided reading them, its page, and its CLI errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nas_ops import load_run, run_search
from nas_ops.experiments.table_arms import arm_config, record_of
from nas_ops.experiments.table_runner import read_results
from nas_ops.experiments.table_transfer import transferred
from tests.tables.conftest import needs_tables

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "studies" / "transfer_search.py"
GUIDELINES = ROOT / "studies" / "results" / "tables_opstudy" / "guidelines"


def _guidelines(table: str) -> dict:
    return json.loads((GUIDELINES / (table.replace("/", "_") + ".json")).read_text())


def test_transferred_guidelines_keep_the_rules_and_take_the_targets_bounds() -> None:
    cora, pubmed = _guidelines("nbgraph/cora"), _guidelines("nbgraph/pubmed")
    moved = transferred(cora, pubmed)
    assert moved["rules"] == cora["rules"] and moved["verdict"] == cora["verdict"]
    assert moved["percentile_bounds"] == pubmed["percentile_bounds"] != cora["percentile_bounds"]
    assert moved["source"]["table"] == "nbgraph/cora"
    assert moved["source"]["transferred_to"] == "nbgraph/pubmed"
    assert cora["source"].get("transferred_to") is None  # the source is not changed
    with pytest.raises(ValueError, match="another space"):
        transferred(cora, _guidelines("nb201/cifar10"))


@needs_tables
def test_a_ci_size_transfer_run_and_its_page(tmp_path: Path) -> None:
    out = tmp_path / "out"
    cmd = [sys.executable, str(SCRIPT), "run", str(out), "--targets", "nbgraph/citeseer",
           "--seeds", "0:3", "--workers", "1", "--budgets", "30,40"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    recs = read_results(out / "results.jsonl")
    assert sorted((r["arm"], r["seed"]) for r in recs) == sorted(
        (a, s) for a in ("aging:uniform", "aging:guided", "aging:transfer") for s in range(3))
    moved = json.loads((out / "guidelines" / "nbgraph_citeseer.json").read_text())
    assert moved == transferred(_guidelines("nbgraph/cora"), _guidelines("nbgraph/citeseer"))
    plan = json.loads((out / "plan.json").read_text())
    settings = plan["settings"]
    assert settings["transfer_from"] == "nbgraph/cora"
    config = arm_config("nbgraph/citeseer", "aging:transfer", 2, 40, settings)
    assert config.policy.name == "guided"
    assert Path(config.policy.guidelines).resolve() == (
        out / "guidelines" / "nbgraph_citeseer.json").resolve()
    own = arm_config("nbgraph/citeseer", "aging:guided", 2, 40, settings)
    assert Path(own.policy.guidelines).resolve() == (
        GUIDELINES / "nbgraph_citeseer.json").resolve()
    # the record of the transfer arm is a guided run reading the transferred file
    run_search(config, tmp_path / "again", progress=False)
    rec = next(r for r in recs if r["arm"] == "aging:transfer" and r["seed"] == 2)
    assert record_of(tmp_path / "again", "nbgraph/citeseer", [30, 40]).items() <= rec.items()
    reasons = [v.event.hint["reason"] for v in load_run(tmp_path / "again").variations
               if v.event.hint]
    assert any(r.startswith("rule (") for r in reasons), reasons  # cora's rules followed
    # a resume with the same arguments runs nothing more
    assert subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.startswith(
        "9 finished, 0 to run")
    page = subprocess.run([sys.executable, str(SCRIPT), "summarize", str(out)],
                          capture_output=True, text=True, check=True).stdout
    assert "**Runs: 9** (1 datasets x 3 arms, **3 paired seeds**" in page
    assert "(Holm over the 1 datasets at 0.05)" in page  # at the largest budget only
    assert "| citeseer |" in page


def test_a_bad_source_is_one_line_and_exit_2(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), "run", str(tmp_path / "out"),
                           "--source", "nbgraph/mars"], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 2
    assert proc.stderr.startswith("--source: unknown table 'nbgraph/mars'; valid: nbgraph/cora, ")
    assert proc.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists()
