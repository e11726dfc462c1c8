"""Weight inheritance: function-preserving transforms checked numerically, modes, JSON maps."""

from __future__ import annotations

import json

import pytest
import torch

from nas_ops.genome import Genome
from nas_ops.phenotype import child_model
from nas_ops.testing.operators import example_batch, perturbed_model
from nas_ops.variation import (
    NetInheritance,
    VariationContext,
    VariationResult,
    get_operator,
)
from tests.operators.handmade import handmade


def _replay(name: str, decisions: list[tuple[str, object]], g: Genome) -> VariationResult:
    ctx = VariationContext.replaying([{"name": n, "value": v} for n, v in decisions], "multinet")
    res = get_operator(name)([g], ctx)
    assert res.ok, res.event.reason
    return res


def _outputs(model: torch.nn.Module, g: Genome) -> dict[str, torch.Tensor]:
    with torch.no_grad():
        return dict(model.eval()(example_batch(g, 0, n=16)).outputs)


def _assert_preserved(res: VariationResult, g: Genome) -> None:
    parent = perturbed_model(g, 7)
    child = child_model(res.children[0], res.parents, res.inheritance[0], [parent.state_dict()],
                        seed=99)
    before, after = _outputs(parent, g), _outputs(child, g)
    for out in g.output_ids:
        assert torch.allclose(before[out], after[out], rtol=1e-5, atol=1e-6), out


@pytest.mark.parametrize("net", ["n0", "n1", "n2", "n3", "n4"])
def test_clone_network_preserves_every_output(net: str) -> None:
    g = handmade()
    res = _replay("clone_network", [("network", net)], g)
    child = res.children[0]
    clone = next(n for n in child.network_ids if n not in g.network_ids)
    assert child.predecessors(clone) == g.predecessors(net)
    assert set(child.successors(clone)) == set(g.successors(net))
    _assert_preserved(res, g)


def test_clone_of_network_with_both_consumer_kinds_halves_heads_only() -> None:
    g = handmade()  # n2 feeds the histogram output and the networks n1 and n4
    imap = _replay("clone_network", [("network", "n2")], g).inheritance[0]
    assert imap["n2"].transforms == ({"op": "scale", "unit": "head", "factor": 0.5},)
    assert imap["n1"].transforms[0]["factor"] == 1.0
    imap = _replay("clone_network", [("network", "n0")], g).inheritance[0]
    assert imap["n0"].transforms == () and imap["n1"].transforms[0]["factor"] == 0.5


@pytest.mark.parametrize(("net", "layer"), [("n0", 0), ("n0", 1), ("n1", 0), ("n3", 0)])
def test_widen_layer_preserves_every_output(net: str, layer: int) -> None:
    g = handmade()
    units = g.network(net).layers[layer].units
    res = _replay("widen_layer", [("layer", [net, layer]), ("units", 64 if units < 64 else 128),
                                  ("mapping", 12345)], g)
    assert res.children[0].network(net).layers[layer].units > units
    assert res.inheritance[0][net].mode == "partial"
    _assert_preserved(res, g)


@pytest.mark.parametrize(("net", "pos", "act"), [("n0", 0, "identity"), ("n0", 1, "relu"),
                                                 ("n0", 2, "relu"), ("n1", 1, "identity"),
                                                 ("n3", 0, "identity"), ("n4", 0, "identity")])
def test_deepen_network_preserves_every_output(net: str, pos: int, act: str) -> None:
    g = handmade()
    res = _replay("deepen_network", [("position", [net, pos])], g)
    new = res.children[0].network(net).layers[pos]
    assert new.activation == act and not new.batchnorm and new.dropout == 0.0
    _assert_preserved(res, g)


def test_reinit_inherits_nothing_and_others_inherit_fully() -> None:
    g = handmade()
    res = _replay("reinit_network", [("network", "n1"), ("layers", 4)], g)
    imap = res.inheritance[0]
    assert imap["n1"].mode == "none" and imap["n1"].source is None
    assert {imap[n].mode for n in ("n0", "n2", "n3", "n4")} == {"full"}


def test_remove_layer_keeps_later_layers_aligned() -> None:
    g = handmade()
    res = _replay("remove_layer", [("layer", ["n0", 0])], g)
    assert res.inheritance[0]["n0"].layer_map == (1,)
    parent = perturbed_model(g, 3)
    child = child_model(res.children[0], res.parents, res.inheritance[0], [parent.state_dict()],
                        seed=0)
    old_l1 = parent.networks["n0"].body[3].weight  # after layer 0: Linear, BN, ReLU
    new_l0 = child.networks["n0"].body[0].weight  # resized: 40 inputs instead of 32
    assert torch.equal(new_l0[:, :32], old_l1[:, :32])


def test_swap_network_inherits_from_the_donor() -> None:
    g = handmade()
    other = handmade().with_lineage("other", (), None)
    ctx = VariationContext.replaying([{"name": "pair", "value": ["n4", "n0"]}], "multinet")
    res = get_operator("swap_network")([g, other], ctx)
    assert res.ok, res.event.reason
    assert res.inheritance[0]["n4"] == NetInheritance(1, "n0", "partial", (0, 1))
    assert res.children[0].network("n4").layers == g.network("n0").layers
    assert res.children[0].network("n4").out_size == 32


def test_inheritance_maps_are_json() -> None:
    res = _replay("deepen_network", [("position", ["n0", 1])], handmade())
    for cid, entry in res.inheritance[0].items():
        text = json.dumps(entry.to_dict())
        assert NetInheritance.from_dict(json.loads(text)) == entry, cid


def test_resized_source_makes_its_consumers_partial() -> None:
    g = handmade()  # n0 feeds only networks; adding n0 -> histogram resizes it from 16 to 32
    res = _replay("add_connection", [("edge", ["n0", "histogram", True])], g)
    assert res.children[0].network("n0").out_size == 32
    imap = res.inheritance[0]
    assert imap["n0"].mode == "partial"
    assert imap["n1"].mode == "partial" and imap["n3"].mode == "partial"
    assert {"n0", "n1", "n3"} <= set(res.event.touched)
