"""The evolutionary search engine: ask/tell searches on DEAP selection tools, and studies.

The names are imported on first use, so that reading the registries of algorithms
(:mod:`nas_ops.engine.algorithms`) and policies (:mod:`nas_ops.engine.policies`), as config
validation does, imports no torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nas_ops.infra.lazy import exports, loader

if TYPE_CHECKING:
    from nas_ops.engine.algorithms import ALGORITHMS, NSGA2, Aging, Algorithm, MuPlusLambda
    from nas_ops.engine.individuals import Candidate
    from nas_ops.engine.policies import (
        POLICIES,
        AdaptivePolicy,
        Choice,
        DiagnosisPolicy,
        FrrmabPolicy,
        GuidedPolicy,
        ParentState,
        Policy,
        UniformPolicy,
        WeightedPolicy,
        register_policy,
    )
    from nas_ops.engine.runs import create_search, resume_search, run_search, run_study
    from nas_ops.engine.search import Search
    from nas_ops.engine.study import Study
    from nas_ops.engine.summary import SearchSummary

__getattr__, __dir__ = loader(__name__, exports({
    "nas_ops.engine.algorithms": ["ALGORITHMS", "NSGA2", "Aging", "Algorithm",
                                  "MuPlusLambda"],
    "nas_ops.engine.individuals": ["Candidate"],
    "nas_ops.engine.policies": ["POLICIES", "AdaptivePolicy", "Choice", "DiagnosisPolicy",
                                "FrrmabPolicy", "GuidedPolicy", "ParentState", "Policy",
                                "UniformPolicy", "WeightedPolicy", "register_policy"],
    "nas_ops.engine.runs": ["create_search", "resume_search", "run_search", "run_study"],
    "nas_ops.engine.search": ["Search"],
    "nas_ops.engine.study": ["Study"],
    "nas_ops.engine.summary": ["SearchSummary"],
}))


__all__ = ["ALGORITHMS", "POLICIES", "AdaptivePolicy", "Aging", "Algorithm", "Candidate",
           "Choice", "DiagnosisPolicy", "FrrmabPolicy", "GuidedPolicy", "MuPlusLambda", "NSGA2",
           "ParentState", "Policy", "Search", "SearchSummary", "Study", "UniformPolicy",
           "WeightedPolicy", "create_search", "register_policy", "resume_search", "run_search",
           "run_study"]
