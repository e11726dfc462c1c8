"""Chunked Jacobian of a model's (local) linear map with respect to its parameters.

For one analysis point ``x0`` the model is replaced by its local affine map
``y = W(theta) x + b(theta)`` (exact for models affine in their input; for ReLU-like models the
activation pattern at ``x0`` is frozen). The bias is an extra constant input equal to 1, so the
extended map is ``W_ext = [W | b]`` with ``b = f(theta, x0) - W x0``.

Rows of ``J = d vec(W_ext) / d theta`` are ordered output-major: row ``o * (I + 1) + i`` is the pair
(selected output ``o``, input ``i``), ``i == I`` being the constant input. Columns follow
``named_parameters`` order. Everything here is float64 torch on the analysis device.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
from torch.func import jacrev, jvp, vmap

Tensor = torch.Tensor
ModelFn = Callable[[dict[str, Tensor], Tensor], Tensor]

#: Bytes of working memory aimed at for one chunk of Jacobian rows (intermediates included).
CHUNK_BYTES = 256 * 2**20


@dataclass(frozen=True)
class Problem:
    """Everything needed to compute Jacobian blocks of one model."""

    fn: ModelFn  #: (params, batch of inputs) -> (batch, all flattened outputs)
    params: dict[str, Tensor]
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    out_index: Tensor  #: selected flattened output units (long, on device)

    @property
    def n_inputs(self) -> int:
        return int(torch.Size(self.input_shape).numel())

    @property
    def n_outputs(self) -> int:
        return int(self.out_index.numel())

    @property
    def n_rows(self) -> int:
        return self.n_outputs * (self.n_inputs + 1)

    @property
    def n_params(self) -> int:
        return sum(int(p.numel()) for p in self.params.values())


def _basis(problem: Problem, like: Tensor) -> Tensor:
    eye = torch.eye(problem.n_inputs, dtype=like.dtype, device=like.device)
    return eye.reshape(problem.n_inputs, *problem.input_shape)


def jacobian_block(problem: Problem, x0: Tensor, out_index: Tensor, names: list[str]) -> Tensor:
    """Rows of J for outputs ``out_index`` (all inputs + constant) and columns of ``names``.

    Returns a ``(len(out_index) * (I + 1), P_names)`` tensor. Each entry is the mixed second
    derivative d^2 y_o / (d x_i d theta_p) at ``x0``, computed as reverse mode (over theta) of
    forward mode (over x), vectorized over the input basis with ``vmap``.
    """
    fixed = {k: v for k, v in problem.params.items() if k not in names}
    sub = {k: problem.params[k] for k in names}

    def local(p_sub: dict[str, Tensor], v: Tensor) -> tuple[Tensor, Tensor]:
        full = {**fixed, **p_sub}

        def g(x: Tensor) -> Tensor:
            return problem.fn(full, x.unsqueeze(0))[0].index_select(0, out_index)

        out = jvp(g, (x0,), (v,))
        return out[1], out[0]

    def w_column(p_sub: dict[str, Tensor], v: Tensor) -> Tensor:
        return local(p_sub, v)[0]

    def bias(p_sub: dict[str, Tensor]) -> Tensor:
        t, y = local(p_sub, x0)
        return y - t

    n_out, n_par = int(out_index.numel()), sum(int(v.numel()) for v in sub.values())
    chunk = max(1, min(problem.n_inputs, CHUNK_BYTES // max(1, 6 * 8 * n_out * max(n_par, 64))))
    jw = vmap(jacrev(w_column), in_dims=(None, 0), chunk_size=chunk)(sub, _basis(problem, x0))
    jb = jacrev(bias)(sub)
    w_part = torch.cat([jw[k].reshape(problem.n_inputs, n_out, -1) for k in names], dim=2)
    b_part = torch.cat([jb[k].reshape(1, n_out, -1) for k in names], dim=2)
    rows = torch.cat([w_part, b_part], dim=0)  # (I + 1, O, P)
    return rows.permute(1, 0, 2).reshape(n_out * (problem.n_inputs + 1), n_par)


def output_chunks(problem: Problem, n_cols: int) -> Iterator[tuple[int, Tensor]]:
    """Split the selected outputs so that one block of rows stays near ``CHUNK_BYTES``."""
    per_output = 8 * (problem.n_inputs + 1) * max(n_cols, 1) * 3
    step = max(1, min(problem.n_outputs, CHUNK_BYTES // per_output))
    for start in range(0, problem.n_outputs, step):
        yield start, problem.out_index[start : start + step]


def param_groups(problem: Problem, max_cols: int) -> list[list[str]]:
    """Greedy groups of whole parameter tensors with at most ``max_cols`` columns (or one)."""
    groups: list[list[str]] = []
    current: list[str] = []
    size = 0
    for name, p in problem.params.items():
        if current and size + p.numel() > max_cols:
            groups.append(current)
            current, size = [], 0
        current.append(name)
        size += int(p.numel())
    if current:
        groups.append(current)
    return groups


def full_jacobian(problem: Problem, x0: Tensor) -> Tensor:
    """The whole ``(n_rows, n_params)`` Jacobian, assembled from output chunks."""
    names = list(problem.params)
    out = torch.empty(problem.n_rows, problem.n_params, dtype=x0.dtype, device=x0.device)
    width = problem.n_inputs + 1
    for start, idx in output_chunks(problem, problem.n_params):
        rows = jacobian_block(problem, x0, idx, names)
        out[start * width : start * width + rows.shape[0]] = rows
    return out
