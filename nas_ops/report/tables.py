"""The analysis tables as CSV and JSON files (nan written as an empty CSV cell / JSON null)."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nas_ops.analysis import Analysis
from nas_ops.analysis.effects import EffectRow
from nas_ops.guidelines_format import finite as _finite


def _records(items: Sequence[Any]) -> list[dict[str, Any]]:
    return [item.to_dict() for item in items]


def write_table(base: Path, records: list[dict[str, Any]], columns: list[str]) -> list[Path]:
    """``base.csv`` and ``base.json`` with ``records`` (lists are joined by ';' in the CSV)."""
    csv_path, json_path = base.with_suffix(".csv"), base.with_suffix(".json")
    with csv_path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for rec in records:
            writer.writerow([_csv_cell(rec.get(c)) for c in columns])
    json_path.write_text(json.dumps(_finite(records), indent=1) + "\n")
    return [csv_path, json_path]


def _csv_cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, dict):
        return json.dumps(_finite(value), sort_keys=True)
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return value


def _columns(records: list[dict[str, Any]], fallback: list[str]) -> list[str]:
    return list(records[0]) if records else fallback


def write_tables(a: Analysis, table_dir: Path) -> list[Path]:
    """Every table of ``a`` into ``table_dir``; returns the files written."""
    table_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    written += write_table(table_dir / "effects", _records(a.effects), EffectRow.columns())
    for name, items, fallback in (
            ("stats", a.stats, ["operator", "output", "n"]),
            ("per_base", a.per_base, ["base", "operator", "output", "n", "median"]),
            ("conditioned", a.conditioned, ["condition", "level", "operator", "output", "n"]),
            ("rates", a.rates, ["operator", "attempts"]),
            ("kruskal", a.kruskal, ["output", "operators", "h", "p_value"]),
            ("pairwise", a.pairwise, ["output", "a", "b", "p_value", "p_adjusted"]),
            ("guideline_rules", a.guidelines.rules, ["condition", "operator", "output"]),
            ("versus_control", a.guidelines.versus_control, ["operator", "output", "n"])):
        records = _records(items)
        written += write_table(table_dir / name, records, _columns(records, fallback))
    cov = table_dir / "coverage.json"
    cov.write_text(json.dumps(a.coverage, indent=1) + "\n")
    written.append(cov)
    return written
