"""The committed CI-size study runs end to end through the CLI and its report is complete."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nas_ops import load_run
from nas_ops.report import SECTION_IDS

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_ci_study_and_its_report(tmp_path: Path) -> None:
    run_dir, report = tmp_path / "study", tmp_path / "report"
    cli = [sys.executable, "-m", "nas_ops"]
    subprocess.run([*cli, "study", str(ROOT / "studies" / "operator_effects_ci.toml"),
                    "--out", str(run_dir), "--quiet"], check=True, capture_output=True)
    run = load_run(run_dir)
    assert run.meta.kind == "study" and run.meta.status == "finished"
    bases = [i for i in run.individuals if i.generation == 0]
    assert len(bases) == 4 and {r[0] for r in run.diagnoses} == {b.uid for b in bases}
    # the CI study's 4 bases are at chance level (1 epoch on 400 samples): no rule may be drawn
    # from them unless asked, so the end-to-end check asks
    out = subprocess.run([*cli, "report", str(run_dir), "--out", str(report),
                          "--allow-untrained"], check=True, capture_output=True, text=True)
    assert out.stdout.strip().endswith("index.html")
    html = (report / "index.html").read_text()
    for sid in SECTION_IDS:
        assert f'<section id="{sid}">' in html
    guidelines = json.loads((report / "guidelines.json").read_text())
    # base model as the unit (issue 12): most operator cells of the CI study have < 10 children
    # whose output the edit reaches, so what gets tested may be comparisons with the control only
    assert guidelines["n_family"] > 0, "the CI study must give cells enough support to test"
    assert guidelines["n_tested"] == len(guidelines["rules"]) + len(guidelines["not_significant"])
    for rule in guidelines["rules"]:
        assert rule["support"] >= 10 and rule["p_adjusted"] <= 0.05
    # the page keeps to what a reader acts on: the long conditioned table is collapsed, without
    # its all-zero cells, and a rule resting on the same sample under two conditions shows once
    conditioned = html.split('<section id="conditioned">')[1].split("</section>")[0]
    assert "<details>" in conditioned and "whose every effect is exactly 0" in conditioned
    rules = html.split('<section id="guidelines">')[1].split("</section>")[0]
    shown = rules.split("<tbody>")[1].split("</tbody>")[0].count("<tr>") if guidelines[
        "rules"] else 0
    evidence = {(r["operator"], r["output"], r["support"], r["expected_effect"], r["p_value"])
                for r in guidelines["rules"]}
    assert shown == len(evidence)
