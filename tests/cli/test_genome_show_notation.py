"""``genome show`` layer notation: what it prints is what README.md explains."""

from __future__ import annotations

import re
from pathlib import Path

from nas_ops.cli.genome_cmd import describe
from nas_ops.genome import Layer
from nas_ops.genome.nodes import ACTIVATIONS
from tests.genome.builders import multinet_genome

README = Path(__file__).resolve().parents[2] / "README.md"


def test_layers_print_as_the_readme_says() -> None:
    genome = multinet_genome()
    net = genome.networks[0]
    layers = (Layer(8, "elu", dropout=0.1), Layer(64, "tanh", batchnorm=True, dropout=0.2))
    text = describe(genome.replace_network(net.with_layers(layers)))
    assert "layers [8e+do0.1 64t+bn+do0.2]" in text
    assert "`8e+do0.1 64t+bn+do0.2`" in README.read_text()


def test_readme_names_every_activation_letter() -> None:
    legend = dict(re.findall(r"`(\w)` (\w+)", README.read_text()))
    assert {legend.get(a[0]) for a in ACTIVATIONS} == set(ACTIVATIONS)  # letters are unique
