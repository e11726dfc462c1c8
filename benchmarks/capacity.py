"""Benchmark: capacity allocation of a ~47k-parameter CNN on 28x28 inputs, fast route vs naive.

Problem choice. The network is a small fully-convolutional encoder-decoder with ReLUs
(28x28 -> 14x14 -> 7x7 -> 14x14 -> 28x28 map, 46,529 parameters): a denoiser-like map whose
capacity allocation over the input plane is meaningful (where do output pixels spend capacity?).
J has (outputs x (inputs+1)) rows and 46,529 columns; analysing all 784 output pixels would give
615k rows (a 3 TB Jacobian), so we analyse two output pixels (centre and near a corner):
1,570 rows x 46,529 params, rank at most 1,570. The ReLU net is analysed at one example input
(local linear map, activation pattern frozen).

Routes, in one run:
* fast: ``capacity_allocation`` (vmap'd reverse-over-forward rows of J, zero rows dropped,
  Gram matrix J J^T of the smaller side, symmetric eigendecomposition);
* naive: explicit Jacobian by looping autograd over output and input units (a double backward per
  pair), then ``numpy.linalg.svd`` of J and the projector diagonal from U. When the loop would take
  too long it is timed on the first ``--naive-inputs`` input units and extrapolated linearly to all
  pairs (stated in the JSON); the SVD is always run in full, on the J built by the fast route after
  checking that the rows the naive loop produced agree with it.

Run: ``PYTHONPATH=. python benchmarks/capacity.py``; it writes
benchmarks/results/capacity-<device>-<date>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import time
import tracemalloc
from pathlib import Path

import numpy as np
import torch
from torch import nn

from nas_ops.metrics.capacity import capacity_allocation
from nas_ops.metrics.capacity._jacobian import Problem, full_jacobian
from nas_ops.metrics.capacity._setup import make_fn


def build_cnn(seed: int) -> nn.Module:
    gen = torch.Generator().manual_seed(seed)
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(64, 32, 3, padding=1), nn.ReLU(),
        nn.Upsample(scale_factor=2), nn.Conv2d(32, 16, 3, padding=1), nn.ReLU(),
        nn.Upsample(scale_factor=2), nn.Conv2d(16, 1, 3, padding=1),
    )
    with torch.no_grad():
        for p in model.parameters():
            fan = p[0].numel() if p.dim() > 1 else 1
            p.copy_(torch.randn(p.shape, generator=gen) / np.sqrt(fan))
    return model.double()


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def naive_rows(model: nn.Module, x0: torch.Tensor, outputs: list[int], n_inputs: int) -> np.ndarray:
    """Rows (o, i) for i < n_inputs by two nested autograd loops (no batching)."""
    params = list(model.parameters())
    x = x0.clone().requires_grad_(True)
    y = model(x.unsqueeze(0)).reshape(-1)
    rows = []
    for o in outputs:
        (gx,) = torch.autograd.grad(y[o], x, create_graph=True)
        gx = gx.reshape(-1)
        for i in range(n_inputs):
            gs = torch.autograd.grad(gx[i], params, retain_graph=True, allow_unused=True)
            rows.append(torch.cat([
                (g if g is not None else torch.zeros_like(p)).reshape(-1)
                for g, p in zip(gs, params, strict=True)
            ]).numpy())
    return np.stack(rows)


def naive_svd(j: np.ndarray) -> tuple[np.ndarray, int]:
    u, s, _ = np.linalg.svd(j, full_matrices=False)
    r = int((s > s.max() * max(j.shape) * np.finfo(float).eps).sum())
    return (u[:, :r] ** 2).sum(1), r


def run(args: argparse.Namespace) -> dict[str, object]:
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = build_cnn(args.seed)
    gen = torch.Generator().manual_seed(args.seed + 1)
    x0 = torch.randn(1, 1, 28, 28, generator=gen, dtype=torch.float64)
    outputs = [14 * 28 + 14, 4 * 28 + 4]
    n_params = sum(p.numel() for p in model.parameters())

    t0 = time.perf_counter()
    fast = capacity_allocation(model, x0, outputs=outputs, device=device)
    if device.type == "cuda":
        torch.cuda.synchronize()
    t_fast = time.perf_counter() - t0
    fast_peak = (torch.cuda.max_memory_allocated() / 2**20 if device.type == "cuda" else rss_mib())

    n_in = 784 if args.naive_inputs <= 0 else min(784, args.naive_inputs)
    t0 = time.perf_counter()
    sub = naive_rows(model, x0[0], outputs, n_in)
    t_loop = (time.perf_counter() - t0) * (784 / n_in)

    params = {k: p.detach() for k, p in model.named_parameters()}
    prob = Problem(make_fn(model), params, (1, 28, 28), (1, 28, 28), torch.tensor(outputs))
    j_full = full_jacobian(prob, x0[0]).numpy()
    rows_fast = j_full.reshape(2, 785, -1)[:, :n_in].reshape(-1, n_params)
    rows_err = float(np.abs(rows_fast - sub).max() / np.abs(sub).max())

    tracemalloc.start()
    t0 = time.perf_counter()
    diag_naive, rank_naive = naive_svd(j_full)
    t_svd = time.perf_counter() - t0
    svd_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()

    fast_diag = np.concatenate([fast.per_pair, fast.per_pair_bias[:, None]], 1).ravel()
    t_naive = t_loop + t_svd
    return {
        "benchmark": "capacity_allocation, ReLU CNN 28x28 -> 28x28, 2 output pixels",
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "device": torch.cuda.get_device_name() if device.type == "cuda" else platform.processor()
        or platform.machine(),
        "device_type": device.type,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_average_1min_at_end": os.getloadavg()[0],
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "n_parameters": n_params,
        "jacobian_shape": [2 * 785, n_params],
        "rank_fast": fast.ranks[0],
        "rank_naive": rank_naive,
        "max_abs_diag_difference": float(np.abs(fast_diag - diag_naive).max()),
        "naive_rows_relative_difference": rows_err,
        "fast_seconds": t_fast,
        "naive_seconds": t_naive,
        "naive_jacobian_loop_seconds": t_loop,
        "naive_svd_seconds": t_svd,
        "naive_loop_extrapolated": n_in < 784,
        "naive_loop_note": (f"autograd loop timed on {n_in} of 784 input units per output and "
                            f"scaled by 784/{n_in}" if n_in < 784 else "timed in full"),
        "speedup": t_naive / t_fast,
        "fast_peak_memory_mib": fast_peak,
        "fast_peak_memory_kind": "cuda max_memory_allocated" if device.type == "cuda"
        else "process max RSS after the fast route (includes interpreter and torch)",
        "naive_svd_peak_numpy_mib": svd_peak,
        "process_max_rss_mib_at_end": rss_mib(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--naive-inputs", type=int, default=784,
                        help="input units per output for the naive loop (<784: extrapolate)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    result = run(args)
    args.out.mkdir(parents=True, exist_ok=True)
    tag = "cuda" if result["device_type"] == "cuda" else "cpu"
    path = args.out / f"capacity-{tag}-{dt.date.today().isoformat()}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    for key in ("fast_seconds", "naive_seconds", "speedup", "rank_fast", "rank_naive",
                "max_abs_diag_difference"):
        print(f"{key}: {result[key]}")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
