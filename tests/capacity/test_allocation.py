"""Agreement with the brute-force route, variants, chunked routes and error messages."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch
from capacity_reference import euclidean, g_matrix, init_, local_map, oblique, seeded, whitened
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from nas_ops.errors import CapacityError, ConfigError
from nas_ops.metrics.capacity import _jacobian, _linalg, capacity_allocation
from nas_ops.metrics.capacity._setup import make_fn


def small_model(relu: bool, seed: int) -> nn.Module:
    act: list[nn.Module] = [nn.ReLU()] if relu else []
    model = init_(nn.Sequential(nn.Linear(4, 3), *act, nn.Linear(3, 3)), seed).double()
    with torch.no_grad():  # keep some ReLU units alive at the analysis points
        model[0].bias.abs_().add_(0.3)
    return model


def second_moment(x: np.ndarray) -> np.ndarray:
    xe = np.concatenate([x, np.ones((x.shape[0], 1))], axis=1)
    return xe.T @ xe / x.shape[0]


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("seed", [0, 1])
def test_matches_brute_force_all_variants(relu: bool, seed: int) -> None:
    model = small_model(relu, seed)
    x0 = torch.randn(1, 4, generator=seeded(seed + 10), dtype=torch.float64)
    data = torch.randn(50, 4, generator=seeded(seed + 20), dtype=torch.float64) + 0.3
    j, _ = local_map(model, x0[0])
    g = g_matrix(second_moment(data.numpy()), 3)
    want = {"euclidean": euclidean(j)[0], "oblique": oblique(j, g), "whitened": whitened(j, g)}
    for variant, diag in want.items():
        res = capacity_allocation(model, x0, variant=variant, data=data)
        got = np.concatenate([res.per_pair, res.per_pair_bias[:, None]], axis=1).ravel()
        np.testing.assert_allclose(got, diag, atol=1e-9, err_msg=variant)
        assert res.total == pytest.approx(diag.sum(), abs=1e-9)
    assert capacity_allocation(model, x0).ranks == (euclidean(j)[1],)


def test_nonlinear_average_over_points() -> None:
    model = small_model(True, 3)
    xs = torch.randn(3, 4, generator=seeded(5), dtype=torch.float64)
    res = capacity_allocation(model, xs)
    assert not res.linear and res.n_points == 3
    parts = [capacity_allocation(model, xs[i : i + 1]) for i in range(3)]
    np.testing.assert_allclose(res.per_input, np.mean([p.per_input for p in parts], 0), atol=1e-12)
    assert res.ranks == tuple(p.ranks[0] for p in parts)
    assert res.total == pytest.approx(np.mean([p.total for p in parts]))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), relu=st.booleans(), width=st.integers(1, 5))
def test_euclidean_in_unit_interval_and_sums_to_rank(seed: int, relu: bool, width: int) -> None:
    act: list[nn.Module] = [nn.ReLU()] if relu else []
    model = init_(nn.Sequential(nn.Linear(3, width), *act, nn.Linear(width, 2)), seed)
    with torch.no_grad():
        model[0].bias.abs_().add_(0.2)
    res = capacity_allocation(model, torch.randn(2, 3, generator=seeded(seed)))
    assert res.per_pair is not None
    assert res.per_pair.min() >= -1e-10 and res.per_pair.max() <= 1 + 1e-10
    assert res.per_input.sum() + res.bias == pytest.approx(res.total, abs=1e-9)
    assert res.total == pytest.approx(np.mean(res.ranks), abs=1e-8)


def test_oblique_equals_whitened_for_diagonal_covariance() -> None:
    # Hadamard columns are orthogonal; column 0 (all ones) is the constant input, so
    # S = E[x_ext x_ext^T] is exactly diagonal: the two projectors then have equal diagonals.
    h = scipy.linalg.hadamard(16).astype(float)
    data = h[:, 1:5] * np.array([0.5, 1.0, 2.0, 4.0])
    model = init_(nn.Sequential(nn.Linear(4, 1), nn.Linear(1, 3, bias=False)), 7)
    x = torch.zeros(1, 4, dtype=torch.float64)
    obl = capacity_allocation(model, x, variant="oblique", data=data)
    whi = capacity_allocation(model, x, variant="whitened", data=data)
    np.testing.assert_allclose(obl.per_pair, whi.per_pair, atol=1e-10)
    np.testing.assert_allclose(obl.per_pair_bias, whi.per_pair_bias, atol=1e-10)
    assert obl.per_pair is not None
    assert not np.allclose(obl.per_pair, capacity_allocation(model, x).per_pair)


def test_oblique_trace_is_rank_with_correlated_data() -> None:
    model = small_model(False, 8)
    base = torch.randn(200, 1, generator=seeded(9), dtype=torch.float64)
    data = base + 0.1 * torch.randn(200, 4, generator=seeded(10), dtype=torch.float64)
    x = data[:1]
    obl = capacity_allocation(model, x, variant="oblique", data=data)
    whi = capacity_allocation(model, x, variant="whitened", data=data)
    eu = capacity_allocation(model, x)
    assert obl.total == pytest.approx(eu.total, abs=1e-8)
    assert whi.total == pytest.approx(eu.total, abs=1e-8)
    assert whi.per_pair is not None and whi.per_pair.max() <= 1 + 1e-9


@pytest.mark.parametrize("route", ["param_chunks", "row_chunks"])
def test_chunked_routes_agree(route: str, monkeypatch: pytest.MonkeyPatch) -> None:
    wide = route == "param_chunks"
    n_in, hidden, n_out = (3, 12, 2) if wide else (6, 1, 3)
    model = init_(nn.Sequential(nn.Linear(n_in, hidden, bias=False),
                                nn.Linear(hidden, n_out, bias=False)), 11).double()
    params = {k: p.detach() for k, p in model.named_parameters()}
    prob = _jacobian.Problem(make_fn(model), params, (n_in,), (n_out,), torch.arange(n_out))
    x0 = torch.randn(n_in, generator=seeded(12), dtype=torch.float64)
    assert (prob.n_rows <= prob.n_params) == wide
    full = _linalg.column_basis(prob, x0, None, 2**30)
    monkeypatch.setattr(_jacobian, "CHUNK_BYTES", 1)
    small = _linalg.column_basis(prob, x0, None, 8)
    d_full, r_full = _linalg.euclidean_diag(full)
    d_small, r_small = _linalg.euclidean_diag(small)
    assert r_full == r_small
    np.testing.assert_allclose(d_small.numpy(), d_full.numpy(), atol=1e-10)


def test_single_input_and_output_selection() -> None:
    model = init_(nn.Sequential(nn.Conv1d(1, 2, 3, padding=1), nn.Conv1d(2, 1, 3)), 13)
    single = capacity_allocation(model, torch.ones(1, 10))
    batch = capacity_allocation(model, torch.ones(1, 1, 10))
    assert single.input_shape == (1, 10) and single.output_shape == (1, 8)
    np.testing.assert_allclose(single.per_input, batch.per_input, atol=1e-12)
    one = capacity_allocation(model, torch.ones(1, 1, 10), outputs=3)
    assert one.per_pair is not None and one.per_pair.shape == (1, 10)
    assert one.per_input.shape == (1, 10)
    assert one.per_pair[0, :2].sum() == 0 and one.per_pair[0, 7:].sum() == 0  # outside the RF
    part = capacity_allocation(model, torch.ones(1, 1, 10), outputs=slice(2, 5))
    assert part.output_index.tolist() == [2, 3, 4]


class Constant(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.b = nn.Parameter(torch.ones(3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b.expand(x.shape[0], 3) + 0 * x.sum(1, keepdim=True)


def test_errors() -> None:
    lin = nn.Linear(4, 2)
    with pytest.raises(CapacityError, match=r"example_input of shape \(3, 5\)"):
        capacity_allocation(lin, torch.ones(3, 5))
    with pytest.raises(CapacityError, match="does not depend on the input"):
        capacity_allocation(Constant(), torch.ones(2, 4))
    with pytest.raises(CapacityError, match="no trainable parameters"):
        capacity_allocation(nn.Identity(), torch.ones(2, 4))
    with pytest.raises(ConfigError, match="valid choices: euclidean, oblique, whitened"):
        capacity_allocation(lin, torch.ones(2, 4), variant="bogus")
    with pytest.raises(CapacityError, match="needs data="):
        capacity_allocation(lin, torch.ones(2, 4), variant="oblique")
    with pytest.raises(CapacityError, match="per-sample shape"):
        capacity_allocation(lin, torch.ones(2, 4), variant="oblique", data=np.ones((5, 3)))
    with pytest.raises(CapacityError, match="out of range"):
        capacity_allocation(lin, torch.ones(2, 4), outputs=[0, 5])
    with pytest.raises(CapacityError, match=r"needs \d+\.\d GiB"):
        capacity_allocation(nn.Linear(2000, 2000), torch.ones(1, 2000), max_memory_gib=0.5)


def test_model_is_not_modified() -> None:
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    model.train()
    before = [p.clone() for p in model.parameters()]
    capacity_allocation(model, torch.randn(4, 3, generator=seeded(1)))
    assert model.training and model[0].weight.dtype == torch.float32
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
