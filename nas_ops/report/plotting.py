"""The one matplotlib loader: every figure of every report gets pyplot from here."""

from __future__ import annotations

from typing import Any

from nas_ops.errors import MissingDependencyError


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the non-interactive Agg backend, imported on first use so that
    importing nas_ops never loads matplotlib; a missing matplotlib is one clear error."""
    try:
        import matplotlib
    except ImportError as exc:  # pragma: no cover - matplotlib is a dependency
        raise MissingDependencyError(
            "report figures need matplotlib: pip install matplotlib") from exc
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt
