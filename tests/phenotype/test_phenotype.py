"""Phenotype: deterministic initialization, the DAG semantics, decoder modes, weight inheritance."""

from __future__ import annotations

import dataclasses

import pytest
import torch

import nas_ops as N
from nas_ops.genome import Genome, Hyper, InputNode, Layer, NetworkNode, OutputNode
from nas_ops.phenotype import Phenotype, child_model
from nas_ops.variation import NetInheritance, inheritance_map
from tests.genome.builders import mlp_genome, multinet_genome


def _x(n: int = 4, seed: int = 0) -> dict[str, torch.Tensor]:
    return {"x": torch.rand(n, 1, 40, generator=torch.Generator().manual_seed(seed))}


def _states_equal(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _net_state(model: Phenotype, net_id: str) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.networks[net_id].state_dict().items()}


def test_init_is_a_function_of_the_seed() -> None:
    g = multinet_genome()
    a, b = N.build_model(g, seed=3), N.build_model(g, seed=3)
    assert _states_equal(a.state_dict(), b.state_dict())
    c = N.build_model(g, seed=4)
    assert all(not torch.equal(a.state_dict()[k], c.state_dict()[k])
               for k in a.state_dict() if k.endswith("weight") and ".bn" not in k
               and a.state_dict()[k].dim() > 1)


def test_init_does_not_touch_or_depend_on_global_rng() -> None:
    g = multinet_genome()
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a = N.build_model(g, seed=1)
    assert torch.equal(torch.get_rng_state(), before)
    torch.manual_seed(999)
    b = N.build_model(g, seed=1)
    assert _states_equal(a.state_dict(), b.state_dict())


def test_network_init_depends_only_on_seed_and_node_id() -> None:
    base = mlp_genome()
    # another genome: other networks differ, network "c" is the same gene for gene
    other = base.replace_network(NetworkNode("h", "mlp", (Layer(8), Layer(8)), 32)) \
        .replace(hyper=Hyper(1e-2, 32, "sgd"))
    assert _states_equal(_net_state(N.build_model(base, seed=5), "c"),
                         _net_state(N.build_model(other, seed=5), "c"))
    assert not _states_equal(_net_state(N.build_model(base, seed=5), "h"),
                             _net_state(N.build_model(other, seed=5), "h"))
    # the same network under another id gets another initialization
    renamed = base.replace(
        networks=(dataclasses.replace(base.networks[0], id="c2"), *base.networks[1:]),
        edges=tuple((a.replace("c", "c2") if a == "c" else a, b.replace("c", "c2") if b == "c"
                     else b) for a, b in base.edges))
    assert not _states_equal(_net_state(N.build_model(base, seed=5), "c"),
                             _net_state(N.build_model(renamed, seed=5), "c2"))


def test_networks_are_submodules_addressable_by_node_id() -> None:
    g = multinet_genome()
    model = N.build_model(g, device="cpu")
    assert list(model.networks.keys()) == g.network_ids
    assert all(p.device.type == "cpu" for p in model.parameters())
    assert all(k.startswith("networks.") for k in model.state_dict())
    assert sum(p.numel() for p in model.network_parameters({"cls"})) == \
        sum(p.numel() for p in model.networks["cls"].parameters())


def test_build_model_validates() -> None:
    bad = mlp_genome().replace(edges=mlp_genome().edges[:-1])  # reconstruction unreachable
    with pytest.raises(N.GenomeError, match=r"node 'reconstruction'.*outputs reachable"):
        N.build_model(bad)


def test_eval_mode_is_deterministic() -> None:
    model = N.build_model(multinet_genome(), seed=0).eval()  # has dropout, batch norm, a decoder
    x = _x()
    with torch.no_grad():
        first, second = model(x), model(x)
    for name in first.outputs:
        assert torch.equal(first.outputs[name], second.outputs[name])
    assert torch.equal(first.kl, second.kl)


def test_decoder_sampling_mode_differs_from_reconstruction() -> None:
    model = N.build_model(multinet_genome(), seed=0).eval()
    x = _x()
    with torch.no_grad():
        recon = model(x).outputs
        torch.manual_seed(0)
        s1 = model(x, sample=True).outputs
        torch.manual_seed(1)
        s2 = model(x, sample=True).outputs
    assert not torch.allclose(recon["reconstruction"], s1["reconstruction"])
    assert not torch.allclose(s1["reconstruction"], s2["reconstruction"])
    # outputs not downstream of a decoder are unchanged by sampling
    assert torch.equal(recon["class"], s1["class"])
    assert torch.equal(recon["histogram"], s1["histogram"])


def test_output_is_the_sum_of_its_networks_and_inputs_concatenate_in_edge_order() -> None:
    x_in = (InputNode("x", "signal", (1, 40)),)
    nets = (NetworkNode("a", "mlp", (Layer(8),), 32), NetworkNode("b", "mlp", (), 32),
            NetworkNode("c", "discrete", (), 10), NetworkNode("r", "mlp", (), 40))
    outs = (OutputNode("class", "classification", 10), OutputNode("histogram", "regression", 32),
            OutputNode("reconstruction", "generation", 40))
    edges = (("x", "a"), ("a", "b"), ("x", "b"), ("x", "c"), ("x", "r"), ("a", "histogram"),
             ("b", "histogram"), ("c", "class"), ("r", "reconstruction"))
    g = N.validate(Genome(x_in, nets, outs, edges, space="mlp"))
    model = N.build_model(g).eval()
    x = _x()
    with torch.no_grad():
        a = model.networks["a"](x["x"].flatten(1))
        b = model.networks["b"](torch.cat([a, x["x"].flatten(1)], dim=1))  # edge order: a, then x
        assert torch.allclose(model(x).outputs["histogram"], a + b)
    assert model.networks["b"].body[0].in_features == 32 + 40


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_builds_and_runs_on_cuda() -> None:
    g = multinet_genome()
    cpu = N.build_model(g, seed=2).eval()
    gpu = N.build_model(g, seed=2, device="cuda").eval()
    assert _states_equal(cpu.state_dict(), {k: v.cpu() for k, v in gpu.state_dict().items()})
    x = _x()
    with torch.no_grad():
        out = gpu({"x": x["x"].cuda()}).outputs
        ref = cpu(x).outputs
    for name, value in out.items():
        assert value.is_cuda
        assert torch.allclose(value.cpu(), ref[name], atol=1e-4)


# ------------------------------------------------------------------ weight inheritance
def _perturbed(model: Phenotype) -> dict[str, torch.Tensor]:
    """A parent state whose every tensor differs from any fresh initialization."""
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.linspace(1.0, 2.0, p.numel()).view_as(p))
    return {k: v.clone() for k, v in model.state_dict().items()}


def _inherit(child_g: Genome, parent_g: Genome, parent: dict[str, torch.Tensor], seed: int,
             hints: dict[str, NetInheritance] | None = None) -> tuple[Phenotype, dict[str, str]]:
    """The one inheritance path: the child's map (by id unless hinted), then ``child_model``."""
    imap = inheritance_map([parent_g], child_g, 0, hints)
    model = child_model(child_g, [parent_g], imap, [parent], seed)
    return model, {cid: e.mode for cid, e in imap.items()}


def test_inherit_full_when_shapes_match() -> None:
    g = mlp_genome()
    parent = _perturbed(N.build_model(g, seed=0))
    child, modes = _inherit(g, g, parent, seed=1)
    assert modes == {"c": "full", "h": "full", "r": "full"}
    assert _states_equal(child.state_dict(), parent)


def test_inherit_partial_copies_the_overlapping_block_of_a_resized_layer() -> None:
    parent_g = mlp_genome((Layer(64), Layer(64)))
    child_g = mlp_genome((Layer(32), Layer(96)))
    parent = _perturbed(N.build_model(parent_g, seed=0))
    fresh = {k: v.clone() for k, v in N.build_model(child_g, seed=1).state_dict().items()}
    child, modes = _inherit(child_g, parent_g, parent, seed=1)
    assert modes == {"c": "partial", "h": "full", "r": "full"}
    state = child.state_dict()
    w0, p0 = state["networks.c.body.0.weight"], parent["networks.c.body.0.weight"]  # 32x40 <- 64x40
    assert torch.equal(w0, p0[:32])
    w1, p1 = state["networks.c.body.2.weight"], parent["networks.c.body.2.weight"]  # 96x32 <- 64x64
    assert torch.equal(w1[:64, :32], p1[:64, :32])
    assert torch.equal(w1[64:], fresh["networks.c.body.2.weight"][64:])  # new units stay fresh
    head, p_head = state["networks.c.body.4.weight"], parent["networks.c.body.4.weight"]
    assert torch.equal(head[:, :64], p_head) and torch.equal(
        head[:, 64:], fresh["networks.c.body.4.weight"][:, 64:])


def test_inherit_none_for_new_networks_and_mapping_by_id() -> None:
    g = mlp_genome()
    parent = _perturbed(N.build_model(g, seed=0))
    renamed = g.replace(networks=(dataclasses.replace(g.networks[0], id="c_new"),
                                  *g.networks[1:]),
                        edges=tuple(("c_new" if a == "c" else a, "c_new" if b == "c" else b)
                                    for a, b in g.edges))
    fresh = _net_state(N.build_model(renamed, seed=1), "c_new")
    child, modes = _inherit(renamed, g, parent, seed=1)
    assert modes["c_new"] == "none"
    assert _states_equal(_net_state(child, "c_new"), fresh)
    child, modes = _inherit(renamed, g, parent, seed=1,
                            hints={"c_new": NetInheritance(0, "c")})
    assert modes["c_new"] == "full"
    assert torch.equal(child.networks["c_new"].body[0].weight, parent["networks.c.body.0.weight"])


def test_inherit_never_copies_across_module_sorts() -> None:
    """Toggling dropout / batch norm shifts module positions; a linear bias must not land in a
    batch norm (regression test)."""
    parent_g = mlp_genome((Layer(16, dropout=0.1), Layer(16)))
    child_g = mlp_genome((Layer(16), Layer(16, batchnorm=True)))
    parent = _perturbed(N.build_model(parent_g, seed=0))
    fresh = N.build_model(child_g, seed=1)
    fresh_bn = {k: v.clone() for k, v in fresh.networks["c"].body[3].state_dict().items()}
    child, modes = _inherit(child_g, parent_g, parent, seed=1)
    assert modes["c"] == "partial"
    assert _states_equal(child.networks["c"].body[3].state_dict(), fresh_bn)
    assert torch.equal(child.networks["c"].body[0].weight, parent["networks.c.body.0.weight"])
