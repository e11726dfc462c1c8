"""Built-in variation operators; importing this package registers them into nas_ops.

One module per family; see docs/operators.md for what each operator does.
"""

from operators import connection, crossover, hyperparameter, layer, net2net, network, tables

__all__ = ["connection", "crossover", "hyperparameter", "layer", "net2net", "network", "tables"]
