"""The operator registry: names, collisions, metadata checks, the listing."""

from __future__ import annotations

import pytest

from nas_ops.errors import RegistryCollisionError, UnknownNameError
from nas_ops.variation import (
    get_operator,
    list_operators,
    register_operator,
)


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
