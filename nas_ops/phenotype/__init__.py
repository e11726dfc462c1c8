"""Phenotype: a genome built into a trainable torch module, and the weight-inheritance path."""

from nas_ops.phenotype.inherit import child_model
from nas_ops.phenotype.model import Forward, Phenotype, build_model

__all__ = ["Forward", "Phenotype", "build_model", "child_model"]
