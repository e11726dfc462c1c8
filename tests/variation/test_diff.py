"""What a variation changed: diff, touched nodes, affected outputs, retraining, neutrality."""

from __future__ import annotations

from nas_ops.variation import (
    VariationContext,
    apply_operator,
    get_operator,
    trainable_networks,
)
from tests.operators.handmade import handmade


def test_diff_touched_affected_for_remove_connection() -> None:
    g = handmade()
    ctx = VariationContext.replaying([{"name": "edge", "value": ["n2", "n1"]}], "multinet")
    res = get_operator("remove_connection")([g], ctx)
    ev = res.event
    assert ev.diff["edges_removed"] == ["n2->n1"] and ev.diff["nodes_changed"] == []
    assert ev.touched == ["n1"] and ev.affected_outputs == ["class"]
    assert ev.complexity_after[0]["connections"] == ev.complexity_before["connections"] - 1
    assert trainable_networks(res, 0) == {"n1"}


def test_hyperparameter_change_affects_everything() -> None:
    g = handmade()
    res = apply_operator("change_optimizer", g, 0)
    assert res.event.diff["hyper_changed"] == ["optimizer"] and res.event.touched == []
    assert res.event.affected_outputs == list(g.output_ids)
    assert trainable_networks(res, 0) == set(g.network_ids)


def test_trainable_networks_are_touched_and_downstream() -> None:
    g = handmade()
    ctx = VariationContext.replaying(
        [{"name": "layer", "value": ["n0", 0]}, {"name": "value", "value": "tanh"}], "multinet")
    res = get_operator("change_activation")([g], ctx)
    assert res.event.touched == ["n0"]
    assert trainable_networks(res, 0) == {"n0", "n1", "n3"}
    assert res.event.affected_outputs == ["class", "reconstruction"]


def test_neutral_flag() -> None:
    g = handmade()
    res = apply_operator("change_units", g, 0)
    assert not res.event.neutral
    swap_same = get_operator("swap_network")([g, g.with_lineage("twin", (), None)],
                                             VariationContext.replaying(
                                                 [{"name": "pair", "value": ["n4", "n4"]}],
                                                 "multinet"))
    assert swap_same.ok and swap_same.event.neutral
