"""VariationContext: decisions recorded in order and replayed exactly."""

from __future__ import annotations

import json

import pytest

from nas_ops.spaces import get_space
from nas_ops.variation import (
    NotApplicable,
    ReplayError,
    VariationContext,
)


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
