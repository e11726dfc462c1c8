"""Column basis of J through the smaller Gram matrix, and the projector diagonals of each variant.

Rank rule (all variants): with ``lam`` the eigenvalues of a Gram matrix (squared singular values)
an eigenvalue is retained when ``lam > rtol**2 * lam_max`` (and ``lam > 0``). ``rtol`` is relative
to singular values, like ``numpy.linalg.matrix_rank``; its default ``sqrt(max(m, n) * eps64)``
reflects that a float64 Gram matrix resolves eigenvalues only down to
``~ max(m, n) * eps * lam_max``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from nas_ops.metrics.capacity._jacobian import (
    Problem,
    full_jacobian,
    jacobian_block,
    output_chunks,
    param_groups,
)

Tensor = torch.Tensor
EPS = float(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class Basis:
    """Orthonormal basis ``u`` (n_rows x r) of col(J) at one point, with its spectrum."""

    u: Tensor
    sv2: Tensor  #: retained eigenvalues of the Gram matrix (squared singular values of J), desc
    eigenvalues: np.ndarray  #: all eigenvalues of the Gram matrix that was decomposed, desc
    threshold: float  #: eigenvalue threshold used
    rtol: float  #: relative singular-value tolerance used
    row_norm2: Tensor  #: squared norm of each row of J


def default_rtol(m: int, n: int) -> float:
    return float(np.sqrt(max(m, n, 1) * EPS))


def _eigh_desc(gram: Tensor) -> tuple[Tensor, Tensor]:
    lam, vec = torch.linalg.eigh(gram)
    return lam.flip(0), vec.flip(1)


def _keep(lam: Tensor, rtol: float) -> tuple[int, float]:
    lam_max = float(lam[0]) if lam.numel() else 0.0
    thr = rtol * rtol * lam_max
    return int(((lam > thr) & (lam > 0)).sum()), thr


def _from_rows_side(j: Tensor, rtol: float | None, n_params: int) -> Basis:
    """J stored: drop zero rows, then decompose the smaller of J J^T and J^T J."""
    norms = (j * j).sum(1)
    nz = torch.nonzero(norms > 0).flatten()
    jn = j.index_select(0, nz)
    m = int(nz.numel())
    tol = default_rtol(m, n_params) if rtol is None else rtol
    if m <= n_params:
        lam, vec = _eigh_desc(jn @ jn.T)
        r, thr = _keep(lam, tol)
        u_nz = vec[:, :r]
    else:
        lam, vec = _eigh_desc(jn.T @ jn)
        r, thr = _keep(lam, tol)
        u_nz = (jn @ vec[:, :r]) / lam[:r].sqrt()
    u = torch.zeros(j.shape[0], r, dtype=j.dtype, device=j.device)
    u[nz] = u_nz
    return Basis(u, lam[:r], lam.cpu().numpy(), thr, tol, norms)


def _from_param_chunks(problem: Problem, x0: Tensor, rtol: float | None, cols: int) -> Basis:
    """n_rows <= n_params and J too big: K = sum over parameter groups of J_c J_c^T."""
    n = problem.n_rows
    gram = torch.zeros(n, n, dtype=x0.dtype, device=x0.device)
    for names in param_groups(problem, cols):
        jc = jacobian_block(problem, x0, problem.out_index, names)
        gram.addmm_(jc, jc.T)
        del jc
    norms = gram.diagonal().clone()
    nz = torch.nonzero(norms > 0).flatten()
    tol = default_rtol(int(nz.numel()), problem.n_params) if rtol is None else rtol
    lam, vec = _eigh_desc(gram[nz][:, nz])
    r, thr = _keep(lam, tol)
    u = torch.zeros(n, r, dtype=x0.dtype, device=x0.device)
    u[nz] = vec[:, :r]
    return Basis(u, lam[:r], lam.cpu().numpy(), thr, tol, norms)


def _from_row_chunks(problem: Problem, x0: Tensor, rtol: float | None) -> Basis:
    """n_rows > n_params and J too big: C = sum over row chunks of J_r^T J_r, then a 2nd pass."""
    p, width = problem.n_params, problem.n_inputs + 1
    names = list(problem.params)
    gram = torch.zeros(p, p, dtype=x0.dtype, device=x0.device)
    norms = torch.zeros(problem.n_rows, dtype=x0.dtype, device=x0.device)
    for start, idx in output_chunks(problem, p):
        jr = jacobian_block(problem, x0, idx, names)
        gram.addmm_(jr.T, jr)
        norms[start * width : start * width + jr.shape[0]] = (jr * jr).sum(1)
    m = int((norms > 0).sum())
    tol = default_rtol(m, p) if rtol is None else rtol
    lam, vec = _eigh_desc(gram)
    r, thr = _keep(lam, tol)
    scale = vec[:, :r] / lam[:r].sqrt()
    u = torch.empty(problem.n_rows, r, dtype=x0.dtype, device=x0.device)
    for start, idx in output_chunks(problem, p):
        jr = jacobian_block(problem, x0, idx, names)
        u[start * width : start * width + jr.shape[0]] = jr @ scale
    return Basis(u, lam[:r], lam.cpu().numpy(), thr, tol, norms)


def column_basis(problem: Problem, x0: Tensor, rtol: float | None, budget: int) -> Basis:
    """Orthonormal basis of col(J) at ``x0`` by the cheapest route that fits in ``budget`` bytes."""
    n, p = problem.n_rows, problem.n_params
    if 8 * n * p + 8 * min(n, p) ** 2 * 2 <= budget:
        return _from_rows_side(full_jacobian(problem, x0), rtol, p)
    if n <= p:
        cols = max(1, (budget - 16 * n * n) // (8 * n * 2))
        return _from_param_chunks(problem, x0, rtol, cols)
    return _from_row_chunks(problem, x0, rtol)


def memory_needed(n_rows: int, n_params: int) -> int:
    """Bytes the smallest route needs: the Gram matrix, its eigenvectors and the basis."""
    m = min(n_rows, n_params)
    return 8 * (2 * m * m + n_rows * m) + 8 * n_rows * min(n_params, 4096)


def blocks(s: Tensor, u: Tensor, n_out: int) -> Tensor:
    """``(I_O kron S) @ u`` for ``u`` with output-major rows."""
    width = s.shape[0]
    v = u.reshape(n_out, width, -1)
    return torch.einsum("ij,ojr->oir", s, v).reshape(u.shape)


def sym_sqrt(s: Tensor) -> Tensor:
    lam, vec = torch.linalg.eigh(s)
    return (vec * lam.clamp(min=0).sqrt()) @ vec.T


def euclidean_diag(basis: Basis) -> tuple[Tensor, int]:
    """Diagonal of the orthogonal projector onto col(J)."""
    return (basis.u * basis.u).sum(1), int(basis.u.shape[1])


def whitened_diag(basis: Basis, s_half: Tensor, n_out: int) -> tuple[Tensor, int]:
    """Diagonal of the orthogonal projector onto col(G^1/2 J) = G^1/2 col(J)."""
    z = blocks(s_half, basis.u, n_out)
    if z.shape[1] == 0:
        return torch.zeros(z.shape[0], dtype=z.dtype, device=z.device), 0
    mu, e = _eigh_desc(z.T @ z)
    r, _ = _keep(mu, basis.rtol)
    y = (z @ e[:, :r]) / mu[:r].sqrt()
    return (y * y).sum(1), r


def oblique_diag(basis: Basis, s: Tensor, n_out: int) -> tuple[Tensor, int]:
    """Diagonal of J (J^T G J)^+ J^T G, written in the basis: J = U D V^T with D = diag(sv).

    Then J (J^T G J)^+ J^T G = U M U^T G with M = D (D H D)^+ D and H = U^T G U, which is exact
    even when G is singular on col(J).
    """
    gu = blocks(s, basis.u, n_out)
    if gu.shape[1] == 0:
        return torch.zeros(gu.shape[0], dtype=gu.dtype, device=gu.device), 0
    d = basis.sv2.sqrt()
    a = d[:, None] * (basis.u.T @ gu) * d[None, :]
    a = 0.5 * (a + a.T)
    mu, e = _eigh_desc(a)
    r, _ = _keep(mu, basis.rtol)
    a_pinv = (e[:, :r] / mu[:r]) @ e[:, :r].T
    m = d[:, None] * a_pinv * d[None, :]
    return ((basis.u @ m) * gu).sum(1), r
