"""Effect rows carry the per-output complexity delta (parameters, FLOPs) beside the whole-model
one; an old ledger (events without per-output complexity) gets the same numbers from genomes;
the report's statistics tables show them."""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path

import numpy as np

from nas_ops import load_run
from nas_ops.analysis import effect_rows, run_outputs
from nas_ops.analysis.rows import EffectRow
from nas_ops.analysis.statistics import cell_stats
from nas_ops.genome import complexity, structural_hash, to_json
from nas_ops.records import EvalRecord
from nas_ops.store import Ledger
from nas_ops.variation import VariationContext, get_operator
from tests.variation.test_output_complexity import shared_genome

VALUES = {"b000": (0.30, 0.020, 0.050), "v000-0": (0.35, 0.020, 0.050)}


def _write_run(run_dir: Path) -> Path:
    """One base (the hand-built genome) and one child: remove_layer on network ``a``, which
    only reaches ``class`` (class subgraph: +4 parameters, +16 FLOPs)."""
    parent = shared_genome()
    ctx = VariationContext.replaying([{"name": "layer", "value": ["a", 0]}], "multinet")
    result = get_operator("remove_layer")([parent], ctx, uids=["v000-0"])
    child = result.children[0]
    with Ledger(run_dir, "w") as ledger:
        ledger.set_meta("config", {"task": {"name": "mnist1d"}, "seed": 0})
        ledger.set_meta("kind", "study")
        for gen, (uid, genome) in enumerate((("b000", parent), ("v000-0", child))):
            ledger.add_individual(uid, gen, 0, to_json(genome), structural_hash(genome),
                                  [] if gen == 0 else ["b000"], None if gen == 0 else
                                  "remove_layer", 0)
            acc, mse, recon = VALUES[uid]
            val = {"class": {"accuracy": acc}, "histogram": {"mse": mse},
                   "reconstruction": {"recon_mse": recon}}
            ledger.add_evaluation(EvalRecord(uid, "ok", val=val, test=val,
                                             complexity=complexity(genome).as_dict()), [])
        result.event.parents = ["b000"]
        ledger.add_variation(1, 0, 0, result.event.to_dict(), "v000-0")
    return run_dir


def _rows(run_dir: Path) -> dict[str, EffectRow]:
    run = load_run(run_dir)
    return {r.output: r for r in effect_rows(run, run_outputs(run))}


def _check(rows: dict[str, EffectRow]) -> None:
    cls, hist, rec = rows["class"], rows["histogram"], rows["reconstruction"]
    assert (cls.d_output_parameters, cls.d_output_flops) == (4.0, 16.0)
    for other in (hist, rec):
        assert (other.d_output_parameters, other.d_output_flops) == (0.0, 0.0)
    for row in rows.values():  # the whole model: the same for every output
        assert (row.d_parameters, row.d_flops) == (4.0, 16.0)


def test_rows_carry_the_per_output_and_flops_deltas(tmp_path: Path) -> None:
    rows = _rows(_write_run(tmp_path / "run"))
    _check(rows)
    stats = cell_stats([rows["class"]], "remove_layer", "class", np.random.default_rng(0),
                       n_boot=10)
    assert (stats.mean_d_flops, stats.mean_d_output_parameters, stats.mean_d_output_flops) == \
        (16.0, 4.0, 16.0)


def test_an_old_ledger_gets_the_per_output_deltas_from_its_genomes(tmp_path: Path) -> None:
    run_dir = _write_run(tmp_path / "run")
    db = sqlite3.connect(run_dir / "ledger.sqlite")
    (text,) = db.execute("SELECT event FROM variations").fetchone()
    event = json.loads(text)
    for child in event["per_child"]:  # as a ledger of schema 4 wrote it
        del child["output_complexity_before"], child["output_complexity_after"]
    db.execute("UPDATE variations SET event = ?", (json.dumps(event),))
    db.commit()
    db.close()
    run = load_run(run_dir)
    assert run.variations[0].event.per_child[0].output_complexity_after == {}
    _check(_rows(run_dir))


def test_report_tables_show_the_complexity_deltas(tmp_path: Path) -> None:
    from nas_ops.report import build_report

    report = build_report(_write_run(tmp_path / "run"), tmp_path / "report")
    text = (report.parent / "report.md").read_text()
    assert "mean ΔFLOPs | mean Δparams (output) | mean ΔFLOPs (output)" in text
    assert "| remove_layer | 1 | 1 |" in text and "| 4 | 16 | 4 | 16 |" in text
    stats = json.loads((report.parent / "tables" / "stats.json").read_text())
    cls = next(s for s in stats if s["operator"] == "remove_layer" and s["output"] == "class")
    assert (cls["mean_d_output_parameters"], cls["mean_d_output_flops"]) == (4.0, 16.0)
    effects = json.loads((report.parent / "tables" / "effects.json").read_text())
    hist = next(e for e in effects if e["output"] == "histogram")
    assert hist["d_output_flops"] == 0.0 and not math.isnan(hist["d_flops"])
