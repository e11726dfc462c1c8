"""The variation API: context, registry, template-method guarantees, events."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from nas_ops.errors import RegistryCollisionError, UnknownNameError
from nas_ops.genome import Genome, to_json
from nas_ops.spaces import get_space
from nas_ops.variation import (
    OPERATORS,
    NotApplicable,
    Operator,
    ReplayError,
    VariationContext,
    VariationEvent,
    apply_operator,
    get_operator,
    list_operators,
    register_operator,
    replay_event,
    trainable_networks,
)
from tests.operators.handmade import handmade


def test_unknown_operator_lists_valid_names() -> None:
    with pytest.raises(UnknownNameError) as err:
        get_operator("add_conection")
    assert "add_connection" in str(err.value) and "swap_network" in str(err.value)


def test_name_collision_raises() -> None:
    with pytest.raises(RegistryCollisionError, match="add_connection"):
        register_operator("add_connection", family="connection")(lambda g, ctx: g)


def test_bad_metadata_is_rejected() -> None:
    with pytest.raises(UnknownNameError, match="family"):
        register_operator("x_bad", family="magic")
    with pytest.raises(UnknownNameError, match="direction"):
        register_operator("x_bad", family="layer", direction="sideways")


def test_list_operators_rows() -> None:
    rows = {r["name"]: r for r in list_operators()}
    assert rows["swap_network"]["arity"] == 2 and rows["swap_network"]["family"] == "crossover"
    assert rows["clone_network"]["function_preserving"] is True
    assert rows["bypass_network"]["direction"] == "shrink"
    assert all(r["description"] for r in rows.values())


def test_context_records_and_replays() -> None:
    space = get_space("multinet")
    ctx = VariationContext.from_seed(3, space)
    values = (ctx.choice("a", ["p", "q", "r"]), ctx.integers("b", 0, 10),
              ctx.uniform("c", 0.0, 1.0), ctx.generator("d").integers(1000))
    assert [d["name"] for d in ctx.decisions] == ["a", "b", "c", "d"]
    json.dumps(ctx.decisions)
    again = VariationContext.replaying(ctx.decisions, space)
    assert (again.choice("a", ["p", "q", "r"]), again.integers("b", 0, 10),
            again.uniform("c", 0.0, 1.0), again.generator("d").integers(1000)) == values


def test_replay_mismatch_is_an_error() -> None:
    ctx = VariationContext.replaying([{"name": "a", "value": "z"}], "multinet")
    with pytest.raises(ReplayError, match="not among"):
        ctx.choice("a", ["p", "q"])
    ctx = VariationContext.replaying([{"name": "a", "value": "p"}], "multinet")
    with pytest.raises(ReplayError, match="'b'"):
        ctx.choice("b", ["p"])


def test_choice_from_nothing_is_not_applicable() -> None:
    ctx = VariationContext.from_seed(0, "multinet")
    with pytest.raises(NotApplicable):
        ctx.choice("edge", [])


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


def test_operators_never_mutate_parents(genomes: list[Genome]) -> None:
    for g in genomes[:3]:
        before = to_json(g)
        for name in OPERATORS.names():
            apply_operator(name, g, 0)
        assert to_json(g) == before


def test_applicable_agrees_with_call(genomes: list[Genome]) -> None:
    rng = np.random.default_rng(0)
    for g in genomes:
        for name in OPERATORS.names():
            seed = int(rng.integers(1000))
            expect = "ok" if get_operator(name).applicable(g) else "not_applicable"
            assert apply_operator(name, g, seed).event.status == expect, name


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
