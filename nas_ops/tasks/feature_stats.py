"""Statistics of two sets of feature vectors: Frechet distance, k-NN precision / recall, copies.

Pure float64 torch functions of ``(N, D)`` feature matrices (no model, no task); see
:mod:`nas_ops.tasks.sample_quality` for how a task's samples become features.

- :func:`frechet_distance` between the Gaussian fits N(m1, C1) and N(m2, C2):
  ``|m1 - m2|^2 + tr(C1) + tr(C2) - 2 tr((C1 C2)^(1/2))``. The trace of the matrix square root is
  taken from the eigenvalues of the symmetric matrix ``C1^(1/2) C2 C1^(1/2)``, which has the same
  eigenvalues as ``C1 C2``: no complex square root arises (no imaginary parts to drop), and the
  tiny negative eigenvalues round-off leaves are clipped to 0. Both covariances get a ridge of
  ``RIDGE`` x their mean variance on the diagonal first, so a singular covariance (fewer samples
  than features, or a dead feature) is handled; the ridge moves the distance by about
  ``2 D RIDGE`` x the mean variance (1e-6 relative: far below any difference that matters).
- :func:`precision_recall` (Kynkaanniemi et al., NeurIPS 2019, "Improved precision and recall
  metric for assessing generative models"): the real manifold is the union of the balls around
  each real feature vector whose radius is the distance to its k-th nearest real neighbour;
  precision = the fraction of generated vectors inside it, recall = the fraction of real
  vectors inside the manifold built the same way from the generated ones.
- :func:`copy_rate`: the fraction of generated vectors whose nearest training vector is closer
  than ``threshold``; see :mod:`nas_ops.tasks.sample_quality` for the threshold.
"""

from __future__ import annotations

import torch
from torch import Tensor

RIDGE = 1e-6  # relative to the mean variance (see the module docstring)
CHUNK = 2048  # rows of a distance matrix computed at once


def as_features(x: Tensor) -> Tensor:
    """``x`` as a float64 ``(N, D)`` CPU matrix."""
    return x.detach().to("cpu", torch.float64).reshape(len(x), -1)


def gaussian_fit(features: Tensor) -> tuple[Tensor, Tensor]:
    """Mean ``(D,)`` and unbiased covariance ``(D, D)`` of the rows of ``features``."""
    f = as_features(features)
    mean = f.mean(dim=0)
    centred = f - mean
    cov = centred.T @ centred / max(len(f) - 1, 1)
    return mean, cov


def _ridged(cov: Tensor) -> Tensor:
    scale = float(torch.diagonal(cov).mean()) if cov.numel() else 0.0
    return cov + RIDGE * max(scale, 1e-12) * torch.eye(len(cov), dtype=cov.dtype)


def psd_sqrt(cov: Tensor) -> Tensor:
    """The symmetric square root of a (ridged) covariance matrix."""
    values, vectors = torch.linalg.eigh(_ridged(cov))
    return (vectors * values.clamp_min(0.0).sqrt()) @ vectors.T


def frechet_distance(mean1: Tensor, cov1: Tensor, mean2: Tensor, cov2: Tensor,
                     sqrt1: Tensor | None = None) -> float:
    """Frechet distance between N(mean1, cov1) and N(mean2, cov2) (see the module docstring);
    ``sqrt1`` = :func:`psd_sqrt` of ``cov1`` when the caller has it already."""
    root = psd_sqrt(cov1) if sqrt1 is None else sqrt1
    c1, c2 = _ridged(cov1), _ridged(cov2)
    inner = root @ c2 @ root
    eig = torch.linalg.eigvalsh((inner + inner.T) / 2)
    trace_sqrt = eig.clamp_min(0.0).sqrt().sum()
    diff = mean1 - mean2
    value = diff @ diff + torch.trace(c1) + torch.trace(c2) - 2.0 * trace_sqrt
    return max(float(value), 0.0)


def nearest_distances(query: Tensor, ref: Tensor, k: int = 1, exclude_self: bool = False) -> Tensor:
    """Per row of ``query``: the Euclidean distance to its ``k``-th nearest row of ``ref``
    (``exclude_self``: ``query`` is ``ref`` and a row is not its own neighbour)."""
    q, r = as_features(query), as_features(ref)
    kth = k + 1 if exclude_self else k
    if kth > len(r):
        raise ValueError(f"need more than {kth - 1} reference vectors for k = {k}, got {len(r)}")
    out = [torch.cdist(q[lo:lo + CHUNK], r).kthvalue(kth, dim=1).values
           for lo in range(0, len(q), CHUNK)]
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.float64)


def inside_fraction(query: Tensor, centres: Tensor, radii: Tensor) -> float:
    """The fraction of rows of ``query`` inside at least one ball (``centres``, ``radii``)."""
    q, c = as_features(query), as_features(centres)
    if len(q) == 0:
        return float("nan")
    hits = [(torch.cdist(q[lo:lo + CHUNK], c) <= radii[None, :]).any(dim=1)
            for lo in range(0, len(q), CHUNK)]
    return float(torch.cat(hits).double().mean())


def precision_recall(real: Tensor, fake: Tensor, k: int = 3,
                     real_radii: Tensor | None = None) -> tuple[float, float]:
    """k-NN precision and recall of ``fake`` against ``real`` (Kynkaanniemi et al. 2019);
    ``real_radii`` = ``nearest_distances(real, real, k, exclude_self=True)`` when known."""
    radii = nearest_distances(real, real, k, exclude_self=True) if real_radii is None \
        else real_radii
    precision = inside_fraction(fake, real, radii)
    recall = inside_fraction(real, fake, nearest_distances(fake, fake, k, exclude_self=True))
    return precision, recall


def copy_rate(fake: Tensor, train: Tensor, threshold: float) -> float:
    """The fraction of rows of ``fake`` whose nearest row of ``train`` is closer than
    ``threshold``."""
    return float((nearest_distances(fake, train) < threshold).double().mean())
