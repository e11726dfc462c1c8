"""The proxy pre-filter of a generation's offspring (``[search] prefilter``; docs/fidelity.md).

The generational loop breeds ``oversample`` x ``offspring`` candidates (slots 0 .. n - 1, uids
``g<gen>-<slot>`` as always); :func:`prefilter` scores each with one zero-cost proxy per output
(``nas_ops.proxy_scores``: the model built with the candidate's own evaluation seed, the
mini-batch drawn with the run's seed, no training), keeps ``offspring`` of them by non-dominated
sorting of the per-output scores (higher is better for every proxy, ``params`` included), and
records every candidate's scores, front and decision in the ledger table ``prefilter`` before
anything of the generation is evaluated. A resumed run reads the recorded decisions instead of
scoring again, so it keeps the same children. Dropped candidates are never evaluated: they are
not individuals, their variation rows stay, and they cost no training step.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

from nas_ops.engine.individuals import Candidate
from nas_ops.errors import GenomeError, NasOpsError
from nas_ops.fidelity import PrefilterConfig
from nas_ops.pareto import front_ranks
from nas_ops.store.ledger import Ledger
from nas_ops.tasks.base import Task


def keep_best(scores: Sequence[Sequence[float]], k: int) -> tuple[list[int], list[int]]:
    """The indices of the ``k`` kept candidates (in index order) and every candidate's front.
    Whole fronts are kept while they fit; within the front that does not, candidates go by the
    sum of their per-objective ranks over all candidates (0 = highest score; equal scores share
    the lower rank), then by index. Fronts are :func:`nas_ops.pareto.front_ranks` of the
    scores, every objective maximised (``-inf`` is the worst value and ties with itself)."""
    front = front_ranks(scores)
    n = len(scores)
    rank_sum = [0] * n
    for o in range(len(scores[0]) if n else 0):
        for i in range(n):
            rank_sum[i] += sum(scores[j][o] > scores[i][o] for j in range(n))
    order = sorted(range(n), key=lambda i: (front[i], rank_sum[i], i))
    return sorted(order[:k]), front


def _scores(task: Task, seed: int, cand: Candidate, proxy: str) -> list[float]:
    from nas_ops.metrics.proxies import score  # torch: only when the pre-filter is on

    try:
        found = score(cand.genome, task, cand.seed, data_seed=seed)
    except (GenomeError, ValueError, RuntimeError):  # a model the proxy cannot build: last
        return [-math.inf] * len(task.outputs)
    values = [found[o.name][proxy] for o in task.outputs]
    return [v if math.isfinite(v) or v == math.inf else -math.inf for v in values]


def prefilter(pf: PrefilterConfig, ledger: Ledger, task: Task, seed: int, generation: int,
              cands: list[Candidate], k: int) -> list[Candidate]:
    """The ``k`` candidates of ``cands`` the proxy keeps (slot order); the decision is recorded,
    or read back when the ledger has it (``seed``: the run's, which draws the mini-batch)."""
    recorded = ledger.prefilter_rows(generation)
    if recorded:
        by_uid = {r["uid"]: r for r in recorded}
        for cand in cands:
            row = by_uid.get(cand.uid)
            if row is None or row["hash"] != cand.hash:
                raise NasOpsError(f"generation {generation}: the recorded pre-filter does not "
                                  f"hold candidate {cand.uid} as bred now (code or config "
                                  "changed since the run started)")
        return [c for c in cands if by_uid[c.uid]["kept"]]
    scores = [_scores(task, seed, c, pf.proxy) for c in cands]
    kept, front = keep_best(scores, k)
    ledger.add_prefilter([
        (generation, c.slot, c.uid, c.hash, pf.proxy,
         json.dumps({o.name: _json_number(v) for o, v in zip(task.outputs, s, strict=True)},
                    sort_keys=True), front[i], int(i in kept))
        for i, (c, s) in enumerate(zip(cands, scores, strict=True))])
    return [cands[i] for i in kept]


def _json_number(v: float) -> float | str:
    """JSON has no infinities: they are written as the strings "inf" / "-inf"."""
    return v if math.isfinite(v) else ("inf" if v > 0 else "-inf")
