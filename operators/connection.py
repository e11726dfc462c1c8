"""Connection operators: add, remove and divide a connection between two nodes."""

from __future__ import annotations

from collections.abc import Sequence

from nas_ops.genome.genome import Edge, Genome
from nas_ops.genome.nodes import InputNode, NetworkNode, OutputNode
from nas_ops.genome.rules import Rules
from nas_ops.genome.validate import produced
from nas_ops.variation import NotApplicable, Operator, VariationContext, register_operator
from operators._common import (
    creates_cycle,
    editable_networks,
    feeds_output,
    replace_edge,
    source_fits,
    unit_choices,
)

# an added connection: (source, target, whether the source's out_size is fixed up to the output)
Candidate = tuple[str, str, bool]


@register_operator("add_connection", family="connection", direction="grow",
                   description="add an edge X -> Y (acyclic, type-compatible; sizes fixed up)")
class AddConnection(Operator):
    """Add an edge X -> Y (no cycle, compatible types); when Y is an output, X must produce the
    output's size: a network feeding only other networks gets its out_size fixed up."""

    def _candidates(self, parents: Sequence[Genome], ctx: VariationContext) -> list[Candidate]:
        g, rules = parents[0], ctx.space.rules
        guard = ctx.protected(g)
        existing = set(g.edges)
        sources: list[InputNode | NetworkNode] = [*g.inputs, *g.networks]
        targets: list[NetworkNode | OutputNode] = [*g.networks, *g.outputs]
        out: list[Candidate] = []
        for dst in targets:
            if dst.id in guard:
                continue
            for src in sources:
                if src.id == dst.id or (src.id, dst.id) in existing:
                    continue
                fix = self._fix_needed(g, src, dst, guard, rules)
                if fix is None or creates_cycle(g, src.id, dst.id):
                    continue
                out.append((src.id, dst.id, fix))
        return out

    @staticmethod
    def _fix_needed(g: Genome, src: InputNode | NetworkNode, dst: NetworkNode | OutputNode,
                    guard: set[str], rules: Rules) -> bool | None:
        """False: fits as is; True: fits once src.out_size = output size; None: never fits."""
        if source_fits(g, src.id, dst.id, rules):
            return False
        if not (isinstance(dst, OutputNode) and isinstance(src, NetworkNode)):
            return None
        resizable = (src.kind != "conv_decoder" and src.id not in guard
                     and not feeds_output(g, src.id))
        ok_type = produced(g, src.id, rules) in rules.output_accepts[dst.kind]
        return True if resizable and ok_type else None

    def _apply(self, parents: Sequence[Genome], ctx: VariationContext) -> Genome:
        g = parents[0]
        src, dst, fix = ctx.choice("edge", self._candidates(parents, ctx))
        child = g.replace(edges=(*g.edges, (src, dst)))
        if fix:
            net = g.network(src)
            size = g.node(dst).size  # type: ignore[union-attr]
            child = child.replace_network(NetworkNode(net.id, net.kind, net.layers, size,
                                                      net.latent, net.out_shape))
        return child


@register_operator("remove_connection", family="connection", direction="shrink",
                   description="remove an edge whose ends both keep another edge")
class RemoveConnection(Operator):
    """Remove an edge A -> B when A keeps another successor and B another predecessor."""

    def _candidates(self, parents: Sequence[Genome], ctx: VariationContext) -> list[Edge]:
        g = parents[0]
        guard = ctx.protected(g)
        return [(a, b) for a, b in g.edges if b not in guard
                and len(g.successors(a)) > 1 and len(g.predecessors(b)) > 1]

    def _apply(self, parents: Sequence[Genome], ctx: VariationContext) -> Genome:
        g = parents[0]
        edge = tuple(ctx.choice("edge", self._candidates(parents, ctx)))
        return g.replace(edges=tuple(e for e in g.edges if e != edge))


@register_operator("divide_connection", family="connection", direction="grow",
                   description="replace A -> B by A -> new network -> B")
class DivideConnection(Operator):
    """Replace A -> B by A -> N -> B with a new network N sampled from the space, of a kind that
    takes A's data and produces what B takes."""

    def _kinds(self, g: Genome, edge: Edge, ctx: VariationContext) -> list[str]:
        rules = ctx.space.rules
        a, b = edge
        dtype = produced(g, a, rules)
        target = g.node(b)
        kinds = []
        for kind in rules.network_kinds:
            if dtype not in rules.accepts.get(kind, frozenset()):
                continue
            out_type = rules.produces[kind]
            if isinstance(target, OutputNode):
                ok = out_type in rules.output_accepts[target.kind]
                ok = ok and (kind != "conv_decoder" or self._shape(g, target.size) is not None)
            else:
                ok = (out_type in rules.accepts[target.kind]  # type: ignore[union-attr]
                      and kind != "conv_decoder")
            if ok:
                kinds.append(kind)
        return kinds

    @staticmethod
    def _shape(g: Genome, size: int) -> tuple[int, ...] | None:
        """A conv_decoder output shape: that of an input of ``size`` values with spatial axes."""
        for inp in g.inputs:
            if inp.size == size and len(inp.shape) in (2, 3):
                return inp.shape
        return None

    def _candidates(self, parents: Sequence[Genome], ctx: VariationContext) -> list[Edge]:
        g = parents[0]
        if len(g.networks) >= ctx.space.rules.max_networks:
            return []
        guard = ctx.protected(g)
        return [e for e in g.edges if e[1] not in guard and self._kinds(g, e, ctx)]

    def _apply(self, parents: Sequence[Genome], ctx: VariationContext) -> Genome:
        g = parents[0]
        a, b = ctx.choice("edge", self._candidates(parents, ctx))
        kind = ctx.choice("kind", self._kinds(g, (a, b), ctx))
        target = g.node(b)
        shape: tuple[int, ...] = ()
        if isinstance(target, OutputNode):
            size = target.size
            if kind == "conv_decoder":
                shape = self._shape(g, size) or ()
        else:
            size = ctx.choice("out_size", unit_choices(ctx.space, "mlp"))
        nid = g.fresh_network_id()
        net = ctx.space.sample_network(g, kind, nid, size, ctx.generator("network"), shape)
        if kind == "conv_encoder" and not isinstance(g.node(a), InputNode):
            raise NotApplicable("a conv_encoder can only read task inputs")
        edges = replace_edge(g.edges, (a, b), [(nid, b)]) + ((a, nid),)
        return g.replace(networks=(*g.networks, net), edges=edges)


__all__ = ["AddConnection", "DivideConnection", "RemoveConnection", "editable_networks"]
