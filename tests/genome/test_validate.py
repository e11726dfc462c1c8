"""Validation is memoized on the (immutable) genome per rules object: a genome found valid is not
checked again under the same rules, an invalid one is refused every time."""

from __future__ import annotations

import dataclasses

import pytest

from nas_ops.errors import GenomeError
from nas_ops.genome import DEFAULT_RULES, Genome, Rules, validate
from tests.genome.builders import multinet_genome


@dataclasses.dataclass(frozen=True)
class _Counting(Rules):
    """Rules that count their own checks (and refuse genomes whose space is 'refused')."""

    calls: list[str] = dataclasses.field(default_factory=list)

    def check(self, genome: Genome) -> None:
        self.calls.append(genome.uid)
        if genome.space == "refused":
            raise GenomeError("genome invalid: node '(genome)': refused [rule: counting]")


def test_a_valid_genome_is_checked_once_per_rules_object_and_its_copies_too() -> None:
    rules, other = _Counting(), _Counting()
    genome = multinet_genome()
    assert validate(genome, rules) is genome
    assert validate(genome, rules) is genome
    assert validate(genome.with_lineage("child", ("p",), "op"), rules).uid == "child"
    assert rules.calls == [""]  # the copy with another lineage shares the verdict
    validate(genome, other)  # another rules object (equal fields) is checked afresh
    assert other.calls == [""]
    validate(genome, DEFAULT_RULES)
    validate(genome)  # the default rules are DEFAULT_RULES
    assert rules.calls == [""] and other.calls == [""]


def test_an_invalid_genome_is_refused_every_time_and_an_edited_copy_is_checked() -> None:
    rules = _Counting()
    bad = multinet_genome().replace(space="refused")
    for _ in range(2):
        with pytest.raises(GenomeError, match="refused"):
            validate(bad, rules)
    assert rules.calls == ["", ""]
    good = multinet_genome()
    validate(good, rules)
    broken = good.replace(edges=good.edges[:-1])  # a structural edit drops what was kept
    with pytest.raises(GenomeError):
        validate(broken, rules)
    assert len(rules.calls) == 3  # the broken copy failed before the space's own check
