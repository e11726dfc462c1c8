"""Phenotype: a genome built into a trainable torch module."""

from nas_ops.phenotype.inherit import inherit_weights
from nas_ops.phenotype.model import Forward, Phenotype, build_model

__all__ = ["Forward", "Phenotype", "build_model", "inherit_weights"]
