"""Time the units a study is made of, to size a study before running it (docs/study-design.md).

    python studies/time_study_unit.py studies/operator_effects_real.toml --bases 3

runs a small study with the config's task, budgets and base-model settings (``--bases`` base
models, one variation of ``--operator`` each, and its matched control), evaluating every request
in this process through ``ask()`` / ``tell()``, and prints per evaluation the CPU time
(``time.process_time``: robust to other load on a shared machine), the wall time and the steps,
then the extrapolation to the config's full size.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
from pathlib import Path

import torch

from nas_ops.config import load_config
from nas_ops.engine.study import Study
from nas_ops.evaluation.worker import run_request


def measure(config_path: Path, bases: int, operator: str) -> dict[str, list[float]]:
    config = load_config(config_path)
    small = dataclasses.replace(config.study, base_models=bases, operators=[operator],
                                variations=1, controls=0, mode="per_operator")
    config = dataclasses.replace(config, study=small)
    torch.set_num_threads(config.evaluation.torch_threads)
    cpu: dict[str, list[float]] = {"base": [], "child": []}
    with tempfile.TemporaryDirectory() as tmp:
        search = Study(config, Path(tmp) / "run", progress=False).search
        try:
            while not search.finished:
                for cand in search.ask():
                    assert cand.request is not None
                    t0, w0 = time.process_time(), time.perf_counter()
                    record = run_request(cand.request)
                    used, wall = time.process_time() - t0, time.perf_counter() - w0
                    kind = "base" if cand.generation == 0 else "child"
                    cpu[kind].append(used)
                    print(f"{cand.uid:10s} {kind:5s} cpu {used:7.2f} s  wall {wall:7.2f} s  "
                          f"steps {record.steps:6d}  {record.status}")
                    search.tell(cand.uid, record)
        finally:
            search.close()
    return cpu


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("config", type=Path)
    p.add_argument("--bases", type=int, default=3)
    p.add_argument("--operator", default="change_units")
    args = p.parse_args()
    cpu = measure(args.config, args.bases, args.operator)
    full = load_config(args.config)
    st = full.study
    n_ops = len(st.operators) if st.operators else 19
    per_base = n_ops * st.variations if st.mode == "per_operator" else st.variations
    children = per_base * (2 if st.matched_controls else 1) + st.controls
    base_s, child_s = statistics.mean(cpu["base"]), statistics.mean(cpu["child"])
    total = st.base_models * (base_s + children * child_s)
    workers = full.evaluation.workers
    print(f"mean CPU s: base {base_s:.1f}, child {child_s:.2f}; per base model: 1 base + "
          f"{children} children")
    print(f"full study: {st.base_models} bases -> {total / 3600:.2f} CPU h, "
          f"{total / 3600 / workers:.2f} h on {workers} workers")


if __name__ == "__main__":
    main()
