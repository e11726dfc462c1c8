"""Commit a finished ``nas-ops experiment``, and write its results page from the committed files.

    python studies/experiment_results.py package EXP_DIR FILE.toml OUT_DIR [--note TEXT]
        the comparisons (EXP_DIR/compare/), plan.json, the experiment file, provenance.json
        (commit, versions, machine, dates, and per run: arm, seed, evaluations, steps, what
        stopped it) and every run's ledger (ledgers.tar.xz) into OUT_DIR (studies/results/<name>)
    python studies/experiment_results.py summarize OUT_DIR [--doc docs/FILE.md]
        the markdown results page of OUT_DIR, every number read from OUT_DIR's files (stdout,
        or written to --doc); tests/test_experiment_results.py checks that every committed page
        is exactly what this prints

Numbers in the docs come from here, never typed by hand.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from pathlib import Path
from statistics import mean, median
from typing import Any

import numpy as np

from nas_ops import load_run

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "studies"))  # _results_cli beside this file, however loaded
from _results_cli import main as cli_main  # noqa: E402

from nas_ops.infra.machine import cpu_name  # noqa: E402

ALPHA = 0.05


def _head() -> str:
    out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    return out.stdout.strip()


def _mtime(path: Path) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(path.stat().st_mtime))


def _ledger_copy(ledger: Path, dest: Path) -> None:
    """A consistent copy of ``ledger`` (write-ahead log included, through sqlite's backup)."""
    src, dst = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True), sqlite3.connect(dest)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _run_rows(exp: Path) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One provenance row per run of the plan, and the package versions of its first run."""
    plan = json.loads((exp / "plan.json").read_text())
    rows = []
    versions = None
    for arm in plan["arms"]:
        for seed in plan["seeds"]:  # the plan's runs (not a run of a seed left out later)
            seed_dir = exp / "runs" / arm / f"seed-{seed}"
            run = load_run(seed_dir)
            versions = versions or run.meta.versions
            records = [i.evaluation for i in run.evaluated() if i.evaluation is not None]
            rows.append({
                "arm": arm, "seed": run.meta.seed, "status": run.meta.status,
                "evaluations": len(records), "steps_spent": run.meta.steps_spent,
                # children that ended below the full budget (rungs: halving or median rule)
                "stopped_early": sum(r.status == "ok" and r.fidelity < 1.0 for r in records),
                "stopped_by": run.meta.stopped_by, "started": run.meta.created,
                "last_write": _mtime(seed_dir / "ledger.sqlite"),
                "evaluation_wall_s": round(sum(r.wall_time_s for r in records), 1)})
    return rows, versions


def provenance(exp: Path, config: Path, note: str = "") -> dict[str, Any]:
    rows, versions = _run_rows(exp)
    return {
        "config": config.name, "commit": _head(), "versions": versions,
        "machine": {"cpu": cpu_name(), "cpu_count": os.cpu_count(),
                    "platform": platform.platform()},
        "started": min(r["started"] for r in rows),
        "finished": max(r["last_write"] for r in rows),
        "evaluations": sum(r["evaluations"] for r in rows),
        "training_steps": sum(r["steps_spent"] or 0 for r in rows),
        "runs": rows, "note": note,
    }


def package(exp: Path, config: Path, out: Path, note: str = "") -> None:
    """Copy what a reader needs to check the experiment's numbers into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    prov = provenance(exp, config, note)
    shutil.copytree(exp / "compare", out / "compare", dirs_exist_ok=True)
    shutil.copyfile(exp / "plan.json", out / "plan.json")
    shutil.copyfile(config, out / config.name)
    # one xz archive: the ledgers share most of their content (4x smaller than gzip apiece)
    with tempfile.TemporaryDirectory() as tmp, \
            tarfile.open(out / "ledgers.tar.xz", "w:xz", preset=9) as tar:
        for r in prov["runs"]:
            name = f"{r['arm']}-seed-{r['seed']}.sqlite"
            _ledger_copy(exp / "runs" / r["arm"] / f"seed-{r['seed']}" / "ledger.sqlite",
                         Path(tmp) / name)
            tar.add(Path(tmp) / name, arcname=name)
    (out / "provenance.json").write_text(json.dumps(prov, indent=1) + "\n")


# ------------------------------------------------------------------------------- summary
def _g(x: float, fmt: str = ".3g") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return format(x + 0.0, fmt)  # + 0.0: no "-0"


def _pct(x: float) -> str:
    if x is None or math.isnan(x):
        return "n/a"
    return "none" if math.isinf(x) else f"{100 * x:+.0f} %"


def _against(data: dict[str, Any], ref: str, arm: str, measure: str) -> dict[str, Any] | None:
    """The test of ``arm`` against ``ref`` on ``measure``, signed as arm - ref, with the
    difference, interval and detectable difference also as shares of ref's mean."""
    for t in data["tests"]:
        if t["measure"] != measure or {t["a"], t["b"]} != {ref, arm}:
            continue
        sign = 1 if t["a"] == ref else -1
        lo, hi = sorted((sign * t["ci_low"], sign * t["ci_high"]))
        base = mean(data["measures"][measure][ref][str(s)] for s in t["seeds"])
        diff = sign * t["mean_difference"]
        shares = [x / base if base > 0 else math.nan for x in (diff, lo, hi, t["detectable"])]
        return {"seeds": len(t["seeds"]), "diff": diff, "lo": lo, "hi": hi,
                "p_holm": t["p_holm"], "detectable": t["detectable"], "level": t["level"],
                **dict(zip(("rel", "rel_lo", "rel_hi", "rel_detectable"), shares, strict=True))}
    return None


def _verdict(data: dict[str, Any], ref: str) -> str:
    sentences = []
    for arm in (p for p in data["policies"] if p != ref):
        t = _against(data, ref, arm, "final")
        if t is None:
            continue
        interval = (f"mean paired difference {_pct(t['rel'])} of {ref}'s mean final "
                    f"hypervolume, 95 % interval {_pct(t['rel_lo'])} to {_pct(t['rel_hi'])}, "
                    f"Holm p = {_g(t['p_holm'], '.2g')}, {t['seeds']} seeds")
        if t["p_holm"] < ALPHA:
            word = "better" if t["diff"] > 0 else "worse"
            sentences.append(f"`{arm}` ends significantly {word} than `{ref}` ({interval}).")
        else:
            detect = ("no difference could reach Holm's level with these seeds"
                      if math.isinf(t["detectable"]) else
                      f"these seeds detect {_pct(t['rel_detectable']).lstrip('+')} with 80 % "
                      "power")
            sentences.append(f"`{arm}` does not differ significantly from `{ref}` ({interval}; "
                             f"{detect}).")
    return " ".join(sentences)


def _arm_table(data: dict[str, Any], runs: list[dict[str, Any]]) -> list[str]:
    early = any(r.get("stopped_early") for r in runs)
    lines = ["| arm | seeds | final hypervolume: median (quartiles) | mean | area under the "
             "curve: mean | evaluations per run | steps spent per run |"
             + (" children stopped below the full budget per run |" if early else ""),
             "|---" * (8 if early else 7) + "|"]
    for arm in data["policies"]:
        final = list(data["measures"]["final"][arm].values())
        auc = list(data["measures"]["auc"][arm].values())
        mine = [r for r in runs if r["arm"] == arm]
        q1, q3 = np.percentile(final, [25, 75])
        lines.append(f"| {arm} | {len(final)} | {_g(median(final))} ({_g(q1)} .. {_g(q3)}) | "
                     f"{_g(mean(final))} | {_g(mean(auc))} | "
                     f"{mean(r['evaluations'] for r in mine):.1f} | "
                     f"{mean(r['steps_spent'] for r in mine):,.0f} |"
                     + (f" {mean(r.get('stopped_early', 0) for r in mine):.1f} |" if early else ""))
    return lines + [""]


def _tests_table(data: dict[str, Any], ref: str) -> list[str]:
    lines = [f"| arm | measure | mean paired difference from {ref} (95 % CI) | as a share of "
             f"{ref}'s mean | Holm p | detectable with 80 % power |", "|---" * 6 + "|"]
    for measure in ("final", "auc"):
        for arm in (p for p in data["policies"] if p != ref):
            t = _against(data, ref, arm, measure)
            if t is None:
                continue
            det = "none" if math.isinf(t["detectable"]) else \
                f"{_g(t['detectable'])} ({_pct(t['rel_detectable']).lstrip('+')})"
            lines.append(f"| {arm} | {'final' if measure == 'final' else 'area'} | "
                         f"{_g(t['diff'], '+.3g')} ({_g(t['lo'], '+.3g')} .. "
                         f"{_g(t['hi'], '+.3g')}) | {_pct(t['rel'])} ({_pct(t['rel_lo'])} .. "
                         f"{_pct(t['rel_hi'])}) | {_g(t['p_holm'], '.2g')} | {det} |")
    return lines + [""]


def _other_pairs(data: dict[str, Any], ref: str) -> list[str]:
    rows = [t for t in data["tests"] if t["measure"] == "final" and ref not in (t["a"], t["b"])]
    if not rows:
        return []
    lines = ["Pairs without the reference (final hypervolume, b - a):", "",
             "| a | b | mean paired difference (95 % CI) | Holm p |", "|---" * 4 + "|"]
    for t in rows:
        lines.append(f"| {t['a']} | {t['b']} | {_g(t['mean_difference'], '+.3g')} "
                     f"({_g(t['ci_low'], '+.3g')} .. {_g(t['ci_high'], '+.3g')}) | "
                     f"{_g(t['p_holm'], '.2g')} |")
    return lines + [""]


def _speedups(data: dict[str, Any], ref: str) -> list[str]:
    if not data.get("speedups"):
        return []
    share = data.get("speedup_share")
    target = (f"`{ref}`'s final hypervolume of the same seed" if share is None else
              f"{share:.0%} of the smaller of the two runs' final hypervolumes of the same seed "
              "(symmetric: both runs reach it)")
    lines = [f"Training steps to reach {target}: the "
             f"speed-up is {ref}'s steps / the arm's steps (2 = half the steps; 0 = never "
             "reached within the budget).", "",
             "| arm | seeds | reached | median speed-up (95 % CI) | quartiles | range | "
             "per seed |", "|---" * 7 + "|"]
    for s in data["speedups"]:
        lines.append(f"| {s['arm']} | {len(s['seeds'])} | {s['reached']} | {_g(s['median'])} "
                     f"({_g(s['ci_low'])} .. {_g(s['ci_high'])}) | {_g(s['q1'])} .. "
                     f"{_g(s['q3'])} | {_g(s['low'])} .. {_g(s['high'])} | "
                     f"{', '.join(_g(r, '.2f') for r in s['ratios'])} |")
    return lines + [""]


def _usage(data: dict[str, Any]) -> list[str]:
    ops = sorted({op for shares in data["usage"].values() for op in shares})
    arms = data["policies"]
    lines = ["Share of each arm's children made by each operator (%):", "",
             "| operator | " + " | ".join(arms) + " |", "|---" * (len(arms) + 1) + "|"]
    for op in ops:
        lines.append(f"| {op} | " + " | ".join(
            f"{100 * data['usage'][a].get(op, 0.0):.0f}" for a in arms) + " |")
    return lines + [""]


def summarize(out: Path) -> str:
    prov = json.loads((out / "provenance.json").read_text())
    plan = json.loads((out / "plan.json").read_text())
    rel = out.relative_to(ROOT) if out.is_relative_to(ROOT) else out
    v = prov["versions"] or {}
    runs = prov["runs"]
    arms = sorted({r["arm"] for r in runs})
    seeds = sorted({r["seed"] for r in runs})
    lines = [
        f"# Experiment results: `{rel.name}`", "",
        f"<!-- generated by `python studies/experiment_results.py summarize {rel}`; "
        "do not edit -->", "",
        f"Source: `{rel}/` (experiment file `{prov['config']}`, commit "
        f"`{prov['commit'][:10]}`; nas-ops {v.get('nas_ops')}, torch {v.get('torch')}, Python "
        f"{v.get('python')}; {prov['machine']['cpu_count']} x {prov['machine']['cpu']}). "
        f"First run started {prov['started']}, last ledger write {prov['finished']}. Each "
        f"group's full report is `{rel}/compare/<group>/index.html`; every run's ledger is in "
        f"`{rel}/ledgers.tar.xz`.", "",
        f"- Runs: {len(runs)} ({len(arms)} arms x {len(seeds)} seeds, seeds {seeds[0]} to "
        f"{seeds[-1]}); {prov['evaluations']:,} evaluations, {prov['training_steps']:,} "
        f"training steps; {sum(r['evaluation_wall_s'] for r in runs) / 3600:.1f} h of "
        "evaluation wall time summed over workers.",
        "- Stopped by: " + ", ".join(f"{k} {n}" for k, n in sorted(
            Counter(str(r["stopped_by"]) for r in runs).items())) + ".",
        "",
    ]
    if prov.get("note"):
        lines += [f"How it was run: {prov['note']}", ""]
    for group in sorted(p.name for p in (out / "compare").iterdir() if p.is_dir()):
        data = json.loads((out / "compare" / group / "compare.json").read_text())
        ref = data.get("reference_arm") or data["policies"][0]
        grun = [r for r in runs if r["arm"] in data["policies"]]
        lines += [
            f"## Group `{group}`", "",
            f"Arms {', '.join(f'`{a}`' for a in data['policies'])}, compared at "
            f"{data['budget']:,} training steps (the fewest any run spent), paired by seed, "
            f"against `{ref}`. Tests: two-sided exact Wilcoxon signed-rank on the paired "
            f"differences, {_holm(len(data['policies']))}; intervals: percentile bootstrap over "
            "seeds.", "",
            f"**Verdict:** {_verdict(data, ref)}", "",
            f"![hypervolume curves](../{rel}/compare/{group}/figures/curves.png)", "",
            *_arm_table(data, grun), *_tests_table(data, ref), *_speedups(data, ref),
            *_other_pairs(data, ref), *_usage(data)]
    setup = {name: arm["config"] for name, arm in plan["arms"].items()}
    lines += ["## Configurations", "", "Every arm's search config (the experiment's `[base]` "
              "with the arm's changes; the seed is the run's):", ""]
    for name in sorted(setup):
        lines.append(f"- `{name}`: `{json.dumps(setup[name], sort_keys=True)}`")
    return "\n".join(lines) + "\n"


def _holm(n_arms: int) -> str:
    pairs = n_arms * (n_arms - 1) // 2
    return "one pair, no correction" if pairs == 1 else \
        f"Holm over the {pairs} pairs of the group (each measure apart)"


def main() -> None:
    cli_main(__doc__.split("\n\n")[0], "exp_dir", package, summarize)


if __name__ == "__main__":
    main()
