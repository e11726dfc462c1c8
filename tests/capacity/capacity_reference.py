"""Brute-force reference: explicit Jacobian by autograd loops, numpy SVD, explicit projectors."""

from __future__ import annotations

import numpy as np
import torch


def local_map(model: torch.nn.Module, x0: torch.Tensor) -> tuple[np.ndarray, list[torch.Tensor]]:
    """Explicit J (rows (o, i) output-major, constant input last) for the local map at x0."""
    params = [p for p in model.parameters() if p.requires_grad]
    x = x0.detach().clone().requires_grad_(True)
    y = model(x.unsqueeze(0))[0].reshape(-1)
    rows: list[np.ndarray] = []
    for o in range(y.numel()):
        (gx,) = torch.autograd.grad(y[o], x, create_graph=True)
        gx = gx.reshape(-1)
        w_rows = []
        for i in range(gx.numel()):
            gs = torch.autograd.grad(gx[i], params, retain_graph=True, allow_unused=True)
            w_rows.append(_flat(gs, params))
        gy = torch.autograd.grad(y[o], params, retain_graph=True, allow_unused=True)
        bias = _flat(gy, params) - sum(float(x0.reshape(-1)[i]) * w_rows[i]
                                       for i in range(gx.numel()))
        rows.extend(w_rows)
        rows.append(bias)
    return np.stack(rows), params


def _flat(grads: tuple[torch.Tensor | None, ...], params: list[torch.Tensor]) -> np.ndarray:
    return np.concatenate([
        (g if g is not None else torch.zeros_like(p)).detach().reshape(-1).numpy()
        for g, p in zip(grads, params, strict=True)
    ])


def euclidean(j: np.ndarray) -> tuple[np.ndarray, int]:
    r = int(np.linalg.matrix_rank(j, tol=_tol(j)))
    u = np.linalg.svd(j, full_matrices=False)[0][:, :r]
    return np.diag(u @ u.T), r


def _tol(a: np.ndarray) -> float:
    s = np.linalg.svd(a, compute_uv=False)
    return float(s.max() * np.sqrt(max(a.shape) * np.finfo(float).eps)) if s.size else 0.0


def g_matrix(s: np.ndarray, n_out: int) -> np.ndarray:
    return np.kron(np.eye(n_out), s)


def oblique(j: np.ndarray, g: np.ndarray) -> np.ndarray:
    m = j.T @ g @ j
    return np.diag(j @ np.linalg.pinv(m, rcond=1e-10, hermitian=True) @ j.T @ g)


def whitened(j: np.ndarray, g: np.ndarray) -> np.ndarray:
    lam, v = np.linalg.eigh(g)
    gh = (v * np.sqrt(np.clip(lam, 0, None))) @ v.T
    return euclidean(gh @ j)[0]



def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def init_(model: torch.nn.Module, seed: int) -> torch.nn.Module:
    """Re-initialise every parameter from a seeded generator (no global RNG)."""
    gen = seeded(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.7)
    return model
