"""The immutable Genome: typed nodes, ordered connections, hyperparameters and lineage."""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

import networkx as nx

from nas_ops.errors import GenomeError, unknown
from nas_ops.genome.nodes import Hyper, InputNode, NetworkNode, Node, OutputNode

Edge = tuple[str, str]
_T = TypeVar("_T")


@dataclass(frozen=True)
class Genome:
    """A heterogeneous multi-network model as a DAG.

    ``edges`` is ordered: a node's input is the concatenation of its predecessors' outputs in the
    order their edges appear here. Lineage (``uid``, ``parents``, ``operator``) does not take part
    in equality of structure; compare :func:`nas_ops.genome.structural_hash` for that.
    """

    inputs: tuple[InputNode, ...]
    networks: tuple[NetworkNode, ...]
    outputs: tuple[OutputNode, ...]
    edges: tuple[Edge, ...]
    hyper: Hyper = Hyper()
    space: str = "multinet"
    uid: str = ""
    parents: tuple[str, ...] = ()
    operator: str | None = None

    # ----------------------------------------------------------------- lookups
    @cached_property
    def _nodes(self) -> dict[str, Node]:
        nodes: dict[str, Node] = {}
        every: list[Node] = [*self.inputs, *self.networks, *self.outputs]
        for node in every:
            if node.id in nodes:
                raise GenomeError(f"node {node.id!r}: id used twice [rule: unique ids]")
            nodes[node.id] = node
        return nodes

    def node(self, node_id: str) -> Node:
        try:
            return self._nodes[node_id]
        except KeyError:
            raise unknown("node", node_id, list(self._nodes)) from None

    def network(self, node_id: str) -> NetworkNode:
        node = self.node(node_id)
        if not isinstance(node, NetworkNode):
            raise GenomeError(f"node {node_id!r} is not a network")
        return node

    def has_node(self, node_id: str) -> bool:
        return node_id in self._nodes

    @property
    def node_ids(self) -> list[str]:
        return list(self._nodes)

    @property
    def network_ids(self) -> list[str]:
        return [n.id for n in self.networks]

    @property
    def output_ids(self) -> list[str]:
        return [n.id for n in self.outputs]

    def _adjacency(self, incoming: bool) -> dict[str, list[str]]:
        """Every node's predecessors (``incoming``) or successors, in edge order."""
        adjacent: dict[str, list[str]] = {nid: [] for nid in self._nodes}
        for src, dst in self.edges:
            node, other = (dst, src) if incoming else (src, dst)
            adjacent.setdefault(node, []).append(other)
        return adjacent

    @cached_property
    def _preds(self) -> dict[str, list[str]]:
        return self._adjacency(incoming=True)

    @cached_property
    def _succs(self) -> dict[str, list[str]]:
        return self._adjacency(incoming=False)

    def predecessors(self, node_id: str) -> list[str]:
        """Predecessors in concatenation order."""
        return list(self._preds.get(node_id, []))

    def successors(self, node_id: str) -> list[str]:
        return list(self._succs.get(node_id, []))

    # ------------------------------------------------------------------ graph
    @cached_property
    def graph(self) -> nx.DiGraph:
        """A networkx view (a fresh DiGraph per genome; do not mutate it)."""
        g = nx.DiGraph()
        for node in self._nodes.values():
            g.add_node(node.id, role=role_of(node), record=node)
        for slot_dst, (src, dst) in enumerate(self.edges):
            g.add_edge(src, dst, order=slot_dst)
        return g

    @cached_property
    def _topo(self) -> tuple[str, ...]:
        """Kahn's algorithm, ties broken by declaration order; shorter than the node list when
        the graph has a cycle (or an edge names a missing node)."""
        rank = {nid: i for i, nid in enumerate(self._nodes)}
        indeg = {nid: 0 for nid in self._nodes}
        for src, dst in self.edges:
            if src in rank and dst in rank:
                indeg[dst] += 1
        ready = [(rank[nid], nid) for nid in self._nodes if indeg[nid] == 0]
        heapq.heapify(ready)
        order: list[str] = []
        while ready:
            _, nid = heapq.heappop(ready)
            order.append(nid)
            for succ in self._succs.get(nid, []):
                if succ in indeg:
                    indeg[succ] -= 1
                    if indeg[succ] == 0:
                        heapq.heappush(ready, (rank[succ], succ))
        return tuple(order)

    @property
    def is_acyclic(self) -> bool:
        return len(self._topo) == len(self._nodes)

    @property
    def topological_order(self) -> tuple[str, ...]:
        """Node ids in a deterministic topological order (ties broken by declaration order)."""
        if not self.is_acyclic:
            raise GenomeError("genome has a cycle: no topological order [rule: acyclic]")
        return self._topo

    @staticmethod
    def _reach(start: str, step: dict[str, list[str]]) -> set[str]:
        seen: set[str] = set()
        stack = list(step.get(start, []))
        while stack:
            nid = stack.pop()
            if nid not in seen:
                seen.add(nid)
                stack.extend(step.get(nid, []))
        return seen

    def descendants(self, node_id: str) -> set[str]:
        return self._reach(node_id, self._succs)

    def ancestors(self, node_id: str) -> set[str]:
        return self._reach(node_id, self._preds)

    def reachable_outputs(self, node_ids: Iterable[str]) -> list[str]:
        """Outputs reachable from (or equal to) any of ``node_ids``, in declaration order."""
        reach: set[str] = set()
        for nid in node_ids:
            if self.has_node(nid):
                reach |= self.descendants(nid) | {nid}
        return [o for o in self.output_ids if o in reach]

    def output_subgraph(self, output_id: str) -> set[str]:
        """Every node whose value can influence ``output_id`` (the output included)."""
        return self.ancestors(output_id) | {output_id}

    def kept(self, key: str, compute: Callable[[Genome], _T]) -> _T:
        """``compute(self)``, computed once and kept on this (immutable) instance under
        ``key``: what follows from the structure alone (a hash, costs, a space's own reading).
        :meth:`with_lineage` carries what is kept over to the copy."""
        cache = self.__dict__
        if key not in cache:
            cache[key] = compute(self)
        return cache[key]  # type: ignore[no-any-return]

    # ----------------------------------------------------------------- editing
    def replace(self, **changes: object) -> Genome:
        """A copy with fields replaced; lineage is cleared unless given."""
        changes.setdefault("uid", "")
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def replace_network(self, net: NetworkNode) -> Genome:
        """A copy in which the network with ``net.id`` is ``net`` (lineage cleared)."""
        nets = tuple(net if n.id == net.id else n for n in self.networks)
        return self.replace(networks=nets)

    def with_lineage(self, uid: str, parents: tuple[str, ...], operator: str | None) -> Genome:
        """The same structure with this lineage; what was computed and kept on this instance
        (lookups, order, hash, costs: none depends on lineage) carries over."""
        copy = dataclasses.replace(self, uid=uid, parents=tuple(parents), operator=operator)
        copy.__dict__.update({k: v for k, v in self.__dict__.items() if k not in _FIELDS})
        return copy

    def fresh_network_id(self) -> str:
        taken = set(self._nodes)
        k = len(self.networks)
        while f"n{k}" in taken:
            k += 1
        return f"n{k}"


_FIELDS = frozenset(f.name for f in dataclasses.fields(Genome))


def role_of(node: Node) -> str:
    if isinstance(node, InputNode):
        return "input"
    if isinstance(node, NetworkNode):
        return "network"
    return "output"

