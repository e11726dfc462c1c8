"""to_json keeps the structure's text on the genome: its output is json.dumps(to_dict(...)) for
every genome and every lineage copy, whose heads differ."""

from __future__ import annotations

import json

from hypothesis import given

from nas_ops.genome import from_json, to_dict, to_json
from tests.genome.test_genome_properties import FAST, SEEDS, SIGS, SPACES, sample


@FAST
@given(space=SPACES, sig=SIGS, seed=SEEDS)
def test_to_json_is_the_dump_of_to_dict_for_the_genome_and_its_copies(space: str, sig: str,
                                                                       seed: int) -> None:
    genome = sample(space, sig, seed)
    first = to_json(genome)  # keeps the structure's text
    copy = genome.with_lineage('u"\u00e9', ("p1", "p2"), "op\\x")
    for g in (genome, copy, genome):
        assert to_json(g) == json.dumps(to_dict(g))
        assert to_json(g, indent=2) == json.dumps(to_dict(g), indent=2, sort_keys=True)
    assert from_json(to_json(copy)).uid == 'u"\u00e9' and to_json(genome) == first
