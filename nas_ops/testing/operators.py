"""The operator conformance suite, as plain functions any operator author can call.

Every check takes an operator name, its parents and a seed, and raises ``AssertionError`` with
a message naming the operator when a contract is broken. :func:`check_operator` runs them all on
example genomes; ``tests/operators/test_conformance.py`` runs it over the whole registry.

Contracts: parents are never changed; the same seed gives the same children and event; replaying
the recorded decisions gives them again; a call ends ``ok`` with valid children or
``not_applicable`` (``failed`` is a bug), in agreement with ``applicable``; lineage is complete;
safe outputs are respected; outputs outside ``affected_outputs`` predict exactly as before once
weights are inherited (function-preserving operators: every output); random chains of operators
keep genomes valid and buildable.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import torch
from torch import Tensor

from nas_ops.genome.genome import Genome
from nas_ops.genome.serialize import from_json, to_dict, to_json
from nas_ops.genome.validate import validate
from nas_ops.phenotype.inherit import child_model, units_of
from nas_ops.phenotype.model import Phenotype, build_model
from nas_ops.rng import generator, torch_seed
from nas_ops.spaces import SearchSpace, get_space
from nas_ops.variation import (
    OPERATORS,
    VariationContext,
    VariationEvent,
    VariationResult,
    get_operator,
    protected_nodes,
    replay_event,
)


def _specs() -> Any:
    from nas_ops.tasks.base import InputSpec, OutputSpec

    return InputSpec, OutputSpec


def example_tasks() -> dict[str, SimpleNamespace]:
    """Task signatures (specs only, no data) covering signals, images, vectors, two inputs."""
    inp, out = _specs()
    paper = (out("class", "classification", 10), out("histogram", "regression", 32))
    return {
        "mnist1d": SimpleNamespace(inputs=(inp("x", "signal", (1, 40)),), outputs=(
            *paper, out("reconstruction", "generation", 40, "x"))),
        "digits": SimpleNamespace(inputs=(inp("x", "image", (1, 8, 8)),), outputs=(
            *paper, out("reconstruction", "generation", 64, "x"))),
        "mixed": SimpleNamespace(inputs=(inp("a", "vector", (12,)), inp("b", "signal", (2, 16))),
                                 outputs=(out("y", "classification", 3),
                                          out("z", "regression", 5))),
    }


def table_tasks(space: SearchSpace) -> list[SimpleNamespace]:
    """Task signatures of a benchmark-table space: one per dataset, named by its one input."""
    inp, out = _specs()
    from nas_ops.tables import spec

    return [SimpleNamespace(inputs=(inp(ds, "vector", (1,)),),
                            outputs=(out("class", "classification", 1),))
            for ds in spec(space.table).files]


def example_genomes(n: int = 9, seed: int = 0, spaces: Sequence[str] = ("multinet",)) -> \
        list[Genome]:
    """``n`` genomes sampled round-robin over :func:`example_tasks` and ``spaces`` (a table
    space's own datasets, :func:`table_tasks`, for a benchmark-table space)."""
    out = []
    for k in range(n):
        space = get_space(spaces[k % len(spaces)])
        tasks = table_tasks(space) if space.table else list(example_tasks().values())
        g = space.sample(tasks[k % len(tasks)], generator(seed, "example", k))
        out.append(g.with_lineage(f"example{k}", (), None))
    return out


def partner(genome: Genome, seed: int) -> Genome:
    """A second parent for crossover: another genome of the same task and space."""
    task = SimpleNamespace(inputs=genome.inputs, outputs=genome.outputs)
    inp, out = _specs()
    sig = SimpleNamespace(
        inputs=tuple(inp(i.id, i.dtype, i.shape) for i in task.inputs),
        outputs=tuple(out(o.id, o.kind, o.size, _source(genome, o.kind, o.size))
                      for o in task.outputs))
    g = get_space(genome.space).sample(sig, generator(seed, "partner"))
    return g.with_lineage(f"partner{seed}", (), None)


def _source(genome: Genome, kind: str, size: int) -> str | None:
    if kind != "generation":
        return None
    return next(i.id for i in genome.inputs if i.size == size)


def parents_for(name: str, genome: Genome, seed: int) -> tuple[Genome, ...]:
    return (genome,) if get_operator(name).arity == 1 else (genome, partner(genome, seed))


def run(name: str, parents: Sequence[Genome], seed: int, safe: Sequence[str] = (),
        space: SearchSpace | None = None) -> VariationResult:
    ctx = VariationContext.from_seed(seed, space or get_space(parents[0].space), safe)
    return get_operator(name)(tuple(parents), ctx)


# ------------------------------------------------------------------------------- the checks
def check_inputs_unchanged(name: str, parents: Sequence[Genome], seed: int) -> None:
    before = [json.dumps(to_dict(p)) for p in parents]  # to_json would reuse its kept text
    copies = [from_json(j) for j in before]
    run(name, parents, seed)
    assert [json.dumps(to_dict(p)) for p in parents] == before, f"{name} changed its parents"
    assert list(parents) == copies, f"{name} changed its parents"


def _fingerprint(res: VariationResult) -> str:
    return json.dumps([[to_json(c) for c in res.children],
                       res.event.to_dict()], sort_keys=True)


def check_deterministic(name: str, parents: Sequence[Genome], seed: int) -> None:
    a, b = run(name, parents, seed), run(name, parents, seed)
    assert _fingerprint(a) == _fingerprint(b), f"{name}: same seed gave different results"


def check_replay(name: str, parents: Sequence[Genome], seed: int) -> None:
    res = run(name, parents, seed)
    again = replay_event(VariationEvent.from_dict(res.event.to_dict()), parents)
    assert _fingerprint(again) == _fingerprint(res), f"{name}: replay gave a different result"


def check_valid(name: str, parents: Sequence[Genome], seed: int) -> None:
    op = get_operator(name)
    res = run(name, parents, seed)
    status = res.event.status
    assert status != "failed", f"{name} failed: {res.event.reason}"
    expect = "ok" if op.applicable(tuple(parents)) else "not_applicable"
    assert status == expect, f"{name}: applicable() says {expect}, call ended {status}"
    if status == "ok":
        assert res.children, f"{name}: ok without children"
        assert len(res.inheritance) == len(res.children) == len(res.event.per_child)
        for child in res.children:
            validate(child, get_space(child.space).rules)
    else:
        assert res.children == (), f"{name}: {status} with children"


def check_lineage(name: str, parents: Sequence[Genome], seed: int) -> None:
    res = run(name, parents, seed)
    if not res.ok:
        return
    uids = [c.uid for c in res.children]
    assert all(uids) and len(set(uids)) == len(uids), f"{name}: child uids {uids}"
    assert res.event.children == uids
    for c in res.children:
        assert c.parents == tuple(res.event.parents), f"{name}: child parents {c.parents}"
        assert c.operator == name, f"{name}: child operator {c.operator!r}"
    assert res.event.parents == [p.uid for p in parents]
    assert res.event.operator == name and res.event.version == get_operator(name).version


def check_event_json(name: str, parents: Sequence[Genome], seed: int) -> None:
    event = run(name, parents, seed).event
    text = json.dumps(event.to_dict())
    assert VariationEvent.from_dict(json.loads(text)) == event, f"{name}: event JSON round trip"


def check_safe(name: str, parents: Sequence[Genome], seed: int) -> None:
    op = get_operator(name)
    for out in parents[0].output_ids:
        res = run(name, parents, seed, safe=(out,))
        assert res.event.status != "failed", f"{name} safe={out}: {res.event.reason}"
        if op.family == "hyperparameter":
            assert res.event.status == "not_applicable", f"{name} ran with a safe output"
        if not res.ok:
            continue
        assert out not in res.event.affected_outputs, f"{name} affected safe output {out}"
        for i, detail in enumerate(res.event.per_child):
            guard = protected_nodes(parents[min(i, len(parents) - 1)], (out,))
            hit = set(detail.touched) & guard
            assert not hit, f"{name} touched {sorted(hit)} protecting {out}"


def example_batch(genome: Genome, seed: int, n: int = 6) -> dict[str, Tensor]:
    gen = torch.Generator().manual_seed(torch_seed(seed, "batch"))
    return {i.id: torch.randn((n, *i.shape), generator=gen) for i in genome.inputs}


def perturbed_model(genome: Genome, seed: int) -> Phenotype:
    """A model whose every parameter and batch-norm statistic is randomized (as if trained),
    so that weight copies and transforms are tested on non-trivial values."""
    model = build_model(genome, seed)
    gen = torch.Generator().manual_seed(torch_seed(seed, "perturb"))
    with torch.no_grad():
        for key, t in model.state_dict().items():
            if not t.is_floating_point():
                continue
            noise = torch.rand(t.shape, generator=gen) if key.endswith("running_var") else \
                torch.randn(t.shape, generator=gen)
            t.add_(0.1 * noise)
    return model.eval()


def _predict(model: torch.nn.Module, batch: dict[str, Tensor]) -> dict[str, Tensor]:
    with torch.no_grad():
        return dict(model.eval()(batch).outputs)


def check_affected_outputs(name: str, parents: Sequence[Genome], seed: int) -> None:
    """Outputs not affected predict identically once weights are inherited; function-preserving
    operators keep every output (allclose); ``full`` networks hold their source's tensors."""
    res = run(name, parents, seed)
    if not res.ok or get_space(parents[0].space).table:  # table entries build no model
        return
    models = [perturbed_model(p, seed) for p in parents]
    states = [m.state_dict() for m in models]
    batch = example_batch(parents[0], seed)
    preserving = get_operator(name).function_preserving
    for i, child in enumerate(res.children):
        pi = min(i, len(parents) - 1)
        before = _predict(models[pi], batch)
        model = child_model(child, res.parents, res.inheritance[i], states, seed + 1)
        after = _predict(model, batch)
        for out in child.output_ids:
            if out not in res.event.per_child[i].affected_outputs:
                assert torch.equal(before[out], after[out]), f"{name}: unaffected {out} changed"
            elif preserving:
                assert torch.allclose(before[out], after[out], rtol=1e-4, atol=1e-5), (
                    f"{name}: function-preserving but {out} changed by "
                    f"{(before[out] - after[out]).abs().max():.3g}")
        _check_full_copies(name, res, i, model, models)


def _check_full_copies(name: str, res: VariationResult, i: int, model: Phenotype,
                       parents: Sequence[Phenotype]) -> None:
    for cid, entry in res.inheritance[i].items():
        if entry.mode != "full" or entry.transforms or entry.parent is None or not entry.source:
            continue
        mine = model.networks[cid]
        theirs = parents[entry.parent].networks[entry.source]
        pu = units_of(theirs)
        for unit, path in units_of(mine).items():
            got = mine.get_submodule(path).state_dict()
            want = theirs.get_submodule(pu[unit]).state_dict()
            for key, tensor in got.items():
                assert torch.equal(tensor, want[key]), f"{name}: {cid} is full, {unit} differs"


def random_chain(genome: Genome, steps: int, seed: int,
                 names: Sequence[str] | None = None) -> tuple[Genome, list[str]]:
    """Apply ``steps`` random applicable operators in a row; every call must end ``ok``."""
    rng = generator(seed, "chain")
    names = list(names or OPERATORS.names())
    current, pool, applied = genome, [genome], []
    for step in range(steps):
        for k in rng.permutation(len(names)):
            op = get_operator(names[int(k)])
            parents = (current,) if op.arity == 1 else (current, pool[int(rng.integers(len(pool)))])
            ctx = VariationContext.from_seed(int(rng.integers(2**31)), current.space)
            res = op(parents, ctx)
            assert res.event.status != "failed", f"step {step} {op.name}: {res.event.reason}"
            if res.ok:
                current = validate(res.children[0], get_space(current.space).rules)
                pool.append(current)
                applied.append(op.name)
                break
    return current, applied


def check_chain(genome: Genome, steps: int, seed: int) -> list[str]:
    """A random chain stays valid and its final genome builds and runs forward."""
    final, applied = random_chain(genome, steps, seed)
    if get_space(final.space).table:  # a table entry builds no model: valid is all it can be
        return applied
    model = build_model(final, seed).eval()
    batch = example_batch(final, seed)
    with torch.no_grad():
        fwd = model(batch)
    for out in final.outputs:
        y = fwd.outputs[out.id]
        assert y.shape == (len(next(iter(batch.values()))), out.size), f"{out.id}: {y.shape}"
        assert torch.isfinite(y).all(), f"{out.id} is not finite after {applied}"
    return applied


CHECKS = {
    "inputs_unchanged": check_inputs_unchanged,
    "deterministic": check_deterministic,
    "replay": check_replay,
    "valid": check_valid,
    "lineage": check_lineage,
    "event_json": check_event_json,
    "safe": check_safe,
    "affected_outputs": check_affected_outputs,
}


def check_operator(name: str, genomes: Sequence[Genome] | None = None,
                   seeds: Sequence[int] = (0, 1)) -> dict[str, int]:
    """Run every check on ``name`` over example genomes; return how often it was applicable."""
    counts = {"ok": 0, "not_applicable": 0}
    for k, genome in enumerate(genomes or example_genomes()):
        for seed in seeds:
            parents = parents_for(name, genome, seed + 100 * k)
            for check in CHECKS.values():
                check(name, parents, seed)
            counts[run(name, parents, seed).event.status] += 1
    return counts


__all__ = ["CHECKS", "check_chain", "check_operator", "example_batch", "example_genomes",
           "example_tasks", "parents_for", "partner", "perturbed_model", "random_chain",
           "run", "table_tasks"]
