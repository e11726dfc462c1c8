"""The policies that read the parent: ``guided`` (replicated guidelines, a hand-written
guidelines.json) and ``diagnosis`` (the pilot's rule), on a real genome with a hand-made
diagnosis; and reading guidelines files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nas_ops.analysis.guidelines import Guidelines, Rule
from nas_ops.engine.parents import structure
from nas_ops.engine.policies import (
    Choice,
    DiagnosisPolicy,
    GuidedPolicy,
    ParentState,
    load_rules,
)
from nas_ops.engine.policies.guided import rule_target
from nas_ops.errors import ConfigError
from nas_ops.variation import OPERATORS, apply_operator, get_operator
from tests.operators.handmade import handmade

FIXTURE = Path(__file__).parent / "data" / "guidelines.json"
OUTPUTS = ("class", "histogram", "reconstruction")
OPS = [n for n in OPERATORS.names() if get_operator(n).arity == 1]
# handmade(): class <- n1 <- (n0, n2); histogram <- (n2, n4 <- n2); reconstruction <- n3 <- n0
RELEVANCE = {"n0": {"class": 1.2, "reconstruction": 1.0}, "n1": {"class": 3.0},
             "n2": {"class": 1.0, "histogram": 1.5}, "n3": {"reconstruction": 2.0},
             "n4": {"histogram": 1.3}}


def state(worst: str = "class", relevance: dict | None = None, size: float = 0.3,
          tried: tuple[str, ...] = ()) -> ParentState:
    affected, feeds = structure(handmade())
    standing = {o: (1.0 if o == worst else 0.25) for o in OUTPUTS}
    return ParentState("hand", OUTPUTS, RELEVANCE if relevance is None else relevance,
                       affected, feeds, standing, size, tried)


def guided() -> GuidedPolicy:
    return GuidedPolicy(load_rules(FIXTURE), explore=0.0)


def choose(policy, st: ParentState | None, seed: int = 0, ops: list[str] = OPS) -> Choice:
    return policy.choose(handmade(), ops, np.random.default_rng(seed), st)


# ----------------------------------------------------------------------------- state
def test_parent_state_helpers_on_the_handmade_genome() -> None:
    st = state()
    assert st.worst_output == "class" and st.diagnosed
    assert st.reaching("class") == ["n0", "n1", "n2"]
    assert st.important("class") == ["n1", "n0"]  # relevance >= the median 1.2, best first
    assert st.feeds["histogram"] == ("n2", "n4")
    assert st.unimportant(1.05) == []
    assert state(relevance={"n4": {"histogram": 1.01}}).unimportant(1.05) == ["n0", "n1", "n2",
                                                                             "n3", "n4"]


# ----------------------------------------------------------------------------- guided
def test_guided_takes_the_best_effect_per_parameter_for_the_worst_output() -> None:
    got = choose(guided(), state("class"))
    assert got.operator == "change_activation"  # .004 / 1 beats add_layer's .02 / 2000
    assert got.target == {"n1", "n0"} and got.output == "class"
    assert got.reason.startswith("rule (relevance = high): change_activation improves class")
    # not the unreplicated remove_connection (.5 at -100), nor the worsening toggle_dropout


def test_guided_skips_operators_that_failed_or_that_the_run_lacks() -> None:
    got = choose(guided(), state("class", tried=("change_activation",)))
    assert (got.operator, got.target) == ("add_layer", {"n1", "n0"})
    assert got.reason.startswith("rule (always): add_layer")
    ops = [o for o in OPS if o not in ("change_activation", "add_layer")]
    got = choose(guided(), state("class"), ops=ops)
    rest = [o for o in ops if o != "toggle_dropout"]  # a replicated rule: it worsens class
    expected = rest[int(np.random.default_rng(0).integers(len(rest)))]
    assert got == Choice(expected, output="class",
                         reason="uniform: no replicated rule improving class applies; "
                                "avoiding toggle_dropout (worsens class)")
    drawn = {choose(guided(), state("class"), seed=s, ops=ops).operator for s in range(60)}
    assert "toggle_dropout" not in drawn and len(drawn) > 3


def test_guided_conditions_decide_the_rule_and_its_target() -> None:
    got = choose(guided(), state("histogram"))
    assert (got.operator, got.target) == ("clone_network", {"n2", "n4"})  # distance = near
    large = choose(guided(), state("reconstruction", size=0.8))
    assert (large.operator, large.target) == ("remove_layer", {"n3"})  # size = large
    small = {choose(guided(), state("reconstruction", size=0.3), seed=s) for s in range(20)}
    # equal scores: drawn among the tied operators; relevance = low targets n0 (n3 matters)
    assert {(c.operator, tuple(sorted(c.target))) for c in small} == {
        ("deepen_network", ("n0",)), ("add_connection", ("n3",))}
    assert choose(guided(), state("reconstruction"), seed=4) == \
        choose(guided(), state("reconstruction"), seed=4)


def test_guided_falls_back_to_uniform_without_a_parent_state_or_a_standing() -> None:
    draw = OPS[int(np.random.default_rng(3).integers(len(OPS)))]
    assert choose(guided(), None, seed=3) == Choice(
        draw, reason="uniform: the parent has no diagnosis")
    failed = ParentState("hand", OUTPUTS, RELEVANCE, *structure(handmade()))
    assert choose(guided(), failed, seed=3) == Choice(
        draw, reason="uniform: the parent has no standing (its evaluation failed)")


def test_without_a_diagnosis_guided_follows_rules_that_need_none() -> None:
    """A table architecture has no diagnosis: rules whose condition reads no relevance still
    apply, with no target (the operator draws it); relevance rules never hold."""
    rules = load_rules(FIXTURE).rules
    bare = choose(guided(), state("class", relevance={}), seed=3)
    holding = [r for r in rules if r.replicated and r.direction == "improves"
               and r.output == "class" and r.operator in OPS
               and rule_target(r, state("class", relevance={})) is not None]
    best = max(holding, key=lambda r: r.score)
    assert (bare.operator, bare.output, bare.target) == (best.operator, "class", set())
    assert best.condition != "relevance"
    assert bare.reason.endswith("; no diagnosis: the operator draws its target")
    relevance = [r for r in rules if r.condition == "relevance"]
    assert relevance and all(rule_target(r, state(relevance={})) is None for r in relevance)
    for size, level in ((0.8, "large"), (0.3, "small")):
        sized = [r for r in rules if r.condition == "size" and r.level == level]
        assert all(rule_target(r, state(relevance={}, size=size)) == [] for r in sized)


def test_guided_target_is_honoured_by_the_operator() -> None:
    got = choose(guided(), state("histogram"))
    for seed in range(5):
        result = apply_operator(got.operator, handmade(), seed, target=got.target)
        assert result.ok and result.event.hint["honoured"]
        assert set(result.event.touched) & got.target


# -------------------------------------------------------------------------- diagnosis
def test_diagnosis_reduces_a_network_unimportant_for_every_output() -> None:
    relevance = {**RELEVANCE, "n4": {"histogram": 1.01}}
    seen = set()
    for seed in range(30):
        got = choose(DiagnosisPolicy(1.05), state("class", relevance=relevance), seed=seed)
        seen.add(got.operator)
        assert got.target == {"n4"} and got.output is None
        assert got.reason == "n4 unimportant for every output (relevance < 1.05): reduce"
    reducing = {o for o in OPS if get_operator(o).direction == "shrink"} | {"reinit_network"}
    assert seen <= reducing and "reinit_network" in seen and len(seen) >= 2
    result = apply_operator("reinit_network", handmade(), 0, target={"n4"})
    assert result.event.touched == ["n4"]


def test_diagnosis_adds_capacity_next_to_what_matters_for_the_worst_output() -> None:
    seen = set()
    for seed in range(30):
        got = choose(DiagnosisPolicy(1.05), state("class"), seed=seed)
        seen.add(got.operator)
        assert got.target == {"n1", "n0"} and got.output == "class"
        assert got.reason == "every network matters; add capacity next to n1, n0 for class"
    assert seen <= {o for o in OPS if get_operator(o).direction == "grow"} and len(seen) >= 3
    assert {"add_connection", "divide_connection", "clone_network"} & seen


def test_diagnosis_falls_back_and_says_why() -> None:
    draw = OPS[int(np.random.default_rng(1).integers(len(OPS)))]
    assert choose(DiagnosisPolicy(), None, seed=1) == Choice(
        draw, reason="uniform: the parent has no diagnosis")
    grow = [o for o in OPS if get_operator(o).direction == "grow"]
    got = choose(DiagnosisPolicy(), state("class", tried=tuple(grow)), seed=1)
    assert got == Choice(draw, output="class", reason="uniform: no growing operator applies")


# ------------------------------------------------------------------------ rules files
def test_rules_read_what_the_analysis_writes(tmp_path: Path) -> None:
    rule = Rule("all", "all", "add_layer", "class", "improves", 0.03, (0.01, 0.05), 0.001,
                0.002, 40, 0.7, 0.4, 1500.0, replicated=True)
    g = Guidelines(0.05, 10, 1, 1, rules=[rule])
    path = tmp_path / "guidelines.json"
    path.write_text(g.to_json())
    rules = load_rules(path)
    assert [(r.operator, r.output, r.expected_effect, r.complexity_cost, r.replicated)
            for r in rules.rules] == [("add_layer", "class", 0.03, 1500.0, True)]
    assert rules.rules[0].score == pytest.approx(0.03 / 1500)
    assert type(rules).from_record(json.loads(json.dumps(rules.to_record()))) == rules


@pytest.mark.parametrize(("content", "message"), [
    (None, "does not exist"),
    ("{not json", "not valid JSON"),
    ("[1, 2]", "not a nas-ops guidelines file"),
    ('{"format": "nas-ops-guidelines", "version": 1, "rules": []}',
     "guidelines version 1; this nas-ops reads version 2"),
    ('{"format": "nas-ops-guidelines", "version": 2, "rules": [{"operator": "x"}]}',
     "rule #0 lacks 'condition'"),
    ('{"format": "nas-ops-guidelines", "version": 2, "rules": {}}', "\"rules\" is not a list"),
])
def test_bad_guidelines_files_are_one_line_errors(tmp_path: Path, content: str | None,
                                                  message: str) -> None:
    path = tmp_path / "g.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match="policy.guidelines") as info:
        load_rules(path)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_guided_explores_uniformly_at_its_rate() -> None:
    policy = GuidedPolicy(load_rules(FIXTURE), explore=0.25)
    got = [choose(policy, state("class"), seed=s) for s in range(400)]
    explored = [c for c in got if c.reason.startswith("uniform: exploration")]
    assert 0.18 < len(explored) / len(got) < 0.32  # binomial(400, 0.25): sd 0.022
    assert all(c.operator == "change_activation" for c in got if c not in explored)
    assert len({c.operator for c in explored}) > 3
