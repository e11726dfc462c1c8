"""nas-ops: neural architecture search of heterogeneous multi-network models that studies its own
variation operators.

The public API is what this module exports; everything else is internal. Names whose modules
need torch are imported on first use, so ``import nas_ops`` (and reading a config) stays light::

    search = nas_ops.create_search("studies/quickstart.toml", "runs/q", load_if_exists=True)
    search.run()                    # or: for c in search.ask(): search.tell(c.uid, record)
    nas_ops.build_report("runs/q", "runs/q/report")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nas_ops._version import __version__
from nas_ops.config import (
    BudgetConfig,
    EvaluationConfig,
    FidelityConfig,
    PolicyConfig,
    PrefilterConfig,
    RunConfig,
    SearchConfig,
    SpaceConfig,
    StudyConfig,
    TaskConfig,
    load_config,
)
from nas_ops.errors import (
    AllFailedError,
    ConfigError,
    EvaluationError,
    GenomeError,
    LedgerError,
    MachineError,
    NasOpsError,
    TaskError,
    UnknownNameError,
)
from nas_ops.infra.lazy import exports, loader

if TYPE_CHECKING:
    from nas_ops.analysis import analyze_run
    from nas_ops.engine import (
        Candidate,
        Search,
        SearchSummary,
        create_search,
        run_search,
        run_study,
    )
    from nas_ops.engine import resume_search as resume
    from nas_ops.genome import Genome, complexity, structural_hash
    from nas_ops.metrics.capacity import CapacityAllocation, capacity_allocation
    from nas_ops.metrics.proxies import score as proxy_scores
    from nas_ops.phenotype import build_model
    from nas_ops.records import EvalRecord, EvalRequest
    from nas_ops.report import build_report
    from nas_ops.shortcuts import sample_genome, validate
    from nas_ops.spaces import SearchSpace, get_space, list_spaces, register_space
    from nas_ops.store import Run, RunMeta, load_run
    from nas_ops.tasks import Task, list_tasks, load_task, register_task
    from nas_ops.training import Budget, TrainResult, evaluate, train
    from nas_ops.variation import (
        NotApplicable,
        Operator,
        VariationContext,
        apply_operator,
        list_operators,
        register_operator,
    )

_LAZY = exports({
    "nas_ops.analysis": ["analyze_run"],
    "nas_ops.metrics.capacity": ["CapacityAllocation", "capacity_allocation"],
    "nas_ops.engine": ["Candidate", "Search", "SearchSummary", "create_search", "run_search",
                       "run_study"],
    "nas_ops.genome": ["Genome", "complexity", "structural_hash"],
    "nas_ops.phenotype": ["build_model"],
    "nas_ops.report": ["build_report"],
    "nas_ops.shortcuts": ["sample_genome", "validate"],
    "nas_ops.spaces": ["SearchSpace", "get_space", "list_spaces", "register_space"],
    "nas_ops.records": ["EvalRecord", "EvalRequest"],
    "nas_ops.store": ["Run", "RunMeta", "load_run"],
    "nas_ops.tasks": ["Task", "list_tasks", "load_task", "register_task"],
    "nas_ops.training": ["Budget", "TrainResult", "evaluate", "train"],
    "nas_ops.variation": ["NotApplicable", "Operator", "VariationContext", "apply_operator",
                          "list_operators", "register_operator"],
})
_LAZY["resume"] = ("nas_ops.engine", "resume_search")
_LAZY["proxy_scores"] = ("nas_ops.metrics.proxies", "score")

__getattr__, __dir__ = loader(__name__, _LAZY)


__all__ = [
    "__version__",
    # configs
    "BudgetConfig", "EvaluationConfig", "FidelityConfig", "PolicyConfig", "PrefilterConfig",
    "RunConfig", "SearchConfig", "SpaceConfig", "StudyConfig", "TaskConfig", "load_config",
    # searches, studies and runs
    "Candidate", "Search", "SearchSummary", "create_search", "load_run", "resume", "run_search",
    "run_study", "Run", "RunMeta", "EvalRecord", "EvalRequest",
    # analysis and reports
    "analyze_run", "build_report", "CapacityAllocation", "capacity_allocation", "proxy_scores",
    # operators
    "NotApplicable", "Operator", "VariationContext", "apply_operator", "list_operators",
    "register_operator",
    # genomes, spaces, tasks, models, training
    "Genome", "complexity", "sample_genome", "structural_hash", "validate", "SearchSpace",
    "get_space", "list_spaces", "register_space", "Task", "list_tasks", "load_task",
    "register_task", "build_model", "Budget", "TrainResult", "evaluate", "train",
    # errors
    "AllFailedError", "ConfigError", "EvaluationError", "GenomeError", "LedgerError",
    "MachineError", "NasOpsError", "TaskError", "UnknownNameError",
]
