"""NAS-Bench-201 cells on CIFAR-10, as measured by AnalogNAS-Bench (analog-nasbench 0.1.3).

A cell has 4 nodes; node ``j`` sums the 6 edges ``i -> j`` (``i < j``), each one of 5
operations; node 0 is the cell's input, node 3 its output. The standard key of a cell is
NAS-Bench-201's string, ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`` (the edges into node 1, then
node 2, then node 3, each ``op~i`` naming its source ``i``). The data file keys each cell by 6
operation indices in NASLib's order: edges (0,1), (0,2), (0,3), (1,2), (1,3), (2,3), with
0 skip_connect, 1 none, 2 nor_conv_3x3, 3 nor_conv_1x1, 4 avg_pool_3x3.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from nas_ops.errors import GenomeError

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
DATASETS = ("cifar10",)
# Edges (source, target) in the order the cell string lists them.
EDGES: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
# The data file's order of the edges, and its operation indices.
FILE_EDGES: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))
FILE_OPS = ("skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3")
_CELL = re.compile(r"\|([a-z0-9_]+)~0\|\+\|([a-z0-9_]+)~0\|([a-z0-9_]+)~1\|\+"
                   r"\|([a-z0-9_]+)~0\|([a-z0-9_]+)~1\|([a-z0-9_]+)~2\|")


def cell_string(ops: Sequence[str]) -> str:
    """The cell string of the operations on :data:`EDGES` (in that order)."""
    check_ops(ops)
    a, b, c, d, e, f = ops
    return f"|{a}~0|+|{b}~0|{c}~1|+|{d}~0|{e}~1|{f}~2|"


def parse_cell(text: str) -> tuple[str, ...]:
    """The operations on :data:`EDGES` of a cell string."""
    match = _CELL.fullmatch(text)
    if match is None:
        raise GenomeError(f"{text!r} is not a NAS-Bench-201 cell string "
                          "(|op~0|+|op~0|op~1|+|op~0|op~1|op~2|)")
    ops = match.groups()
    check_ops(ops)
    return ops


def check_ops(ops: Sequence[str]) -> None:
    if len(ops) != len(EDGES):
        raise GenomeError(f"a NAS-Bench-201 cell has 6 edges, got {len(ops)}")
    for (src, dst), op in zip(EDGES, ops, strict=True):
        if op not in OPS:
            raise GenomeError(f"nb201 edge {src}->{dst}: operation {op!r} unknown; valid: "
                              f"{', '.join(OPS)}")


# Parameters of the NAS-Bench-201 CIFAR-10 network around the cells (3 stages of 5 cells with
# 16, 32, 64 channels): stem conv + BN, the two residual reduction blocks, last BN, classifier.
_STAGES = (16, 32, 64)
_CELLS_PER_STAGE = 5


def _relu_conv_bn(c_in: int, c_out: int, k: int) -> int:
    return c_in * c_out * k * k + 2 * c_out


def _skeleton_parameters(classes: int = 10) -> int:
    stem = 3 * _STAGES[0] * 9 + 2 * _STAGES[0]
    blocks = sum(_relu_conv_bn(a, b, 3) + _relu_conv_bn(b, b, 3) + a * b
                 for a, b in zip(_STAGES, _STAGES[1:], strict=False))
    return stem + blocks + 2 * _STAGES[-1] + _STAGES[-1] * classes + classes


def parameters(ops: Sequence[str]) -> int:
    """Parameters of the NAS-Bench-201 CIFAR-10 network whose cells carry ``ops``, counted by
    nas-ops from its skeleton (not a column of the table): each ``nor_conv_kxk`` edge is a
    ReLU-Conv-BN of C x C x k x k weights plus 2C batch-norm parameters; pooling, skip and none
    have none."""
    check_ops(ops)
    kernel = {"nor_conv_1x1": 1, "nor_conv_3x3": 3}
    kernels = [kernel[op] for op in ops if op in kernel]
    cells = sum(_CELLS_PER_STAGE * sum(_relu_conv_bn(c, c, k) for k in kernels)
                for c in _STAGES)
    return _skeleton_parameters() + cells


def from_file_key(indices: Sequence[int]) -> str:
    """The cell string of a data-file key (6 operation indices in NASLib's order)."""
    by_edge = {edge: FILE_OPS[k] for edge, k in zip(FILE_EDGES, indices, strict=True)}
    return cell_string([by_edge[e] for e in EDGES])


def to_file_key(text: str) -> tuple[int, ...]:
    by_edge = dict(zip(EDGES, parse_cell(text), strict=True))
    return tuple(FILE_OPS.index(by_edge[e]) for e in FILE_EDGES)


__all__ = ["DATASETS", "EDGES", "FILE_EDGES", "FILE_OPS", "OPS", "cell_string", "check_ops",
           "from_file_key", "parameters", "parse_cell", "to_file_key"]
