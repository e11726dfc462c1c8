"""NAS-Bench-Graph (Qin et al., NeurIPS 2022 Datasets and Benchmarks; nas-bench-graph 1.4.0).

An architecture is a macro DAG of 4 computing nodes. Node ``i`` reads one earlier value: the
graph's input features (``link[i] = 0``) or node ``link[i] - 1``; it applies one of 9 GNN
operations. Nodes nobody reads are summed into the output. The benchmark trained each
architecture once per dataset; isomorphic architectures share one entry, under one integer key.

:func:`canonical_key` computes that key from any (link, ops): the benchmark's ``Arch.valid_hash``
(relabel the link into one of the 9 canonical link patterns, move skip operations that change
nothing to the front, sort operations of interchangeable nodes, then read the result as digits).
A test checks it against the package on every (link, ops) the package accepts.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from nas_ops.errors import GenomeError

OPS = ("gat", "gcn", "gin", "cheb", "sage", "arma", "graph", "fc", "skip")
PROTEINS_OPS = ("gcn", "sage", "arma", "fc", "skip")
DATASETS = ("cora", "citeseer", "pubmed", "cs", "physics", "photo", "computers", "arxiv",
            "proteins")
# The 9 canonical link patterns, in the order that gives their digit in the key.
LINKS: tuple[tuple[int, ...], ...] = (
    (0, 0, 0, 0), (0, 0, 0, 1), (0, 0, 1, 1), (0, 0, 1, 2), (0, 0, 1, 3),
    (0, 1, 1, 1), (0, 1, 1, 2), (0, 1, 2, 2), (0, 1, 2, 3))
_BASE = len(OPS) + 1  # each operation is one digit of this base
_OP = {op: k for k, op in enumerate(OPS)}

# Every other link (node i reads a value 0..i) relabelled to its canonical pattern: the new
# pattern and, per new position, the old position whose operation moves there.
_RELABEL: dict[tuple[int, ...], tuple[tuple[int, ...], tuple[int, ...]]] = {
    (0, 0, 0, 2): ((0, 0, 0, 1), (1, 0, 2, 3)),
    (0, 0, 0, 3): ((0, 0, 0, 1), (2, 0, 1, 3)),
    (0, 0, 1, 0): ((0, 0, 0, 1), (0, 1, 3, 2)),
    (0, 0, 2, 0): ((0, 0, 0, 1), (1, 0, 3, 2)),
    (0, 0, 2, 1): ((0, 0, 1, 2), (1, 0, 2, 3)),
    (0, 0, 2, 2): ((0, 0, 1, 1), (1, 0, 2, 3)),
    (0, 0, 2, 3): ((0, 0, 1, 3), (1, 0, 2, 3)),
    (0, 1, 0, 0): ((0, 0, 0, 1), (0, 2, 3, 1)),
    (0, 1, 0, 1): ((0, 0, 1, 1), (0, 2, 1, 3)),
    (0, 1, 0, 2): ((0, 0, 1, 3), (0, 2, 1, 3)),
    (0, 1, 0, 3): ((0, 0, 1, 2), (0, 2, 1, 3)),
    (0, 1, 1, 0): ((0, 0, 1, 1), (0, 3, 1, 2)),
    (0, 1, 1, 3): ((0, 1, 1, 2), (0, 2, 1, 3)),
    (0, 1, 2, 0): ((0, 0, 1, 3), (0, 3, 1, 2)),
    (0, 1, 2, 1): ((0, 1, 1, 2), (0, 1, 3, 2)),
}
# Positions whose operations are interchangeable, per canonical pattern (sorted by OPS order).
_EQUAL_PARTS: dict[tuple[int, ...], tuple[int, ...]] = {
    (0, 0, 0, 0): (0, 1, 2, 3), (0, 0, 0, 1): (1, 2), (0, 0, 1, 1): (2, 3),
    (0, 1, 1, 1): (1, 2, 3), (0, 1, 2, 2): (2, 3)}


def check_arch(link: Sequence[int], ops: Sequence[str]) -> None:
    """Raise :class:`GenomeError` unless (link, ops) is a 4-node architecture of the space."""
    if len(link) != 4 or len(ops) != 4:
        raise GenomeError(f"an nbgraph architecture has 4 nodes, got {len(ops)}")
    for i, (src, op) in enumerate(zip(link, ops, strict=True)):
        if not 0 <= src <= i:
            raise GenomeError(f"nbgraph node {i} reads value {src}; it may read 0..{i}")
        if op not in _OP:
            raise GenomeError(f"nbgraph node {i}: operation {op!r} unknown; valid: "
                              f"{', '.join(OPS)}")
    if all(op == "skip" for op in ops):
        raise GenomeError("an nbgraph architecture of only skip operations is not in the table")


def _bypass_skip(link: list[int], ops: list[str], k: int) -> tuple[list[int], list[str]]:
    """Node ``k`` (a skip) goes to the front, reading the input; its readers read its source."""
    new_link = []
    for i, src in enumerate(link):
        if i == k:
            continue
        if src == k + 1:  # read the skip: now read what the skip read (shifted by the move)
            new_link.append(link[k] + 1)
        else:
            new_link.append(src + 1 if src <= k else src)
    return [0, *new_link], [ops[k], *ops[:k], *ops[k + 1:]]


def _path_is_skips(link: list[int], ops: list[str], k: int) -> bool:
    """Whether every node from ``k`` back to the input is a skip."""
    while k >= 0:
        if ops[k] != "skip":
            return False
        k = link[k] - 1
    return True


def _move_skips(link: list[int], ops: list[str]) -> tuple[list[int], list[str]]:
    for i in range(4):
        if ops[i] != "skip":
            continue
        read = any(src == i + 1 for src in link)
        sibling = any(j != i and src == link[i] for j, src in enumerate(link) if src != i + 1)
        if read or not sibling or _path_is_skips(link, ops, i):
            link, ops = _bypass_skip(link, ops, i)
    if link == [0, 1, 2, 1]:
        link, ops = [0, 1, 1, 2], [ops[0], ops[1], ops[3], ops[2]]
    elif link == [0, 1, 1, 3]:
        link, ops = [0, 1, 1, 2], [ops[0], ops[2], ops[1], ops[3]]
    return link, ops


def _sort_equal_parts(link: tuple[int, ...], ops: list[str]) -> list[str]:
    if link == (0, 0, 1, 2):  # two chains of two: order them by their first, then second, op
        a, b = _OP[ops[0]], _OP[ops[1]]
        if a > b or (a == b and _OP[ops[2]] > _OP[ops[3]]):
            return [ops[1], ops[0], ops[3], ops[2]]
        return ops
    part = _EQUAL_PARTS.get(link, ())
    ordered = sorted((ops[p] for p in part), key=_OP.__getitem__)
    out = list(ops)
    for p, op in zip(part, ordered, strict=True):
        out[p] = op
    return out


def canonical(link: Sequence[int], ops: Sequence[str]) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """The canonical (link, ops) of an architecture: the one its table entry is keyed by (kept
    for the last :data:`_KEPT` architectures asked for: a search asks for the same ones over and
    over; an invalid one is refused every time)."""
    return _canonical(tuple(link), tuple(ops))


_KEPT = 1 << 16


@lru_cache(maxsize=_KEPT)
def _canonical(link: tuple[int, ...], ops: tuple[str, ...]) -> tuple[tuple[int, ...],
                                                                     tuple[str, ...]]:
    check_arch(link, ops)
    relabel = _RELABEL.get(link)
    if relabel is not None:
        link, ops = tuple(relabel[0]), tuple(ops[p] for p in relabel[1])
    moved_link, moved_ops = _move_skips(list(link), list(ops))
    final = tuple(moved_link)
    if final not in LINKS:
        raise GenomeError(f"nbgraph link {list(link)} has no canonical pattern")
    return final, tuple(_sort_equal_parts(final, moved_ops))


def key_of(link: Sequence[int], ops: Sequence[str]) -> int:
    """The integer key of an already canonical (link, ops)."""
    key = LINKS.index(tuple(link))
    for op in ops:
        key = key * _BASE + _OP[op]
    return key


def canonical_key(link: Sequence[int], ops: Sequence[str]) -> int:
    """The benchmark's key of any architecture (isomorphic ones share it)."""
    return key_of(*canonical(link, ops))


def decode(key: int) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """(link, ops) of a key: its canonical architecture."""
    if isinstance(key, bool) or not isinstance(key, int) or key < 0:
        raise GenomeError(f"nbgraph key must be a non-negative integer, got {key!r}")
    digits = []
    rest = key
    for _ in range(4):
        rest, digit = divmod(rest, _BASE)
        digits.append(digit)
    if rest >= len(LINKS) or any(d >= len(OPS) for d in digits):
        raise GenomeError(f"{key} is not an nbgraph key")
    return LINKS[rest], tuple(OPS[d] for d in reversed(digits))


def ops_of(dataset: str) -> tuple[str, ...]:
    """The operations trained on ``dataset`` (proteins has 5)."""
    return PROTEINS_OPS if dataset == "proteins" else OPS


__all__ = ["DATASETS", "LINKS", "OPS", "PROTEINS_OPS", "canonical", "canonical_key",
           "check_arch", "decode", "key_of", "ops_of"]
