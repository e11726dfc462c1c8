"""Model metrics: complexity (re-exported) and internal diagnosis of trained models."""

from nas_ops.genome.shapes import Complexity, complexity, output_complexity
from nas_ops.metrics.diagnosis import diagnose

__all__ = ["Complexity", "complexity", "diagnose", "output_complexity"]
