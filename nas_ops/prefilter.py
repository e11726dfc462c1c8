"""The proxy pre-filter of a search (``[search] prefilter``; docs/fidelity.md): the parsed
setting. No torch, no engine; the engine's part is nas_ops/engine/prefilter.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nas_ops.errors import ConfigError, check_keys

KEYS = ("proxy", "oversample")
# the proxies of nas_ops.metrics.proxies (PROXIES; a test checks they are the same)
PROXY_NAMES = ("grad_norm", "synflow", "naswot", "params")
MAX_OVERSAMPLE = 16


@dataclass(frozen=True)
class Prefilter:
    """Breed ``oversample`` x offspring candidates, keep the ``offspring`` best by ``proxy``."""

    proxy: str
    oversample: int = 2


def parse_prefilter(table: Mapping[str, Any]) -> Prefilter | None:
    """The :class:`Prefilter` of ``search.prefilter`` (None when the table is empty: off); a bad
    table is one :class:`ConfigError` line naming the key and what is valid."""
    if not table:
        return None
    check_keys("search.prefilter", table, KEYS)
    proxy = table.get("proxy")
    if proxy not in PROXY_NAMES:
        raise ConfigError(f"search.prefilter.proxy must be one of {', '.join(PROXY_NAMES)}, "
                          f"got {proxy!r}")
    over = table.get("oversample", 2)
    if isinstance(over, bool) or not isinstance(over, int) or not 2 <= over <= MAX_OVERSAMPLE:
        raise ConfigError(f"search.prefilter.oversample must be an integer in "
                          f"[2, {MAX_OVERSAMPLE}] (candidates bred per child kept), got {over!r}")
    return Prefilter(str(proxy), over)
