"""Model metrics: complexity (re-exported), internal diagnosis of trained models, and the
hypervolume of a search. ``diagnose`` (which needs torch) is imported on first use, so that
reading a run's hypervolume imports no torch."""

from typing import Any

from nas_ops.genome.shapes import Complexity, complexity, output_complexity

__all__ = ["Complexity", "complexity", "diagnose", "output_complexity"]


def __getattr__(name: str) -> Any:
    if name == "diagnose":  # lazily: torch
        from nas_ops.metrics.diagnosis import diagnose

        return diagnose
    raise AttributeError(f"module 'nas_ops.metrics' has no attribute {name!r}")
