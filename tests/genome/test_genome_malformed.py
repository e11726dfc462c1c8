"""Malformed genomes: each is rejected with one line naming the node (or field) and the rule."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

import nas_ops as N
from nas_ops.errors import GenomeError, NasOpsError, UnknownNameError
from nas_ops.genome import from_dict, from_json
from tests.genome.builders import base_dict

Edit = Callable[[dict[str, Any]], object]


def _net(d: dict[str, Any], net_id: str) -> dict[str, Any]:
    return next(n for n in d["networks"] if n["id"] == net_id)


def _add_net(d: dict[str, Any], net_id: str, kind: str = "mlp", out_size: int = 32,
             edges: tuple[tuple[str, str], ...] = ()) -> None:
    d["networks"].append({"id": net_id, "kind": kind, "out_size": out_size, "layers": []})
    d["edges"].extend([list(e) for e in edges])


def _many_nets(d: dict[str, Any]) -> None:
    for k in range(4):  # multinet allows 6 networks; the base has 4
        _add_net(d, f"extra{k}", edges=(("x", f"extra{k}"), (f"extra{k}", "histogram")))


# (case, edit, node named in the message, rule named in the message)
STRUCTURAL: list[tuple[str, Edit, str, str]] = [
    ("cycle", lambda d: d["edges"].append(["hist", "enc"]), "enc", "acyclic"),
    ("cycle between networks",
     lambda d: _add_net(d, "m", out_size=16, edges=(("hist", "m"), ("m", "hist"))),
     "hist", "acyclic"),
    ("self loop", lambda d: d["edges"].append(["hist", "hist"]), "hist", "acyclic"),
    ("output unreachable", lambda d: d["edges"].remove(["hist", "histogram"]),
     "histogram", "outputs reachable"),
    ("network without input", lambda d: _add_net(d, "m", edges=(("m", "histogram"),)),
     "m", "networks have inputs"),
    ("network reaching no output", lambda d: _add_net(d, "m", edges=(("x", "m"),)),
     "m", "networks reach an output"),
    ("conv_encoder fed by a network",
     lambda d: _add_net(d, "m", out_size=8, edges=(("x", "m"), ("m", "enc"))), "enc", "types"),
    ("decoder output into classification", lambda d: d["edges"].append(["dec", "class"]),
     "class", "types"),
    ("input straight into an output", lambda d: d["edges"].append(["x", "histogram"]),
     "histogram", "types"),
    ("size mismatch", lambda d: _net(d, "hist").update(out_size=31), "histogram", "sizes"),
    ("conv_decoder out_shape", lambda d: (
        d["networks"].append({"id": "cd", "kind": "conv_decoder", "out_size": 40,
                              "out_shape": [2, 40], "layers": [{"units": 4}]}),
        d["edges"].extend([["cls", "cd"], ["cd", "reconstruction"]])), "cd", "sizes"),
    ("unknown node kind", lambda d: _net(d, "hist").update(kind="transformer"),
     "hist", "known values"),
    ("unknown activation", lambda d: _net(d, "cls")["layers"][0].update(activation="swishy"),
     "cls", "known values"),
    ("unknown initializer", lambda d: _net(d, "cls")["layers"][0].update(init="zeros"),
     "cls", "known values"),
    ("unknown data type", lambda d: d["inputs"][0].update(dtype="audio"), "x", "known values"),
    ("unknown output kind", lambda d: d["outputs"][0].update(kind="ranking"),
     "class", "known values"),
    ("input shape", lambda d: d["inputs"][0].update(shape=[40]), "x", "input shape"),
    ("duplicate network id", lambda d: _net(d, "hist").update(id="cls"), "cls", "unique ids"),
    ("network id equal to an input", lambda d: _net(d, "hist").update(id="x"),
     "x", "unique ids"),
    ("edge to a missing node", lambda d: d["edges"].append(["ghost", "hist"]),
     "ghost", "edges name nodes"),
    ("edge into an input", lambda d: d["edges"].append(["enc", "x"]),
     "x", "inputs have no predecessors"),
    ("edge out of an output", lambda d: d["edges"].append(["class", "hist"]),
     "class", "outputs have no successors"),
    ("duplicate edge", lambda d: d["edges"].append(["x", "enc"]), "enc", "no duplicate edges"),
    ("too many networks", _many_nets, "(genome)", "bounds"),
    ("too many layers", lambda d: _net(d, "cls").update(layers=[{"units": 8}] * 4),
     "cls", "bounds"),
    ("too many units", lambda d: _net(d, "cls").update(layers=[{"units": 129}]), "cls", "bounds"),
    ("zero units", lambda d: _net(d, "cls").update(layers=[{"units": 0}]), "cls", "bounds"),
    ("dropout of 1", lambda d: _net(d, "cls")["layers"][0].update(dropout=1.0), "cls", "bounds"),
    ("decoder without latent", lambda d: _net(d, "dec").update(latent=0), "dec", "bounds"),
    ("latent on an mlp", lambda d: _net(d, "hist").update(latent=3), "hist", "bounds"),
    ("conv_encoder without layers", lambda d: _net(d, "enc").update(layers=[]), "enc", "bounds"),
    ("negative loss weight", lambda d: d["outputs"][1].update(loss_weight=-1.0),
     "histogram", "bounds"),
    ("negative learning rate", lambda d: d["hyper"].update(learning_rate=-1.0),
     "(hyper)", "hyperparameters"),
    ("NaN learning rate", lambda d: d["hyper"].update(learning_rate=float("nan")),
     "(hyper)", "hyperparameters"),
    ("batch size 0", lambda d: d["hyper"].update(batch_size=0), "(hyper)", "hyperparameters"),
    ("unknown optimizer", lambda d: d["hyper"].update(optimizer="lbfgs"),
     "(hyper)", "known values"),
]


def test_base_genome_is_valid() -> None:
    genome = N.validate(from_dict(base_dict()))
    assert genome.network_ids == ["enc", "cls", "hist", "dec"]


@pytest.mark.parametrize(("edit", "node", "rule"), [c[1:] for c in STRUCTURAL],
                         ids=[c[0] for c in STRUCTURAL])
def test_structural_rule_broken_is_named(edit: Edit, node: str, rule: str) -> None:
    data = base_dict()
    edit(data)
    with pytest.raises(GenomeError) as info:
        N.validate(from_dict(json.loads(json.dumps(data))))  # through JSON, as a user file is
    message = str(info.value)
    assert f"node {node!r}" in message
    assert f"[rule: {rule}]" in message
    assert "\n" not in message
    assert isinstance(info.value, ValueError)


# (case, raw JSON text or edit, fragment the message must contain)
PARSING: list[tuple[str, str | Edit, str]] = [
    ("malformed JSON", '{"schema": 1,', "genome JSON is malformed"),
    ("empty text", "", "genome JSON is malformed"),
    ("not an object", "[1, 2]", "(top level) must be an object"),
    ("wrong schema version", lambda d: d.update(schema=2), "genome schema 2 is not supported"),
    ("missing schema", lambda d: d.pop("schema"), "genome field schema is missing"),
    ("missing edges", lambda d: d.pop("edges"), "genome field edges is missing"),
    ("missing units", lambda d: d["networks"][1]["layers"][0].pop("units"),
     "genome field networks[1].layers[0].units is missing"),
    ("units as a string", lambda d: d["networks"][1]["layers"][0].update(units="8"),
     "networks[1].layers[0].units has the wrong type: str"),
    ("batch size as a bool", lambda d: d["hyper"].update(batch_size=True),
     "hyper.batch_size has the wrong type: bool"),
    ("edge not a pair", lambda d: d["edges"].append(["x"]), "edges[7] must be a [source, target]"),
    ("shape not integers", lambda d: d["inputs"][0].update(shape=[1, 40.5]),
     "inputs[0].shape must be a list of integers"),
    ("misspelt gene", lambda d: d["networks"][1]["layers"][0].update(activaton="tanh"),
     "genome field networks[1].layers[0].activaton is not a known field"),
    ("unknown top-level field", lambda d: d.update(bogus=1), "genome field bogus is not a known"),
    ("parents not strings", lambda d: d.update(parents=[1]), "parents must be a list of strings"),
]


@pytest.mark.parametrize(("source", "fragment"), [c[1:] for c in PARSING],
                         ids=[c[0] for c in PARSING])
def test_parse_error_names_the_field(source: str | Edit, fragment: str) -> None:
    if isinstance(source, str):
        text = source
    else:
        data = copy.deepcopy(base_dict())
        source(data)
        text = json.dumps(data)
    with pytest.raises(GenomeError) as info:
        from_json(text)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_unknown_space_lists_the_valid_ones() -> None:
    data = base_dict()
    data["space"] = "nope"
    with pytest.raises(UnknownNameError) as info:
        N.validate(from_dict(data))
    assert "'nope'" in str(info.value) and "multinet" in str(info.value)
    assert isinstance(info.value, NasOpsError) and isinstance(info.value, KeyError)


def test_space_rules_apply() -> None:
    """The same genome can be valid in one space and break another's bounds or type tables."""
    data = base_dict()
    data["space"] = "mlp"  # mlp allows only mlp/discrete networks
    with pytest.raises(GenomeError, match=r"node 'enc': network kind 'conv_encoder' unknown"):
        N.validate(from_dict(data))
