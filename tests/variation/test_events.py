"""Typed variation records: family and direction recorded, old events still load, controls."""

from __future__ import annotations

import json

from nas_ops.variation import (
    UNKNOWN,
    ChildRecord,
    VariationEvent,
    apply_operator,
    get_operator,
)
from tests.operators.handmade import handmade


def test_event_carries_the_registered_family_and_direction() -> None:
    for name in ("add_layer", "remove_connection", "change_optimizer"):
        op = get_operator(name)
        event = apply_operator(name, handmade(), 3).event
        assert (event.family, event.direction) == (op.family, op.direction)
        data = event.to_dict()
        assert (data["family"], data["direction"]) == (op.family, op.direction)


def test_not_applicable_events_carry_them_too() -> None:
    event = apply_operator("change_optimizer", handmade(), 0, safe=("class",)).event
    assert event.status == "not_applicable" and event.family == "hyperparameter"


def test_per_child_records_are_typed_and_round_trip() -> None:
    event = apply_operator("clone_network", handmade(), 1).event
    assert all(isinstance(c, ChildRecord) for c in event.per_child)
    back = VariationEvent.from_dict(json.loads(json.dumps(event.to_dict())))
    assert back == event and back.child_record(0) == event.per_child[0]


def test_old_event_without_family_loads_as_unknown() -> None:
    data = apply_operator("add_layer", handmade(), 2).event.to_dict()
    del data["family"], data["direction"]
    event = VariationEvent.from_dict(data)
    assert event.family == UNKNOWN and event.direction == UNKNOWN
    assert event.to_dict() == {**data, "family": UNKNOWN, "direction": UNKNOWN}


def test_control_event() -> None:
    g = handmade()
    cx = {"parameters": 10, "networks": 4}
    event = VariationEvent.control("retrain_control", "b000", "c000-000", list(g.output_ids), cx,
                                   {"n0": {"parent": 0}})
    rec = event.child_record(0)
    assert event.ok and event.neutral and rec.neutral and not event.touched
    assert rec.affected_outputs == event.affected_outputs == list(g.output_ids)
    assert event.complexity_after == [cx] and event.children == ["c000-000"]
    assert (event.family, event.direction) == (UNKNOWN, "neutral")
    assert VariationEvent.from_dict(event.to_dict()) == event
