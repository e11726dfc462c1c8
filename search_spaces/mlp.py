"""A small single-network space: each output gets one dense network reading every task input.

For a task with one output this is a plain MLP search space; with several outputs the networks
do not share anything. Its rules let a plain ``mlp`` produce generation outputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nas_ops.genome.genome import Genome
from nas_ops.genome.nodes import InputNode, OutputNode
from nas_ops.genome.rules import Rules
from nas_ops.genome.validate import validate
from nas_ops.spaces import TaskSignature
from search_spaces.multinet import MultinetSpace

_MLP_RULES = Rules(
    output_accepts={
        "classification": frozenset({"discrete"}),
        "regression": frozenset({"values"}),
        "generation": frozenset({"values", "samples"}),
    },
    network_kinds=("mlp", "discrete"),
    max_networks=4,
    max_layers=3,
    max_units=256,
)


@dataclass
class MLPSpace(MultinetSpace):
    name: str = "mlp"
    rules: Rules = _MLP_RULES
    units: tuple[int, ...] = (16, 32, 64, 128, 256)

    def sample(self, task: TaskSignature, rng: np.random.Generator) -> Genome:
        inputs = tuple(InputNode(i.name, i.dtype, tuple(i.shape)) for i in task.inputs)
        nets, edges = [], []
        for k, out in enumerate(task.outputs):
            kind = "discrete" if out.kind == "classification" else "mlp"
            net = self.sample_network(Genome(inputs, (), (), ()), kind, f"n{k}", out.size, rng)
            nets.append(net)
            edges += [(i.id, net.id) for i in inputs] + [(net.id, out.name)]
        outputs = tuple(OutputNode(o.name, o.kind, o.size) for o in task.outputs)
        genome = Genome(inputs, tuple(nets), outputs, tuple(edges), self.sample_hyper(rng), "mlp")
        return validate(genome, self.rules)
