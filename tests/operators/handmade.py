"""A hand-written genome exercising every kind of consumer (shared by the operator tests)."""

from __future__ import annotations

from nas_ops.genome import Genome, Hyper, InputNode, Layer, NetworkNode, OutputNode, validate
from nas_ops.spaces import rules_for


def handmade() -> Genome:
    """x -> n0 (mlp) -> n1 (discrete) -> class; x -> n2 (conv_encoder) -> histogram, n1, n4;
    n0 -> n3 (decoder) -> reconstruction; n4 (mlp, no hidden layer) -> histogram too."""
    nets = (
        NetworkNode("n0", "mlp", (Layer(32, "relu", batchnorm=True), Layer(16, "sigmoid")), 16),
        NetworkNode("n1", "discrete", (Layer(16, "tanh", dropout=0.1),), 10),
        NetworkNode("n2", "conv_encoder", (Layer(4, "relu"),), 32),
        NetworkNode("n3", "decoder", (Layer(16, "relu"),), 40, latent=4),
        NetworkNode("n4", "mlp", (), 32),
    )
    edges = (("x", "n0"), ("n0", "n1"), ("n2", "n1"), ("x", "n2"), ("n0", "n3"), ("n2", "n4"),
             ("n1", "class"), ("n2", "histogram"), ("n4", "histogram"),
             ("n3", "reconstruction"))
    outputs = (OutputNode("class", "classification", 10), OutputNode("histogram", "regression", 32),
               OutputNode("reconstruction", "generation", 40))
    g = Genome((InputNode("x", "signal", (1, 40)),), nets, outputs, edges, Hyper(), "multinet",
               uid="hand")
    return validate(g, rules_for("multinet"))
