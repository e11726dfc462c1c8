"""Versioned JSON form of a genome, with strict parsing that names the offending field."""

from __future__ import annotations

import json
from typing import Any

from nas_ops.errors import GenomeError
from nas_ops.genome.genome import Genome
from nas_ops.genome.nodes import Hyper, InputNode, Layer, NetworkNode, OutputNode

SCHEMA_VERSION = 1


def to_dict(genome: Genome) -> dict[str, Any]:
    return {**_head(genome), **_structure(genome)}


def _head(genome: Genome) -> dict[str, Any]:
    """The schema, space and lineage: the fields that come first."""
    return {"schema": SCHEMA_VERSION, "space": genome.space, "uid": genome.uid,
            "parents": list(genome.parents), "operator": genome.operator}


def _structure(genome: Genome) -> dict[str, Any]:
    """Everything but :func:`_head`: what copies with another lineage share."""
    return {
        "hyper": {"learning_rate": genome.hyper.learning_rate,
                  "batch_size": genome.hyper.batch_size,
                  "optimizer": genome.hyper.optimizer},
        "inputs": [{"id": n.id, "dtype": n.dtype, "shape": list(n.shape)} for n in genome.inputs],
        "networks": [_network_dict(n) for n in genome.networks],
        "outputs": [{"id": n.id, "kind": n.kind, "size": n.size, "loss_weight": n.loss_weight}
                    for n in genome.outputs],
        "edges": [[s, d] for s, d in genome.edges],
    }


def _network_dict(net: NetworkNode) -> dict[str, Any]:
    return {
        "id": net.id, "kind": net.kind, "out_size": net.out_size, "latent": net.latent,
        "out_shape": list(net.out_shape),
        "layers": [{"units": lay.units, "activation": lay.activation, "init": lay.init,
                    "dropout": lay.dropout, "batchnorm": lay.batchnorm} for lay in net.layers],
    }


def to_json(genome: Genome, indent: int | None = None) -> str:
    """``json.dumps(to_dict(genome))`` (sorted and indented with ``indent``); the structure's
    text is kept on the (immutable) genome and its lineage copies, only the head is written
    anew."""
    if indent is not None:
        return json.dumps(to_dict(genome), indent=indent, sort_keys=True)
    tail = genome.kept("_json_structure", lambda g: json.dumps(_structure(g)))
    return f"{json.dumps(_head(genome))[:-1]}, {tail[1:]}"


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are unique (JSON would silently keep a repeated key's last)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise GenomeError(f"genome JSON repeats the key {key!r} in one object; keep one")
        out[key] = value
    return out


def from_json(text: str) -> Genome:
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise GenomeError(f"genome JSON is malformed: {exc.msg} at line {exc.lineno} column "
                          f"{exc.colno}") from None
    except RecursionError:
        raise GenomeError("genome JSON is nested too deeply to be a genome") from None
    return from_dict(data)


class _Reader:
    """Reads typed fields out of nested dicts, naming the path of anything wrong."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise GenomeError(f"genome field {where or '(top level)'} must be an object, "
                              f"got {type(data).__name__}")
        self.data, self.where = data, where
        self.read: set[str] = set()

    def _path(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def get(self, key: str, types: type | tuple[type, ...], default: Any = ...) -> Any:
        self.read.add(key)
        if key not in self.data:
            if default is ...:
                raise GenomeError(f"genome field {self._path(key)} is missing")
            return default
        value = self.data[key]
        allowed = types if isinstance(types, tuple) else (types,)
        if isinstance(value, bool) and bool not in allowed:
            raise GenomeError(f"genome field {self._path(key)} has the wrong type: bool")
        if not isinstance(value, types):
            raise GenomeError(f"genome field {self._path(key)} has the wrong type: "
                              f"{type(value).__name__}")
        return value

    def items(self, key: str) -> list[Any]:
        value = self.get(key, list)
        return value

    def done(self) -> None:
        """Reject keys nobody read: a misspelt gene must not silently fall back to its default."""
        if self.data.keys() <= self.read:
            return
        extra = min(str(k) for k in self.data.keys() - self.read)
        raise GenomeError(f"genome field {self._path(extra)} is not a known field; known fields "
                          f"here: {', '.join(sorted(self.read))}")


def _ints(values: list[Any], where: str) -> tuple[int, ...]:
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise GenomeError(f"genome field {where} must be a list of integers")
    return tuple(values)


def _strs(values: list[Any], where: str) -> tuple[str, ...]:
    if not all(isinstance(v, str) for v in values):
        raise GenomeError(f"genome field {where} must be a list of strings")
    return tuple(values)


def from_dict(data: Any) -> Genome:
    top = _Reader(data, "")
    schema = top.get("schema", int)
    if schema != SCHEMA_VERSION:
        raise GenomeError(f"genome schema {schema} is not supported; this version reads schema "
                          f"{SCHEMA_VERSION}")
    hyper = _Reader(top.get("hyper", dict, {}), "hyper")
    inputs = []
    for i, raw in enumerate(top.items("inputs")):
        r = _Reader(raw, f"inputs[{i}]")
        inputs.append(InputNode(r.get("id", str), r.get("dtype", str),
                                _ints(r.get("shape", list), f"inputs[{i}].shape")))
        r.done()
    networks = [_network_from(raw, f"networks[{i}]") for i, raw in enumerate(top.items("networks"))]
    outputs = []
    for i, raw in enumerate(top.items("outputs")):
        r = _Reader(raw, f"outputs[{i}]")
        outputs.append(OutputNode(r.get("id", str), r.get("kind", str), r.get("size", int),
                                  float(r.get("loss_weight", (int, float), 1.0))))
        r.done()
    edges = []
    for i, raw in enumerate(top.items("edges")):
        if not (isinstance(raw, list) and len(raw) == 2 and all(isinstance(x, str) for x in raw)):
            raise GenomeError(f"genome field edges[{i}] must be a [source, target] pair of ids")
        edges.append((raw[0], raw[1]))
    genome = Genome(
        inputs=tuple(inputs), networks=tuple(networks), outputs=tuple(outputs), edges=tuple(edges),
        hyper=Hyper(float(hyper.get("learning_rate", (int, float), 1e-3)),
                    hyper.get("batch_size", int, 64), hyper.get("optimizer", str, "adam")),
        space=top.get("space", str, "multinet"), uid=top.get("uid", str, ""),
        parents=_strs(top.get("parents", list, []), "parents"),
        operator=top.get("operator", (str, type(None)), None),
    )
    hyper.done()
    top.done()
    return genome


def _network_from(raw: Any, where: str) -> NetworkNode:
    r = _Reader(raw, where)
    layers = []
    for j, lraw in enumerate(r.items("layers")):
        lr = _Reader(lraw, f"{where}.layers[{j}]")
        layers.append(Layer(lr.get("units", int), lr.get("activation", str, "relu"),
                            lr.get("init", str, "xavier_uniform"),
                            float(lr.get("dropout", (int, float), 0.0)),
                            lr.get("batchnorm", bool, False)))
        lr.done()
    net = NetworkNode(r.get("id", str), r.get("kind", str), tuple(layers), r.get("out_size", int),
                      r.get("latent", int, 0), _ints(r.get("out_shape", list, []),
                                                      f"{where}.out_shape"))
    r.done()
    return net
