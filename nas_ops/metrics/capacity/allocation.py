"""Capacity allocation analysis (Donier 2019): where in input space does a model spend capacity?

For a model linear in its input, ``y = W(theta) x + b(theta)``, the bias is an extra constant input
(value 1), ``W_ext = [W | b]`` and ``J = d vec(W_ext) / d theta`` (rows output-major: pair
(output o, input i)). The total capacity is ``rank(J)``; the capacity allocated to a pair is the
diagonal entry of a projector onto col(J):

* ``"euclidean"``: orthogonal projector; entries in [0, 1];
* ``"oblique"``: G-orthogonal projector ``J (J^T G J)^+ J^T G`` with ``G = I kron S`` and
  ``S = E[x_ext x_ext^T]`` estimated from ``data`` (x_ext = inputs with the constant 1 appended);
  trace = rank(G^1/2 J); entries may leave [0, 1] when inputs are correlated;
* ``"whitened"``: orthogonal projector onto col(G^1/2 J); entries in [0, 1].

When S is diagonal, oblique and whitened diagonals are exactly equal (G^-1/2 Q G^1/2 has the
diagonal of Q for diagonal G); in general only their traces agree.

Non-linear models: the analysis is applied to the local affine map at each example input (the
Jacobian dy/dx with e.g. the ReLU pattern frozen, and the constant term ``f(x0) - (dy/dx) x0``);
the allocations, totals and ranks are averaged over the example inputs. A model found affine in its
input (numerical test at the example inputs and a seeded random point) is analysed once, exactly.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
import torch

from nas_ops.errors import CapacityError, ConfigError
from nas_ops.metrics.capacity._jacobian import Problem
from nas_ops.metrics.capacity._linalg import (
    column_basis,
    euclidean_diag,
    memory_needed,
    oblique_diag,
    sym_sqrt,
    whitened_diag,
)
from nas_ops.metrics.capacity._setup import as_batch, make_fn, select_outputs
from nas_ops.metrics.capacity.offsets import per_offset_allocation

VARIANTS = ("euclidean", "oblique", "whitened")
Tensor = torch.Tensor
Outputs = int | slice | list[int] | tuple[int, ...] | np.ndarray | Tensor | None


@dataclass(frozen=True, eq=False)
class CapacityAllocation:
    """Result of :func:`capacity_allocation` (numpy arrays, float64; averages over points)."""

    total: float  #: trace of the projector = (mean) rank
    n_parameters: int
    per_input: np.ndarray  #: shaped like one input, summed over selected outputs
    bias: float  #: allocation of the constant input (biases), summed over selected outputs
    per_pair: np.ndarray | None  #: (selected outputs, flattened inputs); constant input excluded
    per_pair_bias: np.ndarray  #: (selected outputs,): allocation of each output's bias
    per_offset: np.ndarray | None  #: summed over pairs with equal spatial offset (see offsets.py)
    offsets: tuple[np.ndarray, ...] | None  #: offset value along each spatial axis of per_offset
    thresholds: tuple[float, ...]  #: eigenvalue threshold used at each analysis point
    rtol: float  #: singular-value relative tolerance used
    eigenvalues: np.ndarray  #: Gram eigenvalues (squared singular values of J), first point
    ranks: tuple[int, ...]  #: rank of the variant's projector at each point
    variant: str
    linear: bool  #: the model was found affine in its input (analysis exact, one point)
    output_index: np.ndarray  #: selected flattened output units
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def rank(self) -> float:
        """Alias of :attr:`total` (the mean rank over analysis points)."""
        return self.total

    @property
    def threshold(self) -> float:
        """Eigenvalue threshold used (the largest one when several points were analysed)."""
        return max(self.thresholds)

    @property
    def n_points(self) -> int:
        return len(self.ranks)


def _pick_device(device: str | torch.device | None) -> torch.device:
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def _second_moment(data: object, input_shape: tuple[int, ...], device: torch.device) -> Tensor:
    x = torch.as_tensor(np.asarray(data) if not isinstance(data, Tensor) else data)
    x = x.to(device=device, dtype=torch.float64)
    if tuple(x.shape[1:]) != input_shape:
        raise CapacityError(
            f"data has per-sample shape {tuple(x.shape[1:])}, the model input is {input_shape}"
        )
    if x.shape[0] < 1:
        raise CapacityError("data holds no samples")
    xe = torch.cat([x.reshape(x.shape[0], -1), torch.ones(x.shape[0], 1, device=device,
                                                           dtype=torch.float64)], dim=1)
    return (xe.T @ xe) / x.shape[0]


def _is_affine(problem: Problem, xs: Tensor) -> bool:
    """Numerical test of ``f(a x + (1-a) z) == a f(x) + (1-a) f(z)`` on a few point pairs."""
    gen = torch.Generator().manual_seed(0)
    x = xs[0]
    scale = float(x.abs().max()) + 1.0
    noise = torch.randn(x.shape, generator=gen, dtype=torch.float64).to(x.device) * scale
    others = [xs[i] for i in range(1, min(len(xs), 3))] + [x + noise, torch.zeros_like(x)]
    with torch.no_grad():
        for z in others:
            for a in (0.5, 2.0, -1.3):
                pts = torch.stack([x, z, a * x + (1 - a) * z])
                y = problem.fn(problem.params, pts)
                want = a * y[0] + (1 - a) * y[1]
                tol = 1e-9 * (float(y.abs().max()) + 1.0)
                if float((y[2] - want).abs().max()) > tol:
                    return False
    return True


def _check_variant(variant: str, data: object) -> None:
    if variant not in VARIANTS:
        raise ConfigError(f"variant={variant!r} is unknown; valid choices: {', '.join(VARIANTS)}")
    if variant != "euclidean" and data is None:
        raise CapacityError(f"variant {variant!r} needs data= (samples of the input) to define G")


def _variant_diag(basis, variant: str, s: Tensor | None, n_out: int) -> tuple[Tensor, int]:  # noqa: ANN001
    if variant == "euclidean" or s is None:
        return euclidean_diag(basis)
    if variant == "whitened":
        return whitened_diag(basis, sym_sqrt(s), n_out)
    return oblique_diag(basis, s, n_out)


def _analyse_points(problem: Problem, points: Tensor, variant: str, s: Tensor | None,
                    rtol: float | None, budget: int) -> dict[str, object]:
    width = problem.n_inputs + 1
    acc = torch.zeros(problem.n_rows, dtype=torch.float64, device=points.device)
    ranks: list[int] = []
    thresholds: list[float] = []
    first = None
    live = False
    for x0 in points:
        basis = column_basis(problem, x0, rtol, budget)
        w_rows = basis.row_norm2.reshape(problem.n_outputs, width)[:, :-1]
        live = live or float(w_rows.max()) > 0.0
        diag, r = _variant_diag(basis, variant, s, problem.n_outputs)
        acc += diag
        ranks.append(r)
        thresholds.append(basis.threshold)
        first = first or basis
    if not live:
        raise CapacityError(
            "no parameter changes how the selected outputs depend on the input "
            "(d vec(W)/d theta is zero at every example input): the output does not depend on "
            "the input through the parameters, so capacity allocation is undefined"
        )
    assert first is not None
    return {"diag": (acc / len(points)).cpu().numpy(), "ranks": tuple(ranks),
            "thresholds": tuple(thresholds), "basis": first}


def capacity_allocation(
    model: torch.nn.Module,
    example_input: Tensor | np.ndarray,
    *,
    outputs: Outputs = None,
    data: Tensor | np.ndarray | None = None,
    variant: str = "euclidean",
    device: str | torch.device | None = None,
    rtol: float | None = None,
    max_memory_gib: float = 4.0,
) -> CapacityAllocation:
    """Capacity allocation of ``model`` (see the module docstring and docs/capacity.md).

    ``example_input`` is a batch ``(N, *input_shape)``; a single input is accepted when the model
    does not run on it as a batch of two. ``outputs`` selects flattened output units (int, slice or
    index sequence; default all). ``rtol`` is the singular-value tolerance relative to the largest
    singular value (default ``sqrt(max(rows, params) * eps64)``). The model is analysed in float64
    and eval mode on ``device`` (default cuda when available); the caller's model is not modified.
    Raises :class:`CapacityError` for shape mismatches, input-independent outputs, no trainable
    parameters, or a problem that needs more than ``max_memory_gib`` of memory.
    """
    _check_variant(variant, data)
    dev = _pick_device(device)
    work = copy.deepcopy(model).to(device=dev, dtype=torch.float64).eval()
    params = {k: p.detach() for k, p in work.named_parameters() if p.requires_grad}
    if not params:
        raise CapacityError("model has no trainable parameters: capacity is 0 by definition")
    fn = make_fn(work)
    xs, out_shape = as_batch(work, params, example_input, dev)
    in_shape = tuple(xs.shape[1:])
    out_index = select_outputs(outputs, int(np.prod(out_shape)), dev)
    problem = Problem(fn, params, in_shape, out_shape, out_index)
    need = memory_needed(problem.n_rows, problem.n_params)
    if need > max_memory_gib * 2**30:
        raise CapacityError(
            f"capacity analysis needs {need / 2**30:.1f} GiB ({problem.n_outputs} outputs x "
            f"{problem.n_inputs + 1} inputs, {problem.n_params} parameters); select fewer outputs "
            f"with outputs=... or raise max_memory_gib (now {max_memory_gib})"
        )
    s = _second_moment(data, in_shape, dev) if variant != "euclidean" else None
    linear = _is_affine(problem, xs)
    points = xs[:1] if linear else xs
    res = _analyse_points(problem, points, variant, s, rtol,
                          int(max_memory_gib * 2**30))
    return _package(problem, res, variant, linear)


def _package(problem: Problem, res: dict[str, object], variant: str,
             linear: bool) -> CapacityAllocation:
    diag = np.asarray(res["diag"]).reshape(problem.n_outputs, problem.n_inputs + 1)
    per_pair = diag[:, :-1]
    out_idx = problem.out_index.cpu().numpy()
    off = per_offset_allocation(per_pair, out_idx, problem.input_shape, problem.output_shape)
    basis = res["basis"]
    ranks: tuple[int, ...] = res["ranks"]  # type: ignore[assignment]
    return CapacityAllocation(
        total=float(diag.sum()),
        n_parameters=problem.n_params,
        per_input=per_pair.sum(0).reshape(problem.input_shape),
        bias=float(diag[:, -1].sum()),
        per_pair=per_pair,
        per_pair_bias=diag[:, -1].copy(),
        per_offset=None if off is None else off[0],
        offsets=None if off is None else off[1],
        thresholds=res["thresholds"],  # type: ignore[arg-type]
        rtol=basis.rtol,  # type: ignore[attr-defined]
        eigenvalues=basis.eigenvalues,  # type: ignore[attr-defined]
        ranks=ranks,
        variant=variant,
        linear=linear,
        output_index=out_idx,
        input_shape=problem.input_shape,
        output_shape=problem.output_shape,
    )
