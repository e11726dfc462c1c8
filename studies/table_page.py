"""The markdown page of the table reproduction study (studies/table_results.py summarize):
every number is read from the results directory and the paper file, none typed by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from nas_ops.experiments.table_arms import ARMS
from nas_ops.experiments.table_measures import REFERENCE_ARM, Estimate, summarize
from nas_ops.experiments.table_runner import read_study


def _pp(e: Estimate, scale: float = 100.0, sign: bool = False) -> str:
    """``mean (low .. high)`` in percentage points (``scale`` 100) or as a share (1)."""
    if e.n == 0 or math.isnan(e.mean):
        return "n/a"
    f = "{:+.2f}" if sign else "{:.2f}"
    if scale == 1.0:
        f = "{:+.4f}" if sign else "{:.4f}"
    return f"{f.format(e.mean * scale)} ({f.format(e.low * scale)} .. {f.format(e.high * scale)})"


def _rows(cells: dict, tables: list[str], arms: list[str], budgets: list[int], measure: str,
          key: str, scale: float, sign: bool) -> list[str]:
    lines = ["| table | arm | " + " | ".join(f"{b} evals" for b in budgets) + " |",
             "|---|---|" + "---|" * len(budgets)]
    for t in tables:
        for a in arms:
            if key == "vs_random" and a == REFERENCE_ARM:
                continue
            got = [cells.get((t, a, b, measure), {}).get(key) for b in budgets]
            if all(g is None for g in got):
                continue
            lines.append(f"| {t} | {a} | " + " | ".join(
                "n/a" if g is None else _pp(g, scale, sign) for g in got) + " |")
    return lines


def _verdict(e: Estimate | None) -> str:
    """A paired regret difference (arm minus random; negative is better): better, worse, or no
    difference, by whether its 95 % interval excludes 0."""
    if e is None or e.n == 0 or math.isnan(e.mean):
        return "n/a"
    return "better" if e.high < 0 else "worse" if e.low > 0 else "no difference"


def _known(cells: dict, tables: list[str], arms: list[str], budgets: list[int]) -> list[str]:
    """What the field reports, checked in direction: each arm's regret against random search's
    per table at the smallest budget beyond the shared start and at the largest."""
    checked = [b for b in budgets if b > budgets[0]]
    ends = sorted({checked[0], checked[-1]}) if checked else []
    others = [a for a in arms if a != REFERENCE_ARM]
    lines = ["", "## What the field reports, checked in direction", "",
             "Regularized evolution beats random search on NAS-Bench-201 (Real et al. 2019; "
             "Dong and Yang 2020), and plain local search is strong on NAS benchmarks (White et "
             "al. 2020/21). Per table: each arm's regret minus random search's on the same "
             "seed (the table above), **better** / **worse** where its 95 % interval excludes "
             "0, at " + " and ".join(f"{b}" for b in ends) + " evaluations. NSGA-II spends its "
             "budget on the front of validation value and the second objective, so its "
             "regret on validation alone is not what it is built for (its hypervolume share "
             "is).", "",
             "| table | " + " | ".join(f"{a} at {b}" for a in others for b in ends) + " |",
             "|---|" + "---|" * (len(others) * len(ends))]
    tally: dict[tuple[str, int], dict[str, int]] = {}
    for t in tables:
        row = []
        for a in others:
            for b in ends:
                v = _verdict(cells.get((t, a, b, "regret"), {}).get("vs_random"))
                row.append(v)
                count = tally.setdefault((a, b), {})
                count[v] = count.get(v, 0) + 1
        lines.append(f"| {t} | " + " | ".join(row) + " |")
    lines += ["", "Over the tables:", ""]
    for a in others:
        parts = []
        for b in ends:
            c = tally.get((a, b), {})
            parts.append(f"at {b}: better on {c.get('better', 0)}, worse on "
                         f"{c.get('worse', 0)}, no difference on {c.get('no difference', 0)}")
        lines.append(f"- **{a}** against random search, " + "; ".join(parts) + ".")
    return lines


def _paper(paper: dict[str, Any]) -> list[str]:
    lines = ["## Beside the NAS-Bench-Graph paper", "", f"Paper: {paper['paper']}.", ""]
    if not paper.get("found"):
        lines += ["**Its numbers are not here.** The paper's table of search methods could not "
                  "be read from the sources this project could reach, so no number of it is "
                  "given (none is typed from memory). Searched: " + "; ".join(paper["searched"])
                  + ". The file `studies/results/nbgraph_paper.json` is where they go, with "
                  "their source, once read from the paper.", "",
                  "Where the protocols are known to differ already: this study's budget counts "
                  "engine evaluations (duplicates included, see above), it selects by validation "
                  "and reports the test value of that pick, and it repeats every arm over many "
                  "seeds with bootstrap intervals; whether the paper's budget, selection metric "
                  "and repeats match must be checked against its text before a side-by-side "
                  "comparison is drawn.", ""]
        return lines
    lines += ["| method | budget | dataset | reported | source |", "|---|---|---|---|---|"]
    for m in paper["methods"]:
        lines.append(f"| {m['method']} | {m['budget']} | {m['dataset']} | {m['value']} | "
                     f"{m['source']} |")
    return lines + ["", paper.get("protocol_differences", ""), ""]


def _seed_note(least: int) -> str:
    if least >= 300:
        return "This page has that many."
    if least >= 30:
        return (f"This page has {least}: the run stopped part of the way and resumes where it "
                "stopped; the intervals below are over the seeds it holds, and a difference "
                "they do not exclude may still show with 300.")
    return (f"This page has {least}: it is a pilot, its intervals are wide, and no conclusion "
            "about the arms should be drawn from it.")


def page(out: Path, paper_file: Path, root: Path) -> str:
    plan, facts, records, tables, seeds = read_study(out)
    budgets = plan["budgets"]
    arms = [a for a in ARMS if any(r["arm"] == a for r in records)]
    per_cell: dict[tuple[str, str], int] = {}
    for r in records:
        per_cell[(r["table"], r["arm"])] = per_cell.get((r["table"], r["arm"]), 0) + 1
    cells = summarize(records, facts, budgets)
    rel = out.relative_to(root) if out.is_relative_to(root) else out
    wall = sum(r["wall_s"] for r in records)
    least, most = min(per_cell.values()), max(per_cell.values())
    seed_text = f"{least} seed{'s' * (least != 1)}" if least == most \
        else f"{least} to {most} seeds"
    lines = [
        "# Reproduction on the public tables: random search, regularized evolution, local "
        "search and NSGA-II",
        "",
        f"<!-- generated by `python studies/table_results.py summarize {rel}`; do not edit -->",
        "",
        f"Source: `{rel}/` (`results.jsonl`: one line per run; `tables.json`: each table's "
        f"optimum, threshold and true front; `plan.json`: budgets, configs, provenance). "
        f"Started {plan['started']} from commit `{plan['commit'][:10]}` (nas-ops "
        f"{plan['nas_ops']}, Python {plan['python']}, numpy {plan['numpy']}; "
        f"{plan['cpu_count']} x {plan.get('cpu', plan['machine'])}).",
        "",
        f"- **Runs: {len(records)}** ({len(tables)} tables x {len(arms)} arms, **{seed_text} per "
        f"arm and table**, seeds {seeds[0]} to {seeds[-1]}); "
        f"{sum(r['evals'] for r in records):,} evaluations; {wall / 3600:.2f} h of search wall "
        f"time summed over runs ({wall / len(records):.2f} s per run).",
        "- The issue asks for at least 300 seeds per arm. " + _seed_note(least),
        "",
        "## Protocol",
        "",
        "Every run goes through the engine (`run_search`, backend `table`, docs/tables.md) with "
        "population 50 (aging: tournament 10, no crossover; NSGA-II: 50 children a generation, "
        "crossover rate 0.2; local search: 50 neighbours of the incumbent a generation) and the "
        "space's operators. The budget counts the engine's evaluations: a genome found again "
        "is answered from the run's own ledger as a duplicate and counts (as a query counts in "
        "NASLib's loops), though it costs no lookup. After `b` evaluations a run's pick is the "
        "architecture with the best **validation** value among them (the first found on a "
        "tie); only then is its test value read. Seeds pair the arms: the same seed gives every "
        "arm the same first 50 architectures.",
        "",
        "- **Regret** (headline, as NAS-Bench papers report it): the table's best test value "
        "minus the pick's test value, in percentage points (0 is the limit).",
        "- **Regret to the best-by-validation architecture**: the test value of the table's "
        "architecture with the best validation value, minus the pick's (what a perfect "
        "search by validation would get; can be negative).",
        "- **P(top 0.1 %)**: the share of runs whose pick's test value is at least that of the "
        "table's k-th best architecture, k = 0.1 % of the table rounded up.",
        "- **Hypervolume share**: the hypervolume of everything a run evaluated within the "
        "budget, over (validation value, second objective), divided by that of the table's "
        "true Pareto front, same reference point (class error 1; log10 latency in us 6 for "
        "nbgraph, log10 parameters 6.3 for nb201). NSGA-II selects on these two objectives; "
        "the other arms on validation alone. 1.0 is the limit.",
        "- Intervals: 95 % percentile bootstrap over seeds (2,000 resamples, seeded). "
        "**vs random**: the arm minus random search on the same seed, then the same bootstrap.",
        "- nb201: AnalogNAS-Bench has no validation split, so its selection value is the "
        "test value (docs/tables.md): on nb201 the two regrets coincide and selection sees test.",
        "",
        "## The tables",
        "",
        "| table | architectures | best test | test of the best-by-validation | top 0.1 %: k, "
        "threshold | true front hypervolume | second objective |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in tables:
        f = facts[t]
        lines.append(f"| {t} | {f['architectures']:,} | {f['optimum_test']:.4f} | "
                     f"{f['best_val_test']:.4f} | {f['top_k']}, {f['top_threshold']:.4f} | "
                     f"{f['front_hv']:.4f} | {f['second_objective']} |")
    sections = [
        ("Regret to the table's best test value (percentage points)", "regret", "mean", 100.0,
         False),
        ("Regret: each arm minus random search, paired by seed (percentage points; negative "
         "is better than random)", "regret", "vs_random", 100.0, True),
        ("P(pick in the table's top 0.1 % by test) (percent)", "top", "mean", 100.0, False),
        ("P(top 0.1 %): each arm minus random search, paired by seed (percentage points)",
         "top", "vs_random", 100.0, True),
        ("Hypervolume share of the true front", "hv_share", "mean", 1.0, False),
        ("Hypervolume share: each arm minus random search, paired by seed", "hv_share",
         "vs_random", 1.0, True),
        ("Regret to the table's best-by-validation architecture (percentage points)",
         "regret_val", "mean", 100.0, False),
    ]
    for title, measure, key, scale, sign in sections:
        lines += ["", f"## {title}", ""]
        lines += _rows(cells, tables, arms, budgets, measure, key, scale, sign)
    lines += ["", "## Distinct architectures looked up within the largest budget", "",
              "| table | " + " | ".join(arms) + " |", "|---|" + "---|" * len(arms)]
    for t in tables:
        row = []
        for a in arms:
            got = [r["lookups"][-1] for r in records if r["table"] == t and r["arm"] == a]
            row.append(f"{sum(got) / len(got):.0f}" if got else "n/a")
        lines.append(f"| {t} | " + " | ".join(row) + " |")
    lines += _known(cells, tables, arms, budgets)
    lines += [""]
    lines += _paper(json.loads(paper_file.read_text()))
    return "\n".join(lines).rstrip("\n") + "\n"
