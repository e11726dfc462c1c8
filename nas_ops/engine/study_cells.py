"""The cells of a budget-map study (issue 24): parent state x retraining rule.

A study with ``[study] parent_epochs`` or ``[study] retrain`` measures the same edits in every
cell. Parent states: ``conv``, the base models as every study trains them (to convergence with
``base_patience``), and ``e<N>`` for each ``parent_epochs`` entry: the same genome, seed and
data order trained exactly N epochs (the first N epochs of the converged base's own run, as
training is deterministic). Retraining rules: :mod:`nas_ops.retraining` (none: ``[budget]``,
named ``budget``).

In every cell, base ``b`` gets the edit of slot ``k`` drawn from the same random stream (the
study's slot of the first cell), hence the same edited genome, and the same torch seed (that of
the first cell's uid), hence the same new weights; only its parent's weights and its training
differ. Uids carry the cell: ``v003-001.e5.e8`` is edit 1 of base 3 on the 5-epoch parent
``b003.e5``, retrained under rule ``e8``; its matched control is ``mv003-001.e5.e8``. Slots
of cell ``c`` are the first cell's plus ``c`` times the slots one cell uses.

The ledger's meta ``cells`` records the design: ``parent_states`` (label -> epochs, null for
``conv``), ``rules`` (their tables), and ``members`` (uid -> [parent state, rule] of every
child, control and extra-state base).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nas_ops.config import RunConfig
from nas_ops.retraining import RetrainRule, parse_rules
from nas_ops.training import Budget

CONVERGED = "conv"
BUDGET_RULE = "budget"  # no retrain rule: the children train under [budget]


@dataclass(frozen=True)
class Cell:
    """One parent state (``state``: its label; ``epochs``: None for the converged bases)
    x one retraining rule (None: ``[budget]``)."""

    index: int
    state: str
    epochs: int | None
    rule: RetrainRule | None

    @property
    def rule_name(self) -> str:
        return self.rule.name if self.rule is not None else BUDGET_RULE

    def suffix(self, mapped: bool) -> str:
        """What the cell appends to its uids (nothing in a study without cells)."""
        return f".{self.state}.{self.rule_name}" if mapped else ""

    def budget(self) -> Budget | None:
        """The children's and controls' training budget (None: ``[budget]``)."""
        r = self.rule
        if r is None:
            return None
        return Budget(epochs=r.epoch_cap, patience=r.patience or None, lr_scale=r.lr_scale,
                      measure_start=r.measure_start)


def is_map(config: RunConfig) -> bool:
    """Whether the study has cells (``parent_epochs`` or ``retrain``)."""
    return bool(config.study.parent_epochs or config.study.retrain)


def parent_states(config: RunConfig) -> list[tuple[str, int | None]]:
    """(label, epochs) of every parent state: the converged bases first."""
    return [(CONVERGED, None), *((f"e{n}", n) for n in config.study.parent_epochs)]


def cells(config: RunConfig) -> list[Cell]:
    """Every cell, parent state major; a study without cells has the one cell of today."""
    rules: list[RetrainRule | None] = list(parse_rules(config.study.retrain)) or [None]
    out: list[Cell] = []
    for state, epochs in parent_states(config):
        for rule in rules:
            if rule is None or rule.applies(state):
                out.append(Cell(len(out), state, epochs, rule))
    return out


def state_base_uid(base_uid: str, state: str) -> str:
    """The uid of base ``base_uid`` in parent state ``state``."""
    return base_uid if state == CONVERGED else f"{base_uid}.{state}"


def design_meta(config: RunConfig, members: dict[str, list[str]]) -> dict[str, Any]:
    """The ``cells`` meta entry (module docstring)."""
    return {"parent_states": dict(parent_states(config)),
            "rules": [parse_rules(config.study.retrain)[i].to_dict()
                      for i in range(len(config.study.retrain))],
            "members": members}
