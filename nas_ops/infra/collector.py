"""Fewer cyclic garbage collections while an allocation-heavy loop runs.

A search allocates many small, short-lived containers per child (genome records, dicts of an
event, rows). CPython's cyclic collector then runs a young-generation pass every 700 net
allocations and, every 100 of those, an older-generation pass over everything that survived,
including what the run keeps (the loaded benchmark table, the population, the ledger's key
sets). benchmarks/table_speed.py and engine_overhead.py time a search with CPython's default
threshold beside this one, in the same process. Raising the
young-generation threshold for the loop's duration keeps the collector on (cycles are still
freed, in fewer and larger passes) and restores the previous thresholds on exit.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG = 100_000  # net allocations between young-generation passes inside the loop


@contextmanager
def fewer_collections(young: int | None = None) -> Iterator[None]:
    """Run the block with the young-generation threshold at least ``young`` (default
    :data:`YOUNG`, read at entry)."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], YOUNG if young is None else young), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
