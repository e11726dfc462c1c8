"""Synthetic run ledgers with planted operator effects (real SQLite ledgers, no training).

``write_planted_run`` writes a study-like run: ``n_parents`` base models (generation 0), each
varied ``per_parent`` times by every planted operator (generation 1). A child's validation
metric on output o is its parent's plus ``mean + sd * N(0, 1)`` in the *signed* direction
(positive = better: accuracy up, errors down), for the (mean, sd) planted for (operator, o).
Every operator also has one not-applicable attempt per parent (no child) for the rates.

``matched``: every edit child also gets a matched control (operator ``matched_control``, uid
``m<edit uid>``, decision ``control_of``) whose affected outputs move by the planted
(mean, sd) of ``matched`` and whose unaffected outputs stay exactly at the parent's value.
``chance``: the first ``chance`` bases have class accuracy 0.1 (chance for 10 classes).
``bases_meta``: written as the ledger meta ``"bases"`` when given. ``config``: merged into
the run config. ``base_steps``: the training steps of base p's evaluation (10 by default, as
every child's).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from nas_ops.genome import Genome, to_json
from nas_ops.records import EvalRecord
from nas_ops.rng import generator
from nas_ops.spaces import get_space
from nas_ops.store import Ledger
from nas_ops.tasks import InputSpec, OutputSpec

OUTPUTS = {"class": ("accuracy", True), "histogram": ("mse", False),
           "reconstruction": ("recon_mse", False)}
SIGNATURE = SimpleNamespace(
    name="planted", inputs=(InputSpec("x", "signal", (1, 40)),),
    outputs=(OutputSpec("class", "classification", 10),
             OutputSpec("histogram", "regression", 32),
             OutputSpec("reconstruction", "generation", 40, source="x")))
Plant = dict[str, dict[str, tuple[float, float]]]  # operator -> output -> (mean, sd)

# The planted case of the issue: A improves class by +0.05 (sd 0.01); B changes nothing.
PLANTED: Plant = {"plant_a": {"class": (0.05, 0.01)}, "plant_b": {"class": (0.0, 0.01)}}


@functools.cache
def planted_genome() -> Genome:
    """A multinet genome for the three outputs: x -> n0 -> n1 -> class, n0 -> histogram,
    x -> n3 -> n2 -> reconstruction."""
    return get_space("multinet").sample(SIGNATURE, generator(0, "planted"))  # type: ignore[arg-type]


def _record(uid: str, values: dict[str, float], params: int, diagnosis: list[Any],
            steps: int = 10) -> EvalRecord:
    val = {o: {OUTPUTS[o][0]: v} for o, v in values.items()}
    complexity = {"parameters": params, "networks": 4, "connections": 7, "layers": 6,
                  "depth": 2, "flops": 2 * params}
    return EvalRecord(uid, "ok", val=val, test=val, complexity=complexity, wall_time_s=0.5,
                      device="cpu", steps=steps, diagnosis=diagnosis)


def _event(op: str, parent: str, child: str | None, touched: str, before: dict[str, int],
           d_params: int, decisions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    after = {**before, "parameters": before["parameters"] + d_params}
    status = "ok" if child else "not_applicable"
    affected = planted_genome().reachable_outputs([touched])
    per_child = {"touched": [touched], "affected_outputs": affected,
                 "neutral": False, "complexity_before": before, "complexity_after": after}
    return {"operator": op, "version": 1, "parents": [parent], "status": status,
            "children": [child] if child else [], "decisions": decisions or [],
            "touched": [touched],
            "affected_outputs": per_child["affected_outputs"] if child else [],
            "complexity_before": before, "complexity_after": [after] if child else [],
            "neutral": False, "reason": "" if child else "planted: nothing to do",
            "per_child": [per_child] if child else [], "inheritance": [], "diff": {}}


def _signed_step(value: float, output: str, delta: float) -> float:
    return value + delta if OUTPUTS[output][1] else value - delta


def write_planted_run(run_dir: Path, plant: Plant = PLANTED, n_parents: int = 20,
                      per_parent: int = 2, seed: int = 0, diagnose: bool = True,
                      matched: Plant | None = None, chance: int = 0,
                      bases_meta: dict[str, Any] | None = None,
                      config: dict[str, Any] | None = None,
                      base_steps: Callable[[int], int] | None = None) -> Path:
    """Write the ledger of a planted study into ``run_dir`` and return ``run_dir``."""
    rng = np.random.default_rng(seed)
    genome = planted_genome()
    text = to_json(genome)
    with Ledger(run_dir, "w") as ledger:
        ledger.set_meta("config", {"task": {"name": "planted"}, "seed": seed, **(config or {})})
        ledger.set_meta("versions", {"nas_ops": "test"})
        ledger.set_meta("seed", seed)
        ledger.set_meta("kind", "study")
        if bases_meta is not None:
            ledger.set_meta("bases", bases_meta)
        bases = []
        for p in range(n_parents):
            uid, params = f"b{p:03d}", 1000 + 100 * p
            values = {"class": float(rng.uniform(0.3, 0.7)), "histogram": float(
                rng.uniform(0.01, 0.05)), "reconstruction": float(rng.uniform(0.02, 0.08))}
            if p < chance:
                values["class"] = 0.1
            diag = [(net, "class", "relevance", float(rng.uniform(1.0, 3.0)))
                    for net in genome.network_ids] if diagnose else []
            ledger.add_individual(uid, 0, p, text, f"h{uid}", [], None, 0)
            ledger.add_evaluation(_record(uid, values, params, diag,
                                          base_steps(p) if base_steps else 10), [])
            bases.append(uid)
            _children(ledger, rng, plant, uid, p, per_parent, values, params, text, matched)
        ledger.set_population(0, bases)
        ledger.set_meta("status", "finished")
    return run_dir


def _moved(rng: np.random.Generator, plant: Plant, op: str, values: dict[str, float],
           affected: list[str] | None = None) -> dict[str, float]:
    return {o: v if affected is not None and o not in affected else _signed_step(
        v, o, plant[op].get(o, (0.0, 0.0))[0]
        + plant[op].get(o, (0.0, 0.0))[1] * float(rng.standard_normal()))
        for o, v in values.items()}


def _children(ledger: Ledger, rng: np.random.Generator, plant: Plant, parent: str, p: int,
              per_parent: int, values: dict[str, float], params: int, text: str,
              matched: Plant | None = None) -> None:
    before = {"parameters": params, "networks": 4, "connections": 7, "layers": 6}
    for j, op in enumerate(sorted(plant)):
        slot = (p * len(plant) + j) * (per_parent + 1)
        ledger.add_variation(1, slot, 0, _event(op, parent, None, "n0", before, 0), None)
        for k in range(per_parent):
            uid = f"v{p:03d}-{op}-{k}"
            child_values = _moved(rng, plant, op, values)
            d_params = 50 if op.endswith("a") else 0
            touched = ("n0", "n1")[k % 2]
            ledger.add_individual(uid, 1, slot + k + 1, text, f"h{uid}", [parent], op, 0)
            ledger.add_variation(1, slot + k + 1, 0,
                                 _event(op, parent, uid, touched, before, d_params), uid)
            ledger.add_evaluation(_record(uid, child_values, params + d_params, []), [])
            if matched is not None:
                _matched_control(ledger, rng, matched, parent, uid, slot + k + 1, values,
                                 params, text, touched)


def _matched_control(ledger: Ledger, rng: np.random.Generator, matched: Plant, parent: str,
                     edit: str, slot: int, values: dict[str, float], params: int, text: str,
                     touched: str) -> None:
    uid, op = f"m{edit}", "matched_control"
    before = {"parameters": params, "networks": 4, "connections": 7, "layers": 6}
    affected = planted_genome().reachable_outputs([touched])
    ledger.add_individual(uid, 1, 10**6 + slot, text, f"h{uid}", [parent], op, 0)
    event = _event(op, parent, uid, touched, before, 0, [{"name": "control_of", "value": edit}])
    ledger.add_variation(1, 10**6 + slot, 0, event, uid)
    ledger.add_evaluation(_record(uid, _moved(rng, {op: matched.get(op, {})}, op, values,
                                              affected), params, []), [])
