"""How far a table's guidelines transfer (issue 23 point 3; docs/tables-transfer.md).

The original study claims its guidelines are "not limited to that particular type of model".
On the benchmark tables this is checked rule by rule, from the operator study's committed cells
(:mod:`nas_ops.experiments.table_opstudy`), with no new evaluation:

- **across datasets** (nbgraph): each replicated rule of a source dataset (the same cell
  significant on its discovery half and replicated on its held-out half) is looked up in every
  other dataset's cells (same operator, condition, level and objective) and judged on that
  dataset's *held-out* half, by the rule a replication uses: it **holds** when the target's
  median has the rule's sign and its 95 % interval excludes 0; it is **reversed** when the
  interval excludes 0 on the other side; **no effect** otherwise; **absent** when the target
  has no such cell (proteins has 5 operations, not 9) or no base in it;
- **across objectives** (nb201): each replicated rule on baseline accuracy (``class``) is
  judged the same way on the same cell of analog accuracy and of 30-day drift accuracy.

A search-level check (studies/transfer_search.py) runs policy guided on a dataset with another
dataset's guidelines (:func:`transferred`).

A rule's sign is the direction of its effect on the objective (improves / worsens), so a rule
about latency is judged on latency. The unit stays the base architecture (per-base medians,
the study's cells); a transfer rate is the share of a source's rules that hold among those
present in the target, with a 95 % Wilson interval over rules (rules are not independent:
several rules share bases, so the interval is a description, not a test).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

VERDICTS = ("holds", "reversed", "no effect", "absent")
SELECTION = "class"
ANALOG = ("class.analog_accuracy", "class.drift_30d_accuracy")

Cell = Mapping[str, Any]
Key = tuple[str, str, str, str]


def key(cell: Cell) -> Key:
    return (cell["operator"], cell["condition"], cell["level"], cell["objective"])


def sign(cell: Cell, half: str) -> int:
    """+1 / -1 when ``half``'s interval excludes 0 above / below (in "better" terms: a
    lower-is-better objective's sign is flipped), else 0."""
    stats = cell.get(half) or {}
    if not stats.get("n_bases"):
        return 0
    lo, hi = stats["ci"]
    if lo is None or hi is None or math.isnan(lo) or math.isnan(hi):
        return 0
    raw = 1 if lo > 0 else -1 if hi < 0 else 0
    return raw if cell.get("higher_is_better", True) else -raw


def source_rules(cells: Sequence[Cell]) -> list[Cell]:
    """The replicated cells of a table (its guidelines' replicated rules), in study order."""
    return [c for c in cells if c.get("significant") and c.get("replicated")]


def judge(rule: Cell, target: Cell | None) -> str:
    """The verdict on ``rule`` (a source cell) in ``target`` (the same cell of another dataset
    or objective, judged on its held-out half)."""
    if target is None or not (target.get("held_out") or {}).get("n_bases"):
        return "absent"
    want = sign(rule, "discovery")
    got = sign(target, "held_out")
    return "holds" if got == want else "no effect" if got == 0 else "reversed"


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion k / n (nan, nan when n = 0)."""
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    d = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / d
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (max(0.0, mid - half), min(1.0, mid + half))


def tally(verdicts: Sequence[str]) -> dict[str, Any]:
    counts = {v: verdicts.count(v) for v in VERDICTS}
    present = len(verdicts) - counts["absent"]
    return {**counts, "rules": len(verdicts), "present": present,
            "rate": counts["holds"] / present if present else math.nan,
            "ci": list(wilson(counts["holds"], present))}


def across_tables(cells: Mapping[str, Sequence[Cell]], objectives: Sequence[str] | None = None,
                  condition: str | None = None) -> dict[str, dict[str, Any]]:
    """source -> target -> :func:`tally` of the source's replicated rules (on ``objectives``,
    default all; of one ``condition``, default all) judged in the target (every ordered pair
    of distinct tables)."""
    index = {t: {key(c): c for c in cs} for t, cs in cells.items()}
    out: dict[str, dict[str, Any]] = {}
    for src, cs in cells.items():
        rules = [r for r in source_rules(cs)
                 if (objectives is None or r["objective"] in objectives)
                 and (condition is None or r["condition"] == condition)]
        out[src] = {dst: tally([judge(r, index[dst].get(key(r))) for r in rules])
                    for dst in cells if dst != src}
    return out


def across_objectives(cells: Sequence[Cell], source: str = SELECTION,
                      targets: Sequence[str] = ANALOG) -> dict[str, dict[str, Any]]:
    """target objective -> :func:`tally` of the table's replicated ``source`` rules judged on
    the same cell of that objective, with the verdict per condition."""
    index = {key(c): c for c in cells}
    rules = [r for r in source_rules(cells) if r["objective"] == source]
    out: dict[str, dict[str, Any]] = {}
    for obj in targets:
        verdicts = [judge(r, index.get((*key(r)[:3], obj))) for r in rules]
        by_condition: dict[str, list[str]] = {}
        for r, v in zip(rules, verdicts, strict=True):
            by_condition.setdefault(r["condition"], []).append(v)
        out[obj] = {**tally(verdicts),
                    "by_condition": {c: tally(vs) for c, vs in by_condition.items()}}
    return out


def transferred(source: Mapping[str, Any], target: Mapping[str, Any]) -> dict[str, Any]:
    """The guidelines ``source`` (one table's guidelines.json) as policy guided follows them on
    another table of the same space: the source's rules, with the target's own
    ``percentile_bounds`` (a band such as ``p80-100`` is a share of a table's architectures; in
    selection-value units its bounds are the target's, computed from the target's validation
    metric by its own operator study). ``source`` names both tables."""
    if source["source"]["table"].split("/")[0] != target["source"]["table"].split("/")[0]:
        raise ValueError(f"guidelines of {source['source']['table']} do not apply to "
                         f"{target['source']['table']}: another space")
    out = dict(source)
    out["percentile_bounds"] = dict(target["percentile_bounds"])
    out["source"] = {**source["source"], "transferred_to": target["source"]["table"],
                     "percentile_bounds_of": target["source"]["table"]}
    return out


__all__ = ["ANALOG", "VERDICTS", "across_objectives", "across_tables", "judge", "sign",
           "source_rules", "tally", "transferred", "wilson"]
