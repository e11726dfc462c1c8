"""The evolutionary search engine (ask/tell on DEAP selection tools)."""

from nas_ops.engine.policies import AdaptivePolicy, Policy, UniformPolicy, WeightedPolicy
from nas_ops.engine.search import Search, SearchSummary, resume_search, run_search

__all__ = ["AdaptivePolicy", "Policy", "Search", "SearchSummary", "UniformPolicy",
           "WeightedPolicy", "resume_search", "run_search"]
