"""The template method: statuses, failures, safe outputs, lineage, events, replay."""

from __future__ import annotations

import dataclasses
import json

import pytest

from nas_ops.errors import UnknownNameError
from nas_ops.genome import Genome
from nas_ops.variation import (
    OPERATORS,
    Operator,
    VariationContext,
    VariationEvent,
    apply_operator,
    get_operator,
    register_operator,
    replay_event,
)
from tests.operators.handmade import handmade


def test_inapplicable_genome_gives_status_not_exception() -> None:
    g = handmade()
    res = apply_operator("remove_connection", g, 0, safe=("class", "histogram", "reconstruction"))
    assert res.event.status == "not_applicable" and res.children == ()
    assert not get_operator("change_learning_rate").applicable(g, ("class",))
    assert get_operator("change_learning_rate").applicable(g)


class _Broken(Operator):
    def _apply(self, parents, ctx):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")


class _Reckless(Operator):
    """Changes the first network whatever the safe outputs say."""

    def _apply(self, parents, ctx):  # type: ignore[no-untyped-def]
        g = parents[0]
        net = g.networks[0]
        return g.replace_network(net.with_layers(net.layers[:-1]))


class _Invalid(Operator):
    def _apply(self, parents, ctx):  # type: ignore[no-untyped-def]
        return parents[0].replace(edges=parents[0].edges[1:])


@pytest.mark.parametrize(("cls", "reason"), [(_Broken, "RuntimeError: boom"),
                                             (_Invalid, "invalid"), (_Reckless, "protected")])
def test_failures_become_failed_events(cls: type[Operator], reason: str) -> None:
    name = f"x_{cls.__name__.lower()}"
    register_operator(name, family="network")(cls)
    try:
        res = apply_operator(name, handmade(), 0, safe=("class",))
        assert res.event.status == "failed" and reason in res.event.reason
        assert res.children == ()
    finally:
        OPERATORS.unregister(name)


def test_unknown_safe_output_names_the_choices() -> None:
    with pytest.raises(UnknownNameError, match="histogram"):
        apply_operator("add_layer", handmade(), 0, safe=("histo",))


def test_lineage_and_deterministic_uid() -> None:
    g = handmade()
    a, b = apply_operator("add_layer", g, 5), apply_operator("add_layer", g, 5)
    child = a.children[0]
    assert child.parents == ("hand",) and child.operator == "add_layer"
    assert child.uid == b.children[0].uid and child.uid != g.uid
    given = apply_operator("add_layer", g, 5, uids=["mine"])
    assert given.children[0].uid == "mine"


def test_event_round_trips_through_json() -> None:
    res = apply_operator("clone_network", handmade(), 1)
    data = json.loads(json.dumps(res.event.to_dict()))
    assert VariationEvent.from_dict(data) == res.event
    assert data["inheritance"][0]


def test_replay_event_reproduces_children() -> None:
    g = handmade()
    res = apply_operator("divide_connection", g, 11)
    again = replay_event(res.event, [g])
    assert again.children == res.children and again.event == res.event


def test_template_refuses_hyperparameter_changes_with_safe_outputs() -> None:
    def careless_lr(genome: Genome, ctx: VariationContext) -> Genome:
        return genome.replace(hyper=dataclasses.replace(genome.hyper, learning_rate=0.5))

    register_operator("x_careless_lr", family="hyperparameter")(careless_lr)
    try:
        assert apply_operator("x_careless_lr", handmade(), 0).ok
        res = apply_operator("x_careless_lr", handmade(), 0, safe=("class",))
        assert res.event.status == "failed" and "safe output" in res.event.reason
    finally:
        OPERATORS.unregister("x_careless_lr")
