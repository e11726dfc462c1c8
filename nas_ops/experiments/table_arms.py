"""One run of the table reproduction study (docs/tables-results.md): an arm (random search,
regularized evolution, local search, NSGA-II) on one benchmark table, through the engine
(``run_search``, backend ``table``), kept as a compact anytime record.

The budget counts evaluations as the engine does (``budget.max_evals``): a genome the run
evaluated before is answered from its own ledger as a duplicate, which costs no lookup but
counts, as a query does in NASLib's loops; the record also holds the distinct lookups made
within each budget. At each budget ``b`` the record holds the architecture a user of the run
would pick after ``b`` evaluations: the best by VALIDATION performance among them (the first
found on a tie), and only then its test value, looked up for the record. The test
metric never enters a choice: :func:`picks` sees validation values only.

An arm is an algorithm (``aging``) or an algorithm with an operator policy (``aging:ucb``; the
policy comparison, docs/tables-policies.md); the plain name means policy ``uniform``. The
policies that read a file (``guided``: a guidelines.json; ``learned``: an effect model;
``transfer``: policy guided reading another table's guidelines,
docs/tables-transfer-search.md) find it per table in ``settings`` (``{"guidelines": {table:
path}, "models": {table: path}, "transferred": {table: path}, "temperature": t}``);
``settings`` may also set the
``population`` (default :data:`POPULATION`, offspring the same) and regularized evolution's
``tournament`` (default 10). Besides the picks, a record holds when the run first evaluated
the table's best architecture by selection value (``hit_val``) and by test value
(``hit_test``; evaluations so far, None if never), and the mix of its policy's choices
(``mix``: operator -> target -> attempts, from the ledger's variation rows, mutation operators
only).
"""

from __future__ import annotations

import functools
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from nas_ops.config import RunConfig, config_from_dict
from nas_ops.engine.runs import run_search
from nas_ops.spaces import get_space
from nas_ops.tables import get_table

ARMS = ("random", "aging", "local", "nsga2")
BUDGETS = (50, 100, 200, 500, 1000)
TABLES = tuple([f"nbgraph/{d}" for d in ("cora", "citeseer", "pubmed", "cs", "physics", "photo",
                                          "computers", "arxiv", "proteins")] + ["nb201/cifar10"])
POPULATION = 50
# second objective of NSGA-II (and of every arm's hypervolume): latency where the table has it
COMPLEXITY = {"nbgraph": "latency_us", "nb201": "parameters"}
# nb201's largest cell has 1.53 M parameters (log10 6.19): the reference must lie beyond it
HV_REFERENCE = {"nbgraph": {}, "nb201": {"parameters": 6.3}}
OPERATORS = {"nbgraph": ["nbgraph_change_op", "nbgraph_rewire", "nbgraph_crossover"],
             "nb201": ["nb201_change_op", "nb201_crossover"]}
_SEARCH = {  # per arm, beside population and offspring (50 each)
    "random": {},
    "aging": {"tournament": 10, "crossover_rate": 0.0},
    "local": {},
    "nsga2": {"crossover_rate": 0.2},
}


def split(table: str) -> tuple[str, str]:
    """``"nbgraph/cora"`` -> ``("nbgraph", "cora")``."""
    name, _, dataset = table.partition("/")
    return name, dataset


# policy -> its settings key; "transfer" is policy guided with another table's guidelines
POLICY_FILES = {"guided": "guidelines", "learned": "models", "transfer": "transferred"}
GUIDED = ("guided", "transfer")  # the arms' policies that run the engine's policy guided


def arm_parts(arm: str) -> tuple[str, str]:
    """``"aging:ucb"`` -> ``("aging", "ucb")``; ``"aging"`` -> ``("aging", "uniform")``."""
    algorithm, _, policy = arm.partition(":")
    return algorithm, policy or "uniform"


#: policies that choose among the mutation operators only (not their targets): on a space with
#: one mutation operator (nb201) they choose exactly as uniform does
OPERATOR_ONLY = ("frrmab", "ucb")


def same_as_uniform(table: str, arm: str) -> bool:
    """Whether ``arm`` on ``table`` chooses exactly as the same algorithm under ``uniform`` (by
    construction, so it is not run): an operator-only policy on a space with one mutation
    operator."""
    policy = arm_parts(arm)[1]
    mutations = [op for op in OPERATORS[split(table)[0]] if not op.endswith("_crossover")]
    return policy in OPERATOR_ONLY and len(mutations) == 1


def policy_section(table: str, policy: str, settings: Mapping[str, Any] | None
                   ) -> dict[str, Any]:
    """The ``[policy]`` of ``policy`` on ``table`` (its file from ``settings``)."""
    name = split(table)[0]
    section: dict[str, Any] = {"name": "guided" if policy in GUIDED else policy,
                               "operators": OPERATORS[name]}
    settings = settings or {}
    if policy in GUIDED:
        section["guidelines"] = settings.get(POLICY_FILES[policy], {}).get(table, "")
        section["explore"] = settings.get("explore", 0.1)
    if policy == "learned":
        section["model"] = settings.get("models", {}).get(table, "")
        section["temperature"] = settings.get("temperature", 0.25)
    return section


def arm_config(table: str, arm: str, seed: int, budget: int,
               settings: Mapping[str, Any] | None = None) -> RunConfig:
    """The run config of ``arm`` on ``table`` ("nbgraph/cora", "nb201/cifar10") for ``seed``,
    stopping after ``budget`` evaluations (``settings``: the files of guided and learned)."""
    name, dataset = split(table)
    algorithm, policy = arm_parts(arm)
    size = int((settings or {}).get("population", POPULATION))
    search = dict(_SEARCH[algorithm])
    if "tournament" in search and settings and "tournament" in settings:
        search["tournament"] = int(settings["tournament"])
    return config_from_dict({
        "seed": seed,
        "task": {"name": name, "options": {"dataset": dataset}},
        "space": {"name": name},
        "search": {"algorithm": algorithm, "population": size, "offspring": size,
                   "generations": budget, "complexity_objective": COMPLEXITY[name],
                   "hv_reference": HV_REFERENCE[name], **search},
        "policy": policy_section(table, policy, settings),
        # guided reads a diagnosis: the table backend gives none (docs/tables-policies.md)
        "evaluation": {"backend": "table", "inherit_weights": False,
                       **({"diagnose": True} if policy in GUIDED else {})},
        "budget": {"max_evals": budget},  # generations >= what it needs: max_evals stops
    })


def picks(settled: Sequence[tuple[int, float]], budgets: Sequence[int]) -> list[int | None]:
    """For each budget ``b``: the index into ``settled`` of the best validation value among the
    first ``b`` evaluations (the first on a tie; None if there are none). ``settled`` is
    ``(evaluations so far, validation value)`` per usable evaluation, in settle order."""
    out: list[int | None] = []
    best: int | None = None
    k = 0
    for b in sorted(budgets):
        while k < len(settled) and settled[k][0] <= b:
            if best is None or settled[k][1] > settled[best][1]:
                best = k
            k += 1
        out.append(best)
    return out


@functools.lru_cache(maxsize=16)
def optima(table: str) -> tuple[frozenset[int], frozenset[int]]:
    """(rows with the table's best selection value, rows with its best test value)."""
    from nas_ops.experiments.table_facts import columns

    val, test, _ = columns(table)
    return (frozenset(int(r) for r in (val == val.max()).nonzero()[0]),
            frozenset(int(r) for r in (test == test.max()).nonzero()[0]))


def mix_of(choices: Sequence[tuple[str, Any]]) -> dict[str, dict[str, int]]:
    """operator -> target (the operator's first decision: node or edge) -> attempts, over the
    run's variation attempts of mutation operators (every policy choice, applied or not);
    ``choices``: (operator, first decision's value) per attempt (:meth:`Ledger.choices`)."""
    from nas_ops.variation import RETRAIN_CONTROL, get_operator

    out: dict[str, dict[str, int]] = {}
    for op, first in choices:
        if op != RETRAIN_CONTROL and get_operator(op).arity != 1:
            continue
        # a retrained parent has no target (its decision names the child)
        target = str(first) if first is not None and op != RETRAIN_CONTROL else ""
        per = out.setdefault(op, {})
        per[target] = per.get(target, 0) + 1
    return {op: dict(sorted(t.items())) for op, t in sorted(out.items())}


def record_of(run_dir: Path, table: str, budgets: Sequence[int]) -> dict[str, Any]:
    """The compact record of a finished run: per budget the pick's table key, validation and
    test value, the hypervolume of everything evaluated within the budget (the engine's own
    trace) and the distinct lookups made within it. Reads the ledger's results, its trace and
    its choices; genomes only of the architectures it must key (picks, and evaluations whose
    value equals the table's best)."""
    from nas_ops.evaluation.table import row_metrics
    from nas_ops.genome import from_json
    from nas_ops.store.ledger import Ledger

    with Ledger(run_dir, "r") as ledger:
        points = ledger.hypervolume() or []
        records = ledger.evaluations()
        choices = ledger.choices()
        genome_json = ledger.individual_genome
        name, dataset = split(table)
        space = get_space(name)  # a table's space has the table's name
        loaded = get_table(name, dataset)
        rows: dict[str, int] = {}

        def row_of(uid: str) -> int:
            if uid not in rows:
                text = genome_json(uid)
                assert text is not None
                rows[uid] = loaded.row(space.key_of(from_json(text)))  # type: ignore[attr-defined]
            return rows[uid]

        settled: list[tuple[int, float]] = []
        items = []
        for point in points:
            ev = records.get(point.uid)
            if ev is None or not ev.ok:
                continue
            settled.append((point.evals_done, float(ev.val["class"]["accuracy"])))
            items.append(point.uid)
        chosen = picks(settled, budgets)
        rec: dict[str, Any] = {"key": [], "val": [], "test": [], "hv": [], "lookups": []}
        for b, k in zip(sorted(budgets), chosen, strict=True):
            within = [p for p in points if p.evals_done <= b]
            rec["hv"].append(within[-1].value if within else 0.0)
            rec["lookups"].append(within[-1].steps_done if within else 0)
            if k is None:
                for field in ("key", "val", "test"):
                    rec[field].append(None)
                continue
            rec["key"].append(loaded.keys[row_of(items[k])])
            rec["val"].append(settled[k][1])
            rec["test"].append(float(records[items[k]].test["class"]["accuracy"]))
        rec["evals"] = points[-1].evals_done if points else 0
        best_val, best_test = optima(table)
        # the values the backend records for those rows (the same code, so the same floats)
        top_val = {row_metrics(loaded, r)[0]["class"]["accuracy"] for r in best_val}
        top_test = {row_metrics(loaded, r)[1]["class"]["accuracy"] for r in best_test}
        rec["hit_val"] = rec["hit_test"] = None
        for point in points:
            ev = records.get(point.uid)
            if ev is None or not ev.ok:
                continue
            # only an evaluation whose value equals a best one can be that architecture
            maybe_val = rec["hit_val"] is None and ev.val["class"]["accuracy"] in top_val
            maybe_test = rec["hit_test"] is None and ev.test["class"]["accuracy"] in top_test
            if not (maybe_val or maybe_test):
                continue
            row = row_of(point.uid)
            if maybe_val and row in best_val:
                rec["hit_val"] = point.evals_done
            if maybe_test and row in best_test:
                rec["hit_test"] = point.evals_done
        rec["mix"] = mix_of(choices)
    return rec


def run_one(table: str, arm: str, seed: int, budgets: Sequence[int],
            scratch: str | Path | None = None,
            settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Run ``arm`` on ``table`` with ``seed`` to the largest budget in a temporary directory
    (under ``scratch``; deleted after) and return its record, with the search's wall time."""
    budget = max(budgets)
    config = arm_config(table, arm, seed, budget, settings)
    with tempfile.TemporaryDirectory(prefix="table-run-", dir=scratch) as tmp:
        start = time.perf_counter()
        run_search(config, Path(tmp) / "run", progress=False)
        wall = time.perf_counter() - start
        rec = record_of(Path(tmp) / "run", table, budgets)
    return {"table": table, "arm": arm, "seed": seed, "budgets": sorted(budgets), **rec,
            "wall_s": round(wall, 3)}


__all__ = ["ARMS", "BUDGETS", "COMPLEXITY", "GUIDED", "HV_REFERENCE", "POLICY_FILES", "TABLES",
           "OPERATOR_ONLY", "arm_config", "arm_parts", "mix_of", "optima", "picks",
           "policy_section", "record_of", "run_one", "same_as_uniform", "split"]
