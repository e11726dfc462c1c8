"""Input handling for the capacity analysis: model function, batch detection, output selection."""

from __future__ import annotations

import numpy as np
import torch
from torch.func import functional_call

from nas_ops.errors import CapacityError
from nas_ops.metrics.capacity._jacobian import ModelFn

Tensor = torch.Tensor


def raw_call(model: torch.nn.Module, params: dict[str, Tensor], xb: Tensor) -> Tensor:
    """``model(xb)`` evaluated with ``params`` (and the model's own buffers)."""
    out = functional_call(model, (params, dict(model.named_buffers())), (xb,))
    if not isinstance(out, Tensor):
        raise CapacityError(f"model returned {type(out).__name__}, expected one tensor")
    return out


def make_fn(model: torch.nn.Module) -> ModelFn:
    """``fn(params, xb) -> (B, n_outputs)`` evaluating ``model`` with the given parameters."""

    def fn(params: dict[str, Tensor], xb: Tensor) -> Tensor:
        return raw_call(model, params, xb).reshape(xb.shape[0], -1)

    return fn


def _try(model: torch.nn.Module, params: dict[str, Tensor], xb: Tensor) -> tuple[int, ...] | None:
    """Per-sample output shape if the model maps the batch ``xb`` to a batch of equal size."""
    try:
        with torch.no_grad():
            raw = raw_call(model, params, xb)
    except Exception:  # noqa: BLE001 - any failure means "not this interpretation"
        return None
    if raw.dim() == 0 or raw.shape[0] != xb.shape[0]:
        return None
    return tuple(raw.shape[1:])


def as_batch(model: torch.nn.Module, params: dict[str, Tensor], example: Tensor | np.ndarray,
             device: torch.device) -> tuple[Tensor, tuple[int, ...]]:
    """Interpret ``example`` as a batch, else as one input; return (batch, per-sample out shape).

    The batch reading is accepted when the model maps two copies of the first sample to two
    outputs; otherwise the single-input reading is tried the same way.
    """
    x = torch.as_tensor(example).to(device=device, dtype=torch.float64)
    if x.dim() >= 2 and x.shape[0] >= 1:
        shape = _try(model, params, x[:1].expand(2, *x.shape[1:]).contiguous())
        if shape is not None and _try(model, params, x) is not None:
            return x, shape
    if x.dim() >= 1:
        shape = _try(model, params, x.unsqueeze(0).expand(2, *x.shape).contiguous())
        if shape is not None:
            return x.unsqueeze(0), shape
    try:
        raw_call(model, params, x.unsqueeze(0) if x.dim() >= 1 else x)
        detail = "its output has no batch dimension"
    except Exception as err:  # noqa: BLE001
        detail = str(err).splitlines()[0] if str(err) else type(err).__name__
    raise CapacityError(
        f"model cannot be applied to example_input of shape {tuple(x.shape)} (as a batch or as "
        f"one input): {detail}"
    )


def select_outputs(outputs: object, n_total: int, device: torch.device) -> Tensor:
    """Indices of the selected flattened output units (int, slice, sequence or None)."""
    if n_total == 0:
        raise CapacityError("model has no outputs")
    if outputs is None:
        idx = np.arange(n_total)
    elif isinstance(outputs, slice):
        idx = np.arange(n_total)[outputs]
    elif isinstance(outputs, (int, np.integer)) and not isinstance(outputs, bool):
        idx = np.array([int(outputs)])
    else:
        arr = outputs.cpu().numpy() if isinstance(outputs, Tensor) else np.asarray(outputs)
        if arr.ndim != 1 or (arr.size and not np.issubdtype(arr.dtype, np.integer)):
            raise CapacityError(
                "outputs must be an int, a slice or a 1-D sequence of int indices into the "
                f"flattened output (size {n_total})"
            )
        idx = arr.astype(np.int64)
    idx = np.where(idx < 0, idx + n_total, idx)
    if idx.size == 0:
        raise CapacityError(f"outputs={outputs!r} selects no output unit (of {n_total})")
    if idx.min() < 0 or idx.max() >= n_total:
        raise CapacityError(f"outputs={outputs!r} is out of range for {n_total} output units")
    if np.unique(idx).size != idx.size:
        raise CapacityError(f"outputs={outputs!r} selects some output unit twice")
    return torch.as_tensor(idx, dtype=torch.long, device=device)
