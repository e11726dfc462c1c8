"""What the report shows of the guidelines and the conditioned cells, without repeats.

A rule derived under the condition "all" and again under "affected = affected" rests on the same
effects when every edit reaches the output: :func:`distinct_rules` lists such a rule once with
every condition it holds under. :func:`exactly_zero` tells the cells whose every effect is 0
(for instance an output the edit cannot reach), which say nothing a reader can act on.
"""

from __future__ import annotations

from nas_ops.analysis import CellStats, Rule


def _where(rule: Rule) -> str:
    return "always" if rule.condition == "all" else f"{rule.condition} = {rule.level}"


def _evidence(rule: Rule) -> tuple[object, ...]:
    return (rule.operator, rule.output, rule.direction, rule.support, rule.expected_effect,
            rule.ci, rule.p_value, rule.p_improve, rule.cliffs_delta)


def distinct_rules(rules: list[Rule]) -> list[tuple[str, Rule]]:
    """(conditions, rule) per distinct piece of evidence, in the order of first appearance;
    conditions joins the rule's conditions with " or "."""
    groups: dict[tuple[object, ...], list[Rule]] = {}
    for rule in rules:
        groups.setdefault(_evidence(rule), []).append(rule)
    return [(" or ".join(_where(r) for r in group), group[0]) for group in groups.values()]


def exactly_zero(cell: CellStats) -> bool:
    """Every effect of the cell is exactly 0: no effect above 0 (P(improve) = 0) and as many
    below as above (Cliff's δ = 0)."""
    return cell.n > 0 and cell.p_improve == 0.0 and cell.cliffs_delta == 0.0
