"""Zero-cost proxies: hand-computed oracles for grad_norm, synflow and naswot on a tiny model,
output subgraphs, determinism, and every output and network kind of the multinet space."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from nas_ops import GenomeError, get_space, load_task
from nas_ops.genome import Genome, Hyper, InputNode, Layer, NetworkNode, OutputNode
from nas_ops.genome.shapes import output_cost
from nas_ops.metrics.proxies import (
    PROXIES,
    grad_norm,
    log_det_kernel,
    naswot,
    proxy_batch,
    score,
    synflow,
)
from nas_ops.phenotype import Phenotype, build_model
from nas_ops.rng import generator
from nas_ops.tasks import InputSpec, OutputSpec, Split, Task

# ---------------------------------------------------------------- the tiny hand-built model
# x (2 values) -> a (relu layer of 2, then 1 value) -> y;  a -> b (tanh layer of 3) -> z
# (binary fractions: exact in float32, so the float64 oracle sees the model's own values)
W1 = np.array([[0.5, -1.0], [2.0, 0.375]])
B1 = np.array([0.125, -0.25])
W2 = np.array([[1.5, -0.75]])
B2 = np.array([0.0625])
V1 = np.array([[0.5], [-1.25], [0.75]])
C1 = np.array([0.0, 0.25, -0.125])
V2 = np.array([[0.625, 0.25, -0.875]])
C2 = np.array([-0.375])


def _split(x: np.ndarray, seed: int) -> Split:
    t = generator(seed, "targets").normal(size=(len(x), 2))
    return Split({"x": torch.tensor(x, dtype=torch.float32),
                  "y": torch.tensor(t[:, :1], dtype=torch.float32),
                  "z": torch.tensor(t[:, 1:], dtype=torch.float32)})


def _task() -> Task:
    xs = [generator(0, "x", name).normal(size=(12, 2)) for name in ("train", "val", "test")]
    return Task("tiny", (InputSpec("x", "vector", (2,)),),
                (OutputSpec("y", "regression", 1), OutputSpec("z", "regression", 1)),
                _split(xs[0], 1), _split(xs[1], 2), _split(xs[2], 3))


def _genome(activation: str = "relu") -> Genome:
    nets = (NetworkNode("a", "mlp", (Layer(2, activation),), 1),
            NetworkNode("b", "mlp", (Layer(3, "tanh"),), 1))
    return Genome((InputNode("x", "vector", (2,)),), nets,
                  (OutputNode("y", "regression", 1), OutputNode("z", "regression", 1)),
                  (("x", "a"), ("a", "y"), ("a", "b"), ("b", "z")), Hyper(), "multinet")


def _set(linear: torch.nn.Module, weight: np.ndarray, bias: np.ndarray) -> None:
    with torch.no_grad():
        linear.weight.copy_(torch.tensor(weight))  # type: ignore[operator]
        linear.bias.copy_(torch.tensor(bias))  # type: ignore[operator]


def _model(activation: str = "relu", w1: np.ndarray = W1, b1: np.ndarray = B1,
           v1: np.ndarray = V1) -> Phenotype:
    model = build_model(_genome(activation))
    a, b = model.networks["a"].body, model.networks["b"].body
    _set(a[0], w1, b1)
    _set(a[2], W2, B2)
    _set(b[0], v1, C1)
    _set(b[2], V2, C2)
    return model


# ------------------------------------------------------------------------------- synflow
def test_synflow_equals_the_hand_computed_flow() -> None:
    w1, b1, w2, b2 = np.abs(W1), np.abs(B1), np.abs(W2), np.abs(B2)
    v1, c1, v2, c2 = np.abs(V1), np.abs(C1), np.abs(V2), np.abs(C2)
    h = w1 @ np.ones(2) + b1  # every parameter and input non-negative: relu passes all
    a_out = w2 @ h + b2
    # y: R = w2 . h + b2; dR/dw2 = h, dR/db2 = 1, dR/dW1[j, k] = dR/db1[j] = w2[j]
    flow_y = (w2[0] * h).sum() + b2.sum() + (w2[0][:, None] * w1).sum() + (w2[0] * b1).sum()
    # z = v2 . tanh(v1 * a_out + c1) + c2, a_out as above
    pre = v1[:, 0] * a_out[0] + c1
    g = np.tanh(pre)
    dpre = v2[0] * (1 - g ** 2)  # dR/dpre
    d_aout = (dpre * v1[:, 0]).sum()  # dR/d a_out
    flow_b = (v2[0] * g).sum() + c2.sum() + (dpre * v1[:, 0] * a_out[0]).sum() + (dpre * c1).sum()
    flow_a = d_aout * flow_y  # every flow through a is scaled by dR/d a_out
    flows = synflow(_model())
    assert flows["y"] == pytest.approx(flow_y, rel=1e-12)
    assert flows["z"] == pytest.approx(flow_b + flow_a, rel=1e-12)


def test_a_network_outside_the_subgraph_does_not_count_in_synflow() -> None:
    base, other = synflow(_model()), synflow(_model(v1=3 * V1))
    assert other["y"] == base["y"]  # b does not reach y
    assert other["z"] != pytest.approx(base["z"])


# ----------------------------------------------------------------------------- grad_norm
def _hand_grad_norms(batch: Split) -> tuple[float, float]:
    x = batch["x"].double().numpy()
    ty, tz = batch["y"].double().numpy(), batch["z"].double().numpy()
    n = len(x)
    pre = x @ W1.T + B1
    h = np.maximum(pre, 0)
    a = h @ W2.T + B2  # (n, 1)
    # y: L = mean((a - t)^2)
    d = 2 * (a - ty) / n
    dh = (d @ W2) * (pre > 0)
    gy = [d.T @ h, d.sum(0), dh.T @ x, dh.sum(0)]
    # z = tanh(a v1^T + c1) v2^T + c2
    q = np.tanh(a @ V1.T + C1)
    z = q @ V2.T + C2
    e = 2 * (z - tz) / n
    dq = (e @ V2) * (1 - q ** 2)
    da = dq @ V1
    dh_z = (da @ W2) * (pre > 0)
    gz = [e.T @ q, e.sum(0), dq.T @ a, dq.sum(0),
          da.T @ h, da.sum(0), dh_z.T @ x, dh_z.sum(0)]
    return (math.sqrt(sum((g ** 2).sum() for g in gy)),
            math.sqrt(sum((g ** 2).sum() for g in gz)))


def test_grad_norm_equals_the_hand_computed_gradient() -> None:
    task = _task()
    batch = proxy_batch(task, data_seed=4, size=8)
    norms = grad_norm(_model(), task, batch, seed=0)
    want_y, want_z = _hand_grad_norms(batch)
    assert norms["y"] == pytest.approx(want_y, rel=1e-5)
    assert norms["z"] == pytest.approx(want_z, rel=1e-5)


def test_grad_norm_of_an_output_ignores_networks_outside_its_subgraph() -> None:
    task = _task()
    batch = proxy_batch(task, data_seed=4, size=8)
    base = grad_norm(_model(), task, batch, seed=0)
    other = grad_norm(_model(v1=3 * V1), task, batch, seed=0)
    assert other["y"] == base["y"] and other["z"] != pytest.approx(base["z"])


def test_the_proxy_batch_is_drawn_without_replacement_from_the_data_seed() -> None:
    task = _task()
    a, b = proxy_batch(task, 4, size=8), proxy_batch(task, 4, size=8)
    assert torch.equal(a["x"], b["x"]) and len(a) == 8
    assert len({tuple(r) for r in a["x"].tolist()}) == 8
    assert not torch.equal(a["x"], proxy_batch(task, 5, size=8)["x"])
    assert len(proxy_batch(task, 4, size=100)) == len(task.train)  # capped at the split


# -------------------------------------------------------------------------------- naswot
def _kernel_log_det(codes: np.ndarray) -> float:
    """log det of N_A - Hamming distance, computed from the distances themselves."""
    n_a = codes.shape[1]
    hamming = (codes[:, None, :] != codes[None, :, :]).sum(-1)
    sign, logdet = np.linalg.slogdet((n_a - hamming).astype(float))
    return logdet if sign > 0 else -math.inf


def test_naswot_on_known_codes() -> None:
    task = _task()
    x = np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, -1.0]])
    batch = _split(x, 0)
    identity = _model(w1=np.eye(2), b1=np.zeros(2))
    # codes of a: [1, 1], [1, 0], [0, 0]; K = [[2, 1, 0], [1, 2, 1], [0, 1, 2]], det 4
    assert naswot(identity, task, batch, seed=0)["y"] == pytest.approx(math.log(4.0))
    # any activation: the sign of the pre-activation (tanh here) gives the same codes
    tanh = _model("tanh", w1=np.eye(2), b1=np.zeros(2))
    assert naswot(tanh, task, batch, seed=0)["y"] == pytest.approx(math.log(4.0))
    # z: the codes of a and b side by side
    a_out = np.maximum(x, 0) @ W2.T + B2
    codes = np.concatenate([x > 0, (a_out @ V1.T + C1) > 0], axis=1)
    assert naswot(identity, task, batch, seed=0)["z"] == pytest.approx(_kernel_log_det(codes))


def test_naswot_is_minus_infinity_when_two_samples_share_a_code() -> None:
    task = _task()
    batch = _split(np.array([[1.0, 1.0], [2.0, 3.0], [-1.0, -1.0]]), 0)  # rows 0, 1: code 11
    assert naswot(_model(w1=np.eye(2), b1=np.zeros(2)), task, batch, seed=0)["y"] == -math.inf


def test_log_det_kernel_oracle_and_degenerate_codes() -> None:
    codes = (generator(0, "codes").random((6, 20)) < 0.5).astype(float)
    assert log_det_kernel(torch.tensor(codes)) == pytest.approx(_kernel_log_det(codes))
    assert log_det_kernel(torch.zeros((4, 0))) == -math.inf  # no units at all
    assert log_det_kernel(torch.ones((4, 3))) == -math.inf  # one code for every sample
    assert log_det_kernel(torch.tensor(codes[:, :4])) == -math.inf  # rank <= 4 + 1 < 6 samples


# -------------------------------------------------- sampled genomes, seeds, every kind
@pytest.fixture(scope="module")
def tiny_mnist1d() -> Task:
    return load_task("mnist1d", n_train=200, n_eval=100)


def _sampled(task: Task, count: int) -> list[Genome]:
    return [get_space("multinet").sample(task, generator(0, "proxies", i)) for i in range(count)]


def test_every_output_and_network_kind_gets_every_proxy(tiny_mnist1d: Task) -> None:
    digits = load_task("digits", n_train=200, n_eval=100)
    kinds: set[str] = set()
    for task in (tiny_mnist1d, digits):
        for i, genome in enumerate(_sampled(task, 10)):
            kinds |= {n.kind for n in genome.networks}
            scores = score(genome, task, seed=i)
            assert set(scores) == {o.name for o in task.outputs}
            cost = output_cost(genome)
            for out, values in scores.items():
                assert list(values) == PROXIES.in_order()
                assert values["params"] == cost[out]["parameters"]
                assert math.isfinite(values["grad_norm"]) and values["grad_norm"] > 0
                assert math.isfinite(values["synflow"]) and values["synflow"] > 0
                assert not math.isnan(values["naswot"])
                assert values["naswot"] < math.inf
    assert kinds == {"mlp", "discrete", "decoder", "conv_encoder", "conv_decoder"}


def test_scores_are_a_function_of_the_seeds_only(tiny_mnist1d: Task) -> None:
    genome = next(g for g in _sampled(tiny_mnist1d, 20)
                  if any(la.batchnorm or la.dropout for n in g.networks for la in n.layers))
    torch.manual_seed(123)
    before = torch.get_rng_state()
    first = score(genome, tiny_mnist1d, seed=7)
    assert torch.equal(torch.get_rng_state(), before)
    torch.manual_seed(999)
    assert score(genome, tiny_mnist1d, seed=7) == first
    other = score(genome, tiny_mnist1d, seed=8)
    for out in first:
        assert other[out]["params"] == first[out]["params"]
        assert other[out]["synflow"] != first[out]["synflow"]  # another initialization
    same_batch = score(genome, tiny_mnist1d, seed=7, data_seed=3)
    assert same_batch != first
    assert {o: v["synflow"] for o, v in same_batch.items()} == \
        {o: v["synflow"] for o, v in first.items()}  # synflow reads no data


def test_proxies_leave_the_model_unchanged(tiny_mnist1d: Task) -> None:
    genome = next(g for g in _sampled(tiny_mnist1d, 20)
                  if any(la.batchnorm for n in g.networks for la in n.layers))
    model = build_model(genome, seed=1)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    batch = proxy_batch(tiny_mnist1d, 0)
    grad_norm(model, tiny_mnist1d, batch, seed=1)
    naswot(model, tiny_mnist1d, batch, seed=1)
    synflow(model)
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())
    assert all(p.grad is None for p in model.parameters())


def test_a_genome_that_does_not_fit_the_task_is_refused(tiny_mnist1d: Task) -> None:
    with pytest.raises(GenomeError, match="genome does not fit task 'tiny'"):
        score(_sampled(tiny_mnist1d, 1)[0], _task())


def test_the_public_api_exports_score_lazily() -> None:
    import nas_ops

    assert nas_ops.proxy_scores is score and "proxy_scores" in nas_ops.__all__
