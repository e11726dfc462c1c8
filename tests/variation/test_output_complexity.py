"""Per-output-subgraph complexity: exact counts of a hand-built genome, what a variation event
records, and what an edit of a network that reaches one output changes."""

from __future__ import annotations

import math

from nas_ops.genome import Genome, Hyper, InputNode, Layer, NetworkNode, OutputNode, output_cost
from nas_ops.phenotype import build_model
from nas_ops.variation import ChildRecord, VariationContext, VariationEvent, get_operator
from nas_ops.variation.diff import describe_child


def shared_genome() -> Genome:
    """x -> s -> a -> class;  s, x -> b -> histogram;  x -> e -> c -> reconstruction."""
    nets = (NetworkNode("s", "mlp", (Layer(16),), 8),
            NetworkNode("a", "discrete", (Layer(4),), 10),
            NetworkNode("b", "mlp", (), 32),
            NetworkNode("e", "mlp", (), 6),
            NetworkNode("c", "decoder", (Layer(8, batchnorm=True),), 40, latent=4))
    outputs = (OutputNode("class", "classification", 10),
               OutputNode("histogram", "regression", 32),
               OutputNode("reconstruction", "generation", 40))
    edges = (("x", "s"), ("s", "a"), ("s", "b"), ("x", "b"), ("x", "e"), ("e", "c"), ("a", "class"),
             ("b", "histogram"), ("c", "reconstruction"))
    return Genome((InputNode("x", "signal", (1, 40)),), nets, outputs, edges,
                  Hyper(1e-3, 32, "adam"), "multinet")


# Hand counts (a dense layer n_in -> n_out: n_in * n_out + n_out parameters, 2 n_in n_out FLOPs;
# batch norm: 2 parameters per unit):
#   s: 40->16->8:       656 + 136 = 792 parameters, 1280 + 256 = 1536 FLOPs
#   a: 8->4->10:        36 + 50 = 86,               64 + 80 = 144
#   b: (8 + 40)->32:    1568,                       3072
#   e: 40->6:           246,                        480
#   c (decoder, latent 4): 6->2*4, 4->8(bn), 8->40:
#                       56 + 40 + 16 + 360 = 472,   96 + 64 + 640 = 800
ORACLE = {"class": {"parameters": 792 + 86, "flops": 1536 + 144},
          "histogram": {"parameters": 792 + 1568, "flops": 1536 + 3072},
          "reconstruction": {"parameters": 246 + 472, "flops": 480 + 800}}


def test_output_cost_of_a_hand_built_genome_is_the_hand_count() -> None:
    g = shared_genome()
    assert output_cost(g) == ORACLE
    model = build_model(g, seed=0)  # the parameters torch builds, network by network
    for out, cost in ORACLE.items():
        nets = [n for n in g.output_subgraph(out) if n in model.networks]
        built = sum(p.numel() for n in nets for p in model.networks[n].parameters())
        assert built == cost["parameters"]


def test_an_edit_of_one_outputs_network_changes_only_that_output() -> None:
    g = shared_genome()
    ctx = VariationContext.replaying([{"name": "layer", "value": ["a", 0]}], "multinet")
    result = get_operator("remove_layer")([g], ctx)  # a: 8->10 directly
    assert result.ok
    rec = result.event.per_child[0]
    assert rec.affected_outputs == ["class"]
    assert rec.output_complexity_before == ORACLE
    after = rec.output_complexity_after
    assert after["class"] == {"parameters": 792 + 90, "flops": 1536 + 160}
    assert after["histogram"] == ORACLE["histogram"]
    assert after["reconstruction"] == ORACLE["reconstruction"]
    assert (rec.output_delta("class", "parameters"), rec.output_delta("class", "flops")) == (4, 16)
    assert rec.output_delta("histogram", "parameters") == 0.0
    assert rec.output_delta("histogram", "flops") == 0.0


def test_an_edit_of_a_shared_network_changes_both_of_its_outputs() -> None:
    g = shared_genome()
    s = g.network("s")
    child = g.replace_network(s.with_layers((Layer(16), Layer(16))))  # + 16*16 + 16
    rec = describe_child(g, child)
    assert rec.output_delta("class", "parameters") == 272
    assert rec.output_delta("histogram", "parameters") == 272
    assert rec.output_delta("class", "flops") == rec.output_delta("histogram", "flops") == 512
    assert rec.output_delta("reconstruction", "parameters") == 0.0


def test_events_round_trip_and_old_events_load_without_per_output_complexity() -> None:
    g = shared_genome()
    ctx = VariationContext.replaying([{"name": "layer", "value": ["a", 0]}], "multinet")
    event = get_operator("remove_layer")([g], ctx).event
    data = event.to_dict()
    assert VariationEvent.from_dict(data).per_child[0] == event.per_child[0]
    for child in data["per_child"]:  # as a ledger of schema 4 wrote it
        del child["output_complexity_before"], child["output_complexity_after"]
    old = VariationEvent.from_dict(data).per_child[0]
    assert old.output_complexity_before == old.output_complexity_after == {}
    assert math.isnan(old.output_delta("class", "parameters"))
    assert old.complexity_after == event.per_child[0].complexity_after


def test_a_control_records_its_parents_per_output_complexity_unchanged() -> None:
    g = shared_genome()
    event = VariationEvent.control("matched_control", "b000", "mv000-0", ["class"], {}, {},
                                   control_of="v000-0", output_complexity=output_cost(g))
    rec: ChildRecord = event.per_child[0]
    assert rec.output_complexity_before == rec.output_complexity_after == ORACLE
    assert rec.output_delta("class", "flops") == 0.0
