"""The evolutionary search engine: ask/tell searches on DEAP selection tools, and studies."""

from nas_ops.engine.algorithms import ALGORITHMS, NSGA2, Aging, Algorithm, MuPlusLambda
from nas_ops.engine.individuals import Candidate
from nas_ops.engine.policies import (
    AdaptivePolicy,
    Choice,
    DiagnosisPolicy,
    FrrmabPolicy,
    GuidedPolicy,
    ParentState,
    Policy,
    UniformPolicy,
    WeightedPolicy,
)
from nas_ops.engine.runs import create_search, resume_search, run_search, run_study
from nas_ops.engine.search import Search
from nas_ops.engine.study import Study
from nas_ops.engine.summary import SearchSummary

__all__ = ["ALGORITHMS", "AdaptivePolicy", "Aging", "Algorithm", "Candidate", "Choice",
           "DiagnosisPolicy", "FrrmabPolicy", "GuidedPolicy", "MuPlusLambda", "NSGA2",
           "ParentState", "Policy", "Search", "SearchSummary", "Study", "UniformPolicy",
           "WeightedPolicy", "create_search", "resume_search", "run_search", "run_study"]
