"""Rungs of a multi-fidelity search (``[search] fidelity``): the parsed setting, the steps of
each rung and the ledger key of a rung's evaluation (docs/fidelity.md). No torch, no engine."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nas_ops.errors import ConfigError, check_keys

KEYS = ("rungs", "keep", "stopped_select")
RUNG_MARK = "@r"  # an evaluation key below the last rung: <uid>@r<k>


@dataclass(frozen=True)
class Fidelity:
    """``rungs``: fractions of the full budget (increasing, the last 1.0); ``keep``: fraction of
    a rung's children promoted; ``stopped_select``: stopped children enter selection too."""

    rungs: tuple[float, ...]
    keep: float = 0.5
    stopped_select: bool = False

    @property
    def last(self) -> int:
        return len(self.rungs) - 1

    def promoted(self, n: int) -> int:
        """How many of ``n`` children trained at a rung go on to the next one."""
        return max(1, math.ceil(self.keep * n))

    def steps(self, cap: int) -> list[int]:
        """Cumulative optimizer steps at the end of each rung for a child whose full budget is
        ``cap`` steps: ``round(fraction x cap)``, at least one more than the rung before; the last
        rung is ``cap`` (or one more than the rung before, for a cap below the rung count)."""
        out: list[int] = []
        for k, fraction in enumerate(self.rungs):
            want = cap if k == self.last else round(fraction * cap)
            out.append(max(want, (out[-1] if out else 0) + 1))
        return out


def _number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) \
        and math.isfinite(value)


def parse_fidelity(table: Mapping[str, Any]) -> Fidelity | None:
    """The :class:`Fidelity` of ``search.fidelity`` (None when the table is empty: off); a bad
    table is one :class:`ConfigError` line naming the key and what is valid."""
    if not table:
        return None
    check_keys("search.fidelity", table, KEYS)
    rungs = table.get("rungs")
    if not isinstance(rungs, Sequence) or isinstance(rungs, str) or len(rungs) < 2 \
            or not all(_number(r) and 0 < r <= 1 for r in rungs) \
            or any(b <= a for a, b in zip(rungs, rungs[1:], strict=False)) or rungs[-1] != 1:
        raise ConfigError(f"search.fidelity.rungs must be at least two fractions of the budget, "
                          f"strictly increasing in (0, 1], the last 1.0, e.g. [0.25, 1.0]; got "
                          f"{rungs!r}")
    keep = table.get("keep", 0.5)
    if not _number(keep) or not 0 < keep < 1:
        raise ConfigError(f"search.fidelity.keep must be a fraction in (0, 1), got {keep!r}")
    select = table.get("stopped_select", False)
    if not isinstance(select, bool):
        raise ConfigError(f"search.fidelity.stopped_select must be true or false, got {select!r}")
    return Fidelity(tuple(float(r) for r in rungs), float(keep), select)


def rung_key(uid: str, rung: int, last: int) -> str:
    """The ledger key of ``uid``'s evaluation at ``rung``: the uid itself at the last rung."""
    return uid if rung == last else f"{uid}{RUNG_MARK}{rung}"


def individual_of(key: str) -> str:
    """The individual an evaluation key belongs to."""
    return key.split(RUNG_MARK, 1)[0]
