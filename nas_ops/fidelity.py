"""Cheap-first evaluation settings, the typed sections of the run config read once from their
tables: rungs of a multi-fidelity search (``[search] fidelity``, :class:`FidelityConfig`) with
the steps of each rung, the ledger key of a rung's evaluation and the median stopping rule; and
the proxy pre-filter (``[search] prefilter``, :class:`PrefilterConfig`; the engine's part is
nas_ops/engine/prefilter.py). docs/fidelity.md. No torch, no engine."""

from __future__ import annotations

import copy
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from nas_ops.errors import ConfigError, check_keys

KEYS = ("rungs", "keep", "stopped_select", "rule", "min_history")
RULES = ("halving", "median", "all")
RUNG_MARK = "@r"  # an evaluation key below the last rung: <uid>@r<k>
MAX_OVERSAMPLE = 16  # search.prefilter.oversample


@dataclass(frozen=True)
class _Section:
    """A typed section of ``[search]`` read from its TOML table (``where``, with the keys
    ``keys``); ``table``: the table it was read from, as written (empty when built in Python)."""

    where: ClassVar[str] = ""
    keys: ClassVar[tuple[str, ...]] = ()
    table: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False,
                                     kw_only=True)

    @classmethod
    def from_table(cls, table: object) -> Self:
        """The section of its TOML table (empty: off)."""
        if not isinstance(table, Mapping):
            raise ConfigError(f"{cls.where} must be a table, got {table!r}")
        check_keys(cls.where, table, cls.keys)
        return cls(**table, table=copy.deepcopy(dict(table)))

    @property
    def enabled(self) -> bool:
        raise NotImplementedError

    def _changed(self) -> dict[str, Any]:
        """The keys whose value is not the default (a section built in Python)."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """The table as written, else the keys whose value is not the default; ``{}`` when
        off."""
        if not self.enabled:
            return {}
        if self.table:
            return copy.deepcopy(dict(self.table))
        return self._changed()


@dataclass(frozen=True)
class FidelityConfig(_Section):
    """``[search] fidelity``, the typed section (checked when built, from TOML or Python alike).

    ``rungs``: fractions of the full budget (increasing, the last 1.0; empty: off, every child
    trains to the full budget); ``keep``: fraction of a rung's children promoted (rule
    "halving"); ``stopped_select``: stopped children enter selection too; ``rule``: "halving"
    (the best ``keep`` of a generation's children go on), "median" (a child stops when the
    rung's median beats it on every output, :func:`median_stops`, once the rung has
    ``min_history`` results) or "all" (no child stops: every child trains through every rung,
    which costs more than full fidelity and measures how well a rung ranks the children the
    full budget ranks; docs/fidelity.md). ``table``: the table it was read from, as written (what
    :meth:`to_dict` returns, so a run records exactly the table it recorded before the section
    was typed; empty when built in Python)."""

    rungs: tuple[float, ...] = ()
    keep: float = 0.5
    stopped_select: bool = False
    rule: str = "halving"
    min_history: int = 5
    where: ClassVar[str] = "search.fidelity"
    keys: ClassVar[tuple[str, ...]] = KEYS

    def __post_init__(self) -> None:
        if not self.table and not any(self._set(k) for k in KEYS):
            return  # off
        rungs = self.rungs
        if not isinstance(rungs, Sequence) or isinstance(rungs, str) or len(rungs) < 2 \
                or not all(_number(r) and 0 < r <= 1 for r in rungs) \
                or any(b <= a for a, b in zip(rungs, rungs[1:], strict=False)) or rungs[-1] != 1:
            raise ConfigError(f"search.fidelity.rungs must be at least two fractions of the "
                              f"budget, strictly increasing in (0, 1], the last 1.0, e.g. "
                              f"[0.25, 1.0]; got {rungs!r}")
        object.__setattr__(self, "rungs", tuple(float(r) for r in rungs))
        self._check_rule()
        if not isinstance(self.stopped_select, bool):
            raise ConfigError(f"search.fidelity.stopped_select must be true or false, got "
                              f"{self.stopped_select!r}")

    def _set(self, key: str) -> bool:
        return key in self.table or getattr(self, key) != getattr(FidelityConfig, key)

    def _check_rule(self) -> None:
        if self.rule not in RULES:
            raise ConfigError(f"search.fidelity.rule must be one of {', '.join(RULES)}, got "
                              f"{self.rule!r}")
        if self.rule == "median" and self._set("keep"):
            raise ConfigError("search.fidelity.keep is for rule = 'halving'; rule = 'median' "
                              "stops by the rung's median, leave keep out (or use min_history)")
        if self.rule == "all" and self._set("keep"):
            raise ConfigError("search.fidelity.keep is for rule = 'halving'; rule = 'all' "
                              "stops no child, leave keep out")
        if not _number(self.keep) or not 0 < self.keep < 1:
            raise ConfigError(f"search.fidelity.keep must be a fraction in (0, 1), got "
                              f"{self.keep!r}")
        object.__setattr__(self, "keep", float(self.keep))
        if self.rule != "median" and self._set("min_history"):
            raise ConfigError("search.fidelity.min_history is for rule = 'median'; rule = "
                              "'halving' promotes by keep, leave min_history out")
        history = self.min_history
        if isinstance(history, bool) or not isinstance(history, int) or history < 1:
            raise ConfigError(f"search.fidelity.min_history must be an integer >= 1, got "
                              f"{history!r}")

    @property
    def enabled(self) -> bool:
        return bool(self.rungs)

    def _changed(self) -> dict[str, Any]:
        return {k: list(self.rungs) if k == "rungs" else getattr(self, k)
                for k in KEYS if self._set(k)}

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


@dataclass(frozen=True)
class PrefilterConfig(_Section):
    """``[search] prefilter`` (docs/fidelity.md): breed ``oversample`` x offspring candidates,
    keep the ``offspring`` best by ``proxy`` (a name of ``nas_ops.metrics.proxies.PROXIES``);
    ``proxy`` empty: off. ``table``: the table it was read from, as written (what
    :meth:`to_dict` returns; empty when built in Python)."""

    proxy: str = ""
    oversample: int = 2
    where: ClassVar[str] = "search.prefilter"
    keys: ClassVar[tuple[str, ...]] = ("proxy", "oversample")

    def __post_init__(self) -> None:
        if not self.table and self.proxy == "" and self.oversample == 2:
            return  # off
        from nas_ops.metrics.proxies import PROXIES as proxies  # read only when it is on

        if not isinstance(self.proxy, str) or self.proxy not in proxies:
            raise ConfigError(f"search.prefilter.proxy must be one of "
                              f"{', '.join(proxies.in_order())}, got {self.proxy!r}")
        over = self.oversample
        if isinstance(over, bool) or not isinstance(over, int) \
                or not 2 <= over <= MAX_OVERSAMPLE:
            raise ConfigError(f"search.prefilter.oversample must be an integer in "
                              f"[2, {MAX_OVERSAMPLE}] (candidates bred per child kept), got "
                              f"{over!r}")

    @property
    def enabled(self) -> bool:
        return bool(self.proxy)

    def _changed(self) -> dict[str, Any]:
        return {"proxy": self.proxy, **({"oversample": self.oversample}
                                        if self.oversample != 2 else {})}


def _number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) \
        and math.isfinite(value)


def median_stops(history: Sequence[Sequence[float]], values: Sequence[float],
                 higher_is_better: Sequence[bool], min_history: int) -> bool:
    """Whether the median rule stops a child whose primary validation metrics at a rung are
    ``values`` (one per output): ``history`` holds the same metrics of the rung's earlier
    results; with at least ``min_history`` of them, the child stops when it is strictly worse
    than their per-output median on every output (the median point dominates it; Optuna's
    MedianPruner on one output)."""
    if not history or len(history) < min_history:
        return False
    for k, (value, higher) in enumerate(zip(values, higher_is_better, strict=True)):
        middle = statistics.median(h[k] for h in history)
        if not (value < middle if higher else value > middle):
            return False
    return True


def rung_key(uid: str, rung: int, last: int) -> str:
    """The ledger key of ``uid``'s evaluation at ``rung``: the uid itself at the last rung."""
    return uid if rung == last else f"{uid}{RUNG_MARK}{rung}"


def individual_of(key: str) -> str:
    """The individual an evaluation key belongs to."""
    return key.split(RUNG_MARK, 1)[0]
