"""The policy's target hint: ctx.choice prefers options that mention a target id, falls back to
all options, records the same decisions, and a hinted variation replays exactly."""

from __future__ import annotations

import json

from nas_ops.variation import VariationContext, VariationEvent, apply_operator, replay_event
from nas_ops.variation.context import atoms
from tests.operators.handmade import handmade

EDGES = [("x", "n0"), ("n0", "n1"), ("n2", "n4"), ("n3", "reconstruction")]


def test_atoms_flatten_strings_through_tuples_and_lists() -> None:
    assert atoms(("a", ["b", ("c", 3)], None, 2.5)) == ["a", "b", "c"]
    assert atoms("n1") == ["n1"] and atoms(7) == []


def test_choice_draws_only_among_options_that_mention_the_target() -> None:
    picks = set()
    for seed in range(40):
        ctx = VariationContext.from_seed(seed, "multinet", target={"n4"})
        picks.add(ctx.choice("edge", EDGES))
        assert ctx.honoured
    assert picks == {("n2", "n4")}
    picks = {VariationContext.from_seed(s, "multinet", target={"n0"}).choice("edge", EDGES)
             for s in range(40)}
    assert picks == {("x", "n0"), ("n0", "n1")}  # either end counts


def test_choice_falls_back_to_every_option_when_none_mentions_the_target() -> None:
    hinted = VariationContext.from_seed(5, "multinet", target={"n9"})
    plain = VariationContext.from_seed(5, "multinet")
    assert hinted.choice("edge", EDGES) == plain.choice("edge", EDGES)  # the same draw
    assert not hinted.honoured and hinted.decisions == plain.decisions


def test_the_pool_draw_is_one_integer_below_its_size() -> None:
    ctx = VariationContext.from_seed(11, "multinet", target={"n0"})
    got = ctx.choice("edge", EDGES)
    expected = [("x", "n0"), ("n0", "n1")][int(VariationContext.from_seed(11, "multinet")
                                                .rng.integers(2))]
    assert got == expected
    assert ctx.decisions == [{"name": "edge", "value": list(expected)}]


def test_a_hinted_variation_is_honoured_recorded_and_replays_exactly() -> None:
    parent = handmade()
    for seed in range(6):
        result = apply_operator("clone_network", parent, seed, target={"n3"})
        assert result.ok and "n3" in result.event.touched
        assert result.event.hint == {"target": ["n3"], "honoured": True}
        again = replay_event(result.event, [parent])
        assert again.children == result.children
        assert again.event.to_dict() == result.event.to_dict()
    plain = [apply_operator("clone_network", parent, s).event.touched for s in range(6)]
    assert any("n3" not in t for t in plain)  # without the hint the draws go elsewhere


def test_events_without_a_hint_are_unchanged_and_old_events_load() -> None:
    event = apply_operator("add_layer", handmade(), 2).event
    data = event.to_dict()
    assert "hint" not in data and event.hint == {}
    assert VariationEvent.from_dict(data) == event
    hinted = apply_operator("add_layer", handmade(), 2, target={"n1"}).event
    hinted.hint.update(output="class", reason="test")
    back = VariationEvent.from_dict(json.loads(json.dumps(hinted.to_dict())))
    assert back == hinted and back.hint["output"] == "class"

