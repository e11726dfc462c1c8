"""Genome: the immutable graph encoding of a heterogeneous multi-network model."""

from nas_ops.genome.genome import Edge, Genome
from nas_ops.genome.hashing import structural_hash
from nas_ops.genome.nodes import (
    ACTIVATIONS,
    DATA_TYPES,
    INITIALIZERS,
    NETWORK_KINDS,
    OPTIMIZERS,
    OUTPUT_KINDS,
    Hyper,
    InputNode,
    Layer,
    NetworkNode,
    Node,
    OutputNode,
)
from nas_ops.genome.rules import DEFAULT_RULES, PRODUCES, Rules
from nas_ops.genome.serialize import SCHEMA_VERSION, from_dict, from_json, to_dict, to_json
from nas_ops.genome.shapes import Complexity, complexity, output_complexity, output_cost
from nas_ops.genome.validate import validate

__all__ = [
    "ACTIVATIONS", "DATA_TYPES", "DEFAULT_RULES", "INITIALIZERS", "NETWORK_KINDS", "OPTIMIZERS",
    "OUTPUT_KINDS", "PRODUCES", "SCHEMA_VERSION", "Complexity", "Edge", "Genome", "Hyper",
    "InputNode", "Layer", "NetworkNode", "Node", "OutputNode", "Rules", "complexity", "from_dict",
    "from_json", "output_complexity", "output_cost", "structural_hash", "to_dict", "to_json",
    "validate",
]
