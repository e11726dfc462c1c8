"""The ledger is the source of truth for an operator's family: a run analysed without the
operator's plugin installed reports the family recorded in its events (schema 2); an event of an
old ledger (schema 1, no family) falls back to the operator registered now."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from nas_ops.analysis import analyze_run
from nas_ops.genome import Genome, to_json
from nas_ops.records import EvalRecord
from nas_ops.store import Ledger
from nas_ops.variation import OPERATORS, VariationContext, apply_operator, register_operator
from tests.operators.handmade import handmade

_METRIC = {"classification": "accuracy", "regression": "mse", "generation": "recon_mse"}


def _record(uid: str, genome: Genome, value: float) -> EvalRecord:
    val = {o.id: {_METRIC[o.kind]: value} for o in genome.outputs}
    return EvalRecord(uid, "ok", val=val, test=val, complexity={"parameters": 100},
                      wall_time_s=0.1, device="cpu", steps=1)


def _plugin_lr(genome: Genome, ctx: VariationContext) -> Genome:
    """A throw-away plugin operator: a new learning rate."""
    return genome.replace(hyper=dataclasses.replace(genome.hyper, learning_rate=0.123))


def _write_run(run_dir: Path) -> None:
    parent = handmade().with_lineage("p", (), None)
    register_operator("x_plugin_lr", family="connection", direction="grow")(_plugin_lr)
    try:
        new = apply_operator("x_plugin_lr", parent, 0, uids=["c"])
    finally:
        OPERATORS.unregister("x_plugin_lr")
    old = apply_operator("add_layer", parent, 0, uids=["d"])
    assert new.ok and old.ok
    old_event = old.event.to_dict()
    del old_event["family"], old_event["direction"]  # as a schema-1 ledger wrote it
    with Ledger(run_dir, "w") as ledger:
        ledger.set_meta("config", {"task": {"name": "handmade"}, "seed": 0})
        ledger.add_individual("p", 0, 0, to_json(parent), "hp", [], None, 0)
        ledger.add_evaluation(_record("p", parent, 0.5), [])
        for slot, (res, event) in enumerate([(new, new.event.to_dict()), (old, old_event)], 1):
            child = res.children[0]
            ledger.add_individual(child.uid, 1, slot, to_json(child), f"h{child.uid}", ["p"],
                                  event["operator"], 0)
            ledger.add_variation(1, slot, 0, event, child.uid)
            ledger.add_evaluation(_record(child.uid, child, 0.6), [])
        ledger.set_meta("status", "finished")


def test_family_comes_from_the_ledger_not_the_live_registry(tmp_path: Path) -> None:
    _write_run(tmp_path)
    assert "x_plugin_lr" not in OPERATORS.names()  # the plugin is gone
    analysis = analyze_run(tmp_path)
    families = {r.operator: r.family for r in analysis.effects}
    assert families == {"x_plugin_lr": "connection", "add_layer": "layer"}
    assert {r.operator: r.family for r in analysis.rates} == families
    events = {v.operator: v.event for v in analysis.run.variations}
    assert events["x_plugin_lr"].direction == "grow"
    assert events["add_layer"].family == "unknown"  # loaded from schema 1: the registry answers
