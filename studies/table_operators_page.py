"""The markdown page of the table operator study (studies/table_operators.py summarize): every
number is read from the results directory, none typed by hand."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from nas_ops.experiments.table_arms import TABLES
from nas_ops.experiments.table_opstudy import BINS, SELECTION, bin_label
from nas_ops.experiments.table_opstudy_runner import read_study

FOLLOWED = ("all", "percentile", "target", "replaced")  # conditions guided follows on a table
UNITS = {SELECTION: ("pp", 100.0), "class.analog_accuracy": ("pp", 100.0),
         "class.drift_30d_accuracy": ("pp", 100.0), "latency_us": ("us", 1.0),
         "parameters": ("", 1.0)}


def _num(x: Any, scale: float, sign: bool = True) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    v = x * scale + 0.0  # no "-0"
    if abs(v) >= 1000:
        return f"{v:+,.0f}" if sign else f"{v:,.0f}"
    return f"{v:+.3g}" if sign else f"{v:.3g}"


def _est(half: dict[str, Any], obj: str, value: str = "median", ci: str = "ci") -> str:
    """A half's estimate (``value``: median or mean) with its interval (``ci``)."""
    if not half.get("n_bases"):
        return "n/a"
    scale = UNITS[obj][1]
    lo, hi = half[ci]
    return f"{_num(half[value], scale)} ({_num(lo, scale)} .. {_num(hi, scale)})"


def _p(p: Any) -> str:
    return "n/a" if p is None else f"{p:.2g}"


def _verdict(c: dict[str, Any]) -> str:
    if not c.get("significant"):
        return "no"
    return "**yes**" if c["replicated"] else "significant, not replicated"


def _provenance(plan: dict[str, Any], rel: Path, cells: dict[str, Any]) -> list[str]:
    cpu = sum(r["cpu_s"]["total"] for r in cells.values())
    wall = sum(r["wall_s"] for r in cells.values())
    bases = "every architecture of each table" if plan["bases"] is None \
        else f"{plan['bases']} random architectures of each table"
    return [
        f"Source: `{rel}/` (`plan.json`: settings, families and provenance, written before any "
        "table ran; `cells/`: every cell on both halves; `guidelines/`: each table's "
        "guidelines.json). Started "
        f"{plan['started']} from commit `{plan['commit'][:10]}` (nas-ops {plan['nas_ops']}, "
        f"Python {plan['python']}, numpy {plan['numpy']}; {plan['cpu_count']} x "
        f"{plan.get('cpu', plan['machine'])}). Seed {plan['seed']}; bases: {bases}; crossover "
        f"partners per base: {plan['partners']}.",
        "",
        f"- **{len(cells)} of {len(plan['tables'])} planned tables** are done; "
        f"{cpu / 60:.1f} min of CPU in one process ({wall / 60:.1f} min wall on the shared "
        "machine).",
    ]


PROTOCOL = [
    "## Protocol",
    "",
    "- **Bases.** Every distinct architecture of a table is a base. The project's "
    "`split_bases` (rows as uids, the study's seed) puts a random half (the larger) in the "
    "**discovery** half and the rest in the **held-out** half.",
    "- **Children.** Every mutation operator of the space (`nbgraph_change_op`, "
    "`nbgraph_rewire`; `nb201_change_op`) is applied to every base at every target with every "
    "value: the operator's own `_apply` is walked over its whole decision tree "
    "(`nas_ops/experiments/table_neighbours.py`), so the children are exactly those a search "
    "could draw. Crossover (`nbgraph_crossover`, `nb201_crossover`) is sampled: per base, "
    "`partners` partners drawn uniformly from the base's own half (never itself), then the "
    "operator's own uniform draw of the positions to exchange; its first child (the base's "
    "wiring) is compared with the base.",
    "- **Effect** = child minus parent on each objective, as the `table` backend records it: "
    "the selection metric `class` (nbgraph: validation performance; nb201: baseline accuracy), "
    "`latency_us` and `parameters` (nbgraph), `class.analog_accuracy`, "
    "`class.drift_30d_accuracy` (the analog model after 30 days) and `parameters` (nb201, "
    "counted from the skeleton). nbgraph's test column is never read. **nb201 has no "
    "validation split**: AnalogNAS-Bench measured on the CIFAR-10 test set, so on nb201 the "
    "selection metric is a test-set number.",
    "- **The base is the unit.** Each base's children in a cell are summarised by their "
    "median; every statistic is over those per-base medians: the median over bases with a "
    "distribution-free 95 % interval (order statistics), the mean with a t interval, the share "
    "of bases whose median rises, and a two-sided Wilcoxon signed-rank test against 0 "
    "(bases whose median is 0 drop out).",
    "- **Families, sized before running** (`plan.json`). Confirmatory: operator x objective "
    "(condition `all`), Holm within the table at alpha 0.05. Exploratory: the same under a "
    f"condition, Benjamini-Hochberg within the table: `percentile` (the parent's standing in "
    f"the whole table by the selection metric, {BINS} bins), `target` (node or edge), "
    "`replaced` (the operation the target carried) and `put_in` (the operation put there) for "
    "the change-op operators. The detectable effect is for 80 % power at alpha / m "
    "(Bonferroni, Holm's first step), in standard deviations of the per-base medians, "
    "converted to the objective's units with the observed standard deviation of the "
    "discovery half.",
    "- **Replication.** A cell significant on the discovery half replicates when its "
    "held-out median has the same non-zero sign and its held-out interval excludes 0 (the "
    "rule of the multi-network study).",
    "- **Guidelines.** Each table's significant cells are the rules of its guidelines.json in "
    "the project's format (`nas-ops-guidelines` version 2; a rule's effect is signed so that "
    "positive is better, `discovery.family` says confirmatory or exploratory). The `guided` "
    "policy reads them (`policy.guidelines`), but see the last point of \"Reading it\".",
]


READING = [
    "",
    "## Reading it",
    "",
    "- **Significance is cheap here, size is not.** With thousands of bases per half the "
    "confirmatory family detects a few hundredths of a standard deviation (first table "
    "above), so nearly every systematic shift is significant; what matters is the size and "
    "whether the held-out half shows it again.",
    "- **The typical base and the average base differ.** The median over bases of the "
    "per-base median effect on `class` is a few hundredths of a percentage point, while the "
    "mean over bases is often ten times larger: a few bases (the bottom of the table, see "
    "the percentile rows below) gain a lot from any change, most gain or lose almost "
    "nothing. A median of exactly 0 (e.g. `parameters` under rewiring, which leaves the "
    "operations alone) can still be significant through the shares of bases up and down; "
    "such a cell does not replicate by the rule above, which needs a non-zero median.",
    "- **What the guided policy uses on a table.** The `table` backend trains nothing, so a "
    "parent has no diagnosis; the guided policy follows the replicated rules improving "
    "`class` whose condition holds for the parent (last column of the summary): `all`, the "
    "parent's `percentile` band in the table (each guidelines.json carries the bands' bounds "
    "of the selection value), the node or edge (`target`, which it then hands to the "
    "operator) and the operation it carries (`replaced`: the nodes or edges carrying it). "
    "`put_in` rules are not followed: a policy picks the operator and its target, the "
    "operator draws the new operation (`nas_ops/engine/policies/table_conditions.py`; "
    "`tests/tables/test_table_opstudy.py` pins a guided run on cora). The `learned` policy "
    "(docs/tables-policies.md) chooses operator and target from a model of these effects.",
]


def page(out: Path, root: Path) -> str:
    plan, cells, guides = read_study(out)
    tables = [t for t in TABLES if t in cells] + sorted(set(cells) - set(TABLES))
    rel = out.relative_to(root) if out.is_relative_to(root) else out
    lines = ["# Operator effects on the public tables: every neighbour of every architecture",
             "", f"<!-- generated by `python studies/table_operators.py summarize {rel}`; "
             "do not edit -->", ""]
    lines += _provenance(plan, rel, cells)
    lines += ["", *PROTOCOL, "", "## Families and what they can detect", "",
              "| table | bases (discovery / held out) | confirmatory cells | exploratory cells "
              "| detectable (SD) | detectable on `class` (pp) |", "|---|---|---|---|---|---|"]
    for t in tables:
        p = plan["tables"][t]
        conf = [c for c in cells[t]["cells"] if c["family"] == "confirmatory"
                and c["objective"] == SELECTION and c["discovery"].get("sd") is not None]
        sd = min(c["discovery"]["sd"] for c in conf) if conf else math.nan
        hi = max(c["discovery"]["sd"] for c in conf) if conf else math.nan
        lines.append(f"| {t} | {p['bases']:,} ({p['discovery']:,} / {p['held_out']:,}) | "
                     f"{p['confirmatory_cells']} | {p['exploratory_cells']} | "
                     f"{p['detectable_sd']:.3f} | {p['detectable_sd'] * sd * 100:.3g} to "
                     f"{p['detectable_sd'] * hi * 100:.3g} |")
    lines += ["", "## Neighbourhoods", "",
              "| table | operator | children | per base (min / mean / max) | same architecture "
              "as the parent |", "|---|---|---|---|---|"]
    for t in tables:
        for op, s in cells[t]["operators"].items():
            lines.append(f"| {t} | {op} | {s['children']:,} | {s['per_base_min']} / "
                         f"{s['per_base_mean']:.1f} / {s['per_base_max']} | "
                         f"{100 * s['neutral']:.1f} % |")
    lines += ["", "## Confirmatory: operator x objective", "",
              "Median over bases of the per-base median effect (child minus parent; pp = "
              "percentage points), with its 95 % interval; the mean over bases; the share of "
              "bases whose median rises; Holm-adjusted p on the discovery half; the same median "
              "on the held-out half; whether it replicates.", "",
              "| table | operator | objective | discovery median | discovery mean | bases up "
              "| Holm p | held-out median | replicated |", "|---|---|---|---|---|---|---|---|---|"]
    for t in tables:
        for c in cells[t]["cells"]:
            if c["family"] != "confirmatory":
                continue
            o, d, h = c["objective"], c["discovery"], c["held_out"]
            unit = UNITS[o][0]
            lines.append(f"| {t} | {c['operator']} | {o}{f' ({unit})' if unit else ''} | "
                         f"{_est(d, o)} | {_est(d, o, 'mean', 'mean_ci')} | "
                         f"{100 * d.get('up', math.nan):.0f} % "
                         f"| {_p(c.get('p_adjusted'))} | {_est(h, o)} | {_verdict(c)} |")
    lines += ["", "## Summary per table", "",
              "| table | confirmatory significant | replicated | exploratory significant "
              "(BH) | replicated | rules the guided policy can follow (replicated, improving "
              "the selection metric), by condition |",
              "|---|---|---|---|---|---|"]
    for t in tables:
        cs = cells[t]["cells"]
        conf = [c for c in cs if c["family"] == "confirmatory"]
        expl = [c for c in cs if c["family"] == "exploratory"]
        usable = [r["condition"] for r in guides[t]["rules"]
                  if r["replicated"] and r["condition"] in FOLLOWED
                  and r["output"] == SELECTION and r["direction"] == "improves"]
        lines.append(f"| {t} | {sum(c['significant'] for c in conf)} of {len(conf)} | "
                     f"{sum(c['replicated'] for c in conf)} | "
                     f"{sum(c['significant'] for c in expl)} of {len(expl)} | "
                     f"{sum(c['replicated'] for c in expl)} | "
                     + (", ".join(f"{c} {usable.count(c)}" for c in FOLLOWED if c in usable)
                        or "none") + " |")
    lines += READING
    lines += _conditions(cells, tables)
    return "\n".join(lines).rstrip("\n") + "\n"


def _conditions(cells: dict[str, Any], tables: list[str]) -> list[str]:
    """Exploratory cells of the change-op operators on the selection metric, as a grid."""
    lines = ["", "## Exploratory: where a change of operation helps the selection metric", "",
             "Discovery median over bases of the per-base median effect on `class`, in "
             "percentage points, for each table's change-op operator; **bold**: significant "
             "(BH) and replicated; plain: neither or not replicated; n/a: no such cell. The "
             "`percentile` rows are partly regression to the mean: a parent drawn from the "
             "bottom of the table has most neighbours above it, whatever the operator.", ""]
    for cond, title in (("percentile", "parent's percentile"), ("replaced", "operation replaced"),
                        ("put_in", "operation put in"), ("target", "target")):
        levels: list[str] = []
        grid: dict[tuple[str, str], str] = {}
        for t in tables:
            for c in cells[t]["cells"]:
                if (c["condition"] != cond or c["objective"] != SELECTION
                        or not c["operator"].endswith("change_op")):
                    continue
                if c["level"] not in levels:
                    levels.append(c["level"])
                d = c["discovery"]
                v = _num(d.get("median"), 100.0) if d.get("n_bases") else "n/a"
                grid[(t, c["level"])] = f"**{v}**" if c["replicated"] else v
        if cond == "percentile":
            levels = [bin_label(k) for k in range(BINS)]
        short = [t.split("/")[1] for t in tables]
        lines += [f"### By {title}", "", f"| {cond} | " + " | ".join(short) + " |",
                  "|---|" + "---|" * len(tables)]
        lines += [f"| {lv} | " + " | ".join(grid.get((t, lv), "n/a") for t in tables) + " |"
                  for lv in levels]
        lines.append("")
    return lines
