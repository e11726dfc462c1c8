"""Power of a paired comparison across seeds: what difference an exact Wilcoxon signed-rank test
on ``n`` paired differences can find, given their spread.

The approximation is the one docs/study-design.md uses: a one-sample t test on the paired
differences, with the sample size scaled by Wilcoxon's asymptotic efficiency against t for
normal data (3/pi), power from the noncentral t. It answers in units of the standard deviation
of the paired differences. Below ``min_pairs(alpha)`` pairs the exact test cannot reach
``alpha`` at all (its smallest two-sided p is 2 / 2**n), whatever the effect: the detectable
effect is then infinite.
"""

from __future__ import annotations

import math

from scipy import optimize, stats

ARE = 3 / math.pi  # asymptotic efficiency of Wilcoxon signed-rank against t, normal data
POWER = 0.8


def min_pairs(alpha: float) -> int:
    """The fewest pairs with which an exact two-sided Wilcoxon test can give p <= alpha."""
    n = 1
    while 2.0 ** (1 - n) > alpha:
        n += 1
    return n


def paired_power(effect: float, n: int, alpha: float) -> float:
    """Probability that the two-sided test at ``alpha`` finds a mean paired difference of
    ``effect`` standard deviations with ``n`` pairs (0 when the exact test cannot reach
    ``alpha``)."""
    if n < min_pairs(alpha):
        return 0.0
    n_eff = ARE * n
    df = max(n_eff - 1.0, 1.0)
    ncp = effect * math.sqrt(n_eff)
    crit = float(stats.t.ppf(1 - alpha / 2, df))
    upper = float(stats.nct.sf(crit, df, ncp))
    lower = float(stats.nct.cdf(-crit, df, ncp))
    # scipy answers NaN far in a tail: there the probability is 1 (upper) or 0 (lower)
    return (1.0 if math.isnan(upper) else upper) + (0.0 if math.isnan(lower) else lower)


def detectable_effect(n: int, alpha: float, power: float = POWER) -> float:
    """The smallest mean paired difference, in standard deviations of the differences, found
    with probability ``power`` by ``n`` pairs at ``alpha`` (``inf`` below ``min_pairs``)."""
    if n < min_pairs(alpha):
        return math.inf
    return float(optimize.brentq(lambda e: paired_power(e, n, alpha) - power, 1e-6, 100.0))


def pairs_needed(effect: float, alpha: float, power: float = POWER, most: int = 10_000) -> int:
    """The fewest pairs that find ``effect`` (in standard deviations) with ``power`` at
    ``alpha`` (``most`` + 1 when even ``most`` do not)."""
    n = min_pairs(alpha)
    while n <= most and paired_power(effect, n, alpha) < power:
        n += 1
    return n
