"""Commit a finished operator-effect study, and write its summary page from the committed files.

    python studies/study_results.py package RUN_DIR CONFIG.toml OUT_DIR [--note TEXT]
        report (nas-ops report), the config, provenance.json (seed, commit, versions, machine,
        dates, cost) and the gzipped ledger into OUT_DIR (e.g. studies/results/<name>)
    python studies/study_results.py report OUT_DIR
        OUT_DIR/report again from OUT_DIR's committed ledger, with this checkout's analysis
        (after the statistics changed); the run directory it names is the one the report
        named, provenance.json is kept. Then summarize again, into the docs page.
    python studies/study_results.py summarize OUT_DIR [--doc docs/FILE.md]
        the markdown summary of OUT_DIR, every number read from OUT_DIR's files (stdout, or
        written to --doc); tests/studies/test_study_results.py checks the committed page is
        exactly what this prints

Numbers in the docs come from here, never typed by hand.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from nas_ops import analyze_run, build_report, load_run
from nas_ops.infra.outdir import replacing
from nas_ops.report import render_report

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "studies"))  # _results_cli beside this file, however loaded
from _results_cli import main as cli_main  # noqa: E402

from nas_ops.infra.machine import cpu_name  # noqa: E402


def _commit(run_dir: Path) -> str:
    """The commit the run was started from (``RUN_DIR.commit`` beside it), else HEAD."""
    marker = run_dir.with_name(run_dir.name + ".commit")
    if marker.is_file():
        return marker.read_text().strip()
    out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    return out.stdout.strip()


def provenance(run_dir: Path, config: Path, note: str = "") -> dict[str, Any]:
    run = load_run(run_dir)
    evaluated = run.evaluated()
    records = [i.evaluation for i in evaluated if i.evaluation is not None]
    by_status: dict[str, int] = {}
    for r in records:
        by_status[r.status] = by_status.get(r.status, 0) + 1
    ledger = run_dir / "ledger.sqlite"
    return {
        "config": config.name, "seed": run.meta.seed, "kind": run.meta.kind,
        "status": run.meta.status, "commit": _commit(run_dir),
        "versions": run.meta.versions,
        "machine": {"cpu": cpu_name(), "cpu_count": os.cpu_count(),
                    "platform": platform.platform()},
        "started": run.meta.created,
        "ledger_modified": time.strftime("%Y-%m-%dT%H:%M:%S%z",
                                         time.localtime(ledger.stat().st_mtime)),
        "evaluations": len(records), "by_status": by_status,
        "training_steps": sum(r.steps for r in records),
        "evaluation_wall_s": round(sum(r.wall_time_s for r in records), 1),
        "bases": run.meta.bases, "applicability": run.meta.applicability,
        "note": note,
    }


def package(run_dir: Path, config: Path, out: Path, note: str = "") -> None:
    out.mkdir(parents=True, exist_ok=True)
    build_report(run_dir, out / "report", seed=0, progress=print)
    # the same rows as tables/effects.csv, 4x its size: `nas-ops report` writes it again
    (out / "report" / "tables" / "effects.json").unlink()
    shutil.copyfile(config, out / config.name)
    prov = provenance(run_dir, config, note)
    (out / "provenance.json").write_text(json.dumps(prov, indent=1) + "\n")
    with (run_dir / "ledger.sqlite").open("rb") as src, \
            gzip.open(out / "ledger.sqlite.gz", "wb", compresslevel=9) as dst:
        shutil.copyfileobj(src, dst)


def reanalyse(out: Path) -> None:
    """OUT_DIR/report again from OUT_DIR/ledger.sqlite.gz, as :func:`package` wrote it (seed
    0, effects.json left out), the run named by the directory the old report named."""
    old = json.loads((out / "report" / "guidelines.json").read_text())
    run_dir = Path(old["source"]["run_dir"])
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / run_dir.name
        local.mkdir()
        with gzip.open(out / "ledger.sqlite.gz") as src, \
                (local / "ledger.sqlite").open("wb") as dst:
            shutil.copyfileobj(src, dst)
        run = dataclasses.replace(load_run(local), run_dir=run_dir)
        analysis = analyze_run(run, seed=0, progress=print)
        with replacing(out / "report", "report", flag="report directory") as new:
            render_report(analysis, new, print)
    (out / "report" / "tables" / "effects.json").unlink()


# ------------------------------------------------------------------------------- summary
def _num(x: Any, fmt: str = "+.3g") -> str:
    return "n/a" if x is None else format(x, fmt)


def _ci(ci: Any) -> str:
    return f"{_num(ci[0])} .. {_num(ci[1])}" if ci else "n/a"


def _when(r: dict[str, Any]) -> str:
    return "always" if r["condition"] == "all" else f"{r['condition']} = {r['level']}"


def _families(g: dict[str, Any]) -> list[str]:
    """The lines on the two multiple-testing families (one Holm family in an older file)."""
    fam = g.get("families")
    if not fam:
        return [f"- Cells: {g['n_cells']} candidate cells, {g['n_tested']} effect cells tested, "
                f"{g['n_family']} findings in the one Holm family (alpha "
                f"{g['method']['alpha']}, n >= {g['method']['min_support']}); "
                f"{len(g['insufficient'])} insufficient, {len(g['not_significant'])} tested and "
                "not significant."]
    c, e = fam["confirmatory"], fam["exploratory"]
    return [f"- Cells: {g['n_cells']} candidate cells (n >= {g['method']['min_support']} to be "
            f"tested; {len(g['insufficient'])} insufficient).",
            f"- Confirmatory family: {c['size']} cells tested ({c['cells']}), {c['correction']} "
            f"at alpha {c['alpha']}: {c['findings']} finding(s); "
            f"{len(g['not_significant'])} tested and not significant.",
            f"- Exploratory family: {e['size']} cells tested ({e['cells']}), "
            f"{e['correction']} at q {e['alpha']}: {e['findings']} finding(s), hypotheses "
            "rather than rules."]


def _regime_cells(r: dict[str, Any]) -> str:
    reg = r.get("regime") or {}
    steps, ratio, par = (reg.get(k, {}) for k in ("child_steps", "step_ratio", "parents"))
    if not reg:
        return "n/a | n/a"
    return (f"{_num(steps.get('median'), '.0f')} ({_num(ratio.get('median'), '.1%')}) | "
            f"{par.get('converged', 0)} / {par.get('capped', 0)}"
            + (f" (+{par['unknown']} unknown)" if par.get("unknown") else ""))


def _span(values: list[float], fmt: str) -> str:
    low, high = format(min(values), fmt), format(max(values), fmt)
    return low if low == high else f"{low} to {high}"


def _regime_note(rules: list[dict[str, Any]]) -> list[str]:
    """What every rule's retraining budget and parent state are (from the first rule: one
    run, one budget), or nothing for a file written before rules stated them."""
    reg = rules[0].get("regime") or {}
    if not reg:
        return []
    budget, par = reg["child_budget"], reg["parents"]
    steps = [r["regime"]["child_steps"]["median"] for r in rules if r.get("regime")]
    ratio = [r["regime"]["step_ratio"]["median"] for r in rules if r.get("regime")]
    base = (f"base models trained with early stopping (patience {par['patience']}) up to "
            f"{par['max_epochs']} epochs" if par.get("patience") else
            "base models trained without early stopping")
    return [f"**Budget and parent state.** Every rule holds for children (and their matched "
            f"controls) trained {budget.get('epochs')} epoch(s) (retrain = "
            f"`{budget.get('retrain')}`, weights inherited: {budget.get('inherit_weights')}) "
            f"from {base}: the rules' median child trained {_span(steps, '.0f')} steps, "
            f"{_span(ratio, '.1%')} of its base's steps. A rule's bases "
            "either converged (early stopping) or stopped at the cap; each rule's counts are "
            "in its row. Not recorded in the ledger: " + reg["not_recorded"] + ". How such "
            "effects change with longer retraining (2 and 8 epochs, and to convergence) and "
            "with the parent's state (converged, or at 5 epochs): docs/budget-map.md, the "
            "break-even retraining budget per operator.", ""]


def summarize(out: Path) -> str:
    prov = json.loads((out / "provenance.json").read_text())
    g = json.loads((out / "report" / "guidelines.json").read_text())
    bases, rep = g["bases"], g["replication"]
    rel = out.relative_to(ROOT) if out.is_relative_to(ROOT) else out
    v = prov["versions"] or {}
    lines = [
        f"# Operator-effect study: results of `{rel.name}`", "",
        f"<!-- generated by `python studies/study_results.py summarize {rel}`; do not edit -->",
        "",
        f"Source: `{rel}/` (config `{prov['config']}`, seed {prov['seed']}, commit "
        f"`{prov['commit'][:10]}`, started {prov['started']}, last write "
        f"{prov['ledger_modified']}; nas-ops {v.get('nas_ops')}, torch {v.get('torch')}, "
        f"Python {v.get('python')}; {prov['machine']['cpu_count']} x {prov['machine']['cpu']}). "
        f"The full report is `{rel}/report/index.html`; the ledger `{rel}/ledger.sqlite.gz`.", "",
        f"- Evaluations: {prov['evaluations']} "
        f"({', '.join(f'{k} {n}' for k, n in sorted(prov['by_status'].items()))}), "
        f"{prov['training_steps']:,} training steps, {prov['evaluation_wall_s'] / 60:,.1f} min of "
        "evaluation wall time summed over workers.",
        f"- Base models: {bases['n']}; {bases['converged']} converged (early stopping), "
        f"{len(bases['at_chance'])} at chance level (left out"
        f"{' - no: allow_untrained' if bases['allow_untrained'] else ''}), {bases['used']} used: "
        f"{len(bases['discovery'])} discovery, {len(bases['held_out'])} held out "
        f"(split seed {bases['split_seed']}).",
        *_families(g),
        f"- Findings: {len(g['rules'])} effect rule(s) and "
        f"{len(g['versus_control']['rules'])} difference(s) from retraining alone; "
        f"{rep['replicated']} of {rep['findings']} replicated on the held-out bases.", "",
        f"**Verdict:** {g['verdict']}", "",
    ]
    if prov.get("note"):
        lines += [f"How it was run: {prov['note']}", ""]
    if g["rules"]:
        lines += ["## Rules", "",
                  "Effects are edit minus its matched control (or child minus parent where a "
                  "rule says `parent`), positive = better: the median of the output's metric "
                  "difference, and the median log error ratio log(err before / err after) that "
                  "the test ranks, each with its cluster-bootstrap 95% interval; the held-out "
                  "median is the log error ratio on the held-out bases.", "",
                  *_regime_note(g["rules"]),
                  "| when | operator | output | direction | median difference (95% CI) "
                  "| log error ratio (95% CI) | against | Holm p | bases | held-out log error "
                  "ratio | replicated | child steps (share of base's) | bases converged / "
                  "capped |", "|---" * 13 + "|"]
        for r in g["rules"]:
            lines.append(
                f"| {_when(r)} | {r['operator']} | {r['output']} | {r['direction']} | "
                f"{_num(r['expected_effect'])} ({_ci(r['ci'])}) | "
                f"{_num(r['scaled_effect'])} ({_ci(r['scaled_ci'])}) | {r['against']} | "
                f"{_num(r['p_adjusted'], '.2g')} | {r['n_bases']} | "
                f"{_num(r['replication'].get('median'))} | "
                f"{'yes' if r['replicated'] else 'no'} | {_regime_cells(r)} |")
        lines.append("")
    explore = g.get("exploratory", {}).get("findings", [])
    if explore:
        lines += ["## Exploratory findings", "",
                  "Cells under one level of a condition: they overlap the rules' cells and each "
                  "other and the study was not sized for them, so they are corrected by "
                  "Benjamini-Hochberg (expected share of false findings <= "
                  f"{g['method']['alpha']}) and are hypotheses to test in a study of their own, "
                  "not rules; the guided policy does not read them.", "",
                  "| when | operator | output | direction | log error ratio (95% CI) | BH q | "
                  "bases | held-out log error ratio | replicated |", "|---" * 9 + "|"]
        for r in explore:
            lines.append(
                f"| {_when(r)} | {r['operator']} | {r['output']} | {r['direction']} | "
                f"{_num(r['scaled_effect'])} ({_ci(r['scaled_ci'])}) | "
                f"{_num(r['p_adjusted'], '.2g')} | {r['n_bases']} | "
                f"{_num(r['replication'].get('median'))} | "
                f"{'yes' if r['replicated'] else 'no'} |")
        lines.append("")
    vc = g["versus_control"]["rules"]
    if vc:
        lines += ["## Differences from retraining alone", "",
                  "| operator | output | direction | median - control (95% CI) | Holm p | bases "
                  "| replicated |", "|---" * 7 + "|"]
        for c in vc:
            lines.append(f"| {c['operator']} | {c['output']} | {c['direction']} | "
                         f"{_num(c['median_difference'])} ({_ci(c['ci'])}) | "
                         f"{_num(c['p_adjusted'], '.2g')} | {c['n_bases']} | "
                         f"{'yes' if c['replicated'] else 'no'} |")
        lines.append("")
    lines += ["What the study could detect, and why it is sized as it is: "
              "[study-design.md](study-design.md).", ""]
    return "\n".join(lines)


def main() -> None:
    cli_main(__doc__.split("\n\n")[0], "run_dir", package, summarize, reanalyse)


if __name__ == "__main__":
    main()
