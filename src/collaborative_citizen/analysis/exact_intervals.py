"""Exact-type (Korn-Graubard) confidence intervals for shares at or near 0% and 100%, where the logit interval
degenerates: R's ``svyciprop(method = "beta")``.

R computes an effective sample size from the design, n* = p (1 - p) / var(p), and takes Clopper-Pearson's beta
quantiles at n* p and n* (1 - p) "successes and failures":

    lower = qbeta(alpha / 2, n* p, n* (1 - p) + 1)      upper = qbeta(1 - alpha / 2, n* p + 1, n* (1 - p))

For a share of exactly 0 or 1 the design variance is 0 and R's n* is undefined (NaN); the Kish effective base,
the same quantity for a weights-only design, is used instead, so that 0 of 147 equally weighted respondents gives
the Clopper-Pearson upper bound 1 - 0.025^(1/147) = 2.5%."""

from __future__ import annotations

import math

from .distributions import beta_continued_fraction, t_quantile_upper

# The exact interval replaces the logit one where fewer than this many effective respondents are on the smaller
# side of the share (n* min(p, 1 - p)): there the logit interval is unreliable or, at 0% and 100%, empty.
EXACT_BELOW = 5.0


def regularized_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b), the regularised incomplete beta function (the beta distribution's CDF), for a, b > 0."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = a * math.log(x) + b * math.log1p(-x) - (math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b))
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * beta_continued_fraction(x, a, b) / a
    return 1.0 - math.exp(log_front) * beta_continued_fraction(1.0 - x, b, a) / b


def beta_quantile(probability: float, a: float, b: float) -> float:
    """x with I_x(a, b) = probability (R's qbeta), by bisection to the last bit; qbeta(p, 0, b) = 0 and
    qbeta(p, a, 0) = 1, the limits R takes."""
    if a <= 0.0:
        return 0.0
    if b <= 0.0:
        return 1.0
    low, high = 0.0, 1.0
    for _ in range(200):
        middle = 0.5 * (low + high)
        if middle in (low, high):
            break
        if regularized_beta(middle, a, b) < probability:
            low = middle
        else:
            high = middle
    return 0.5 * (low + high)


def effective_n(share: float, se: float, kish: float) -> float:
    """R's n* = p (1 - p) / var(p); the Kish effective base where the variance is 0 (a share of 0 or 1)."""
    if se > 0.0 and 0.0 < share < 1.0:
        return share * (1.0 - share) / (se * se)
    return kish


def needs_exact_interval(share: float, se: float, kish: float) -> bool:
    if math.isnan(share) or kish <= 0.0:
        return False
    return effective_n(share, se, kish) * min(share, 1.0 - share) < EXACT_BELOW


def korn_graubard(
    share: float, se: float, kish: float, level: float = 0.95, rows: int | None = None, df: int | None = None
) -> tuple[float, float]:
    """The beta interval of a share (0-1) with linearised SE `se` and Kish effective base `kish`. Under a complex
    design R scales n* by (t(rows - 1) / t(df))^2, the t quantiles of the domain's rows and of its design
    degrees of freedom (PSUs minus strata); give both to do the same (for a weights-only design they agree)."""
    n = effective_n(share, se, kish)
    alpha = 1.0 - level
    if rows is not None and df is not None and rows > 1 and df > 0 and rows - 1 != df:
        n *= (t_quantile_upper(alpha / 2, float(rows - 1)) / t_quantile_upper(alpha / 2, float(df))) ** 2
    low = 0.0 if share <= 0.0 else beta_quantile(alpha / 2, n * share, n * (1.0 - share) + 1.0)
    high = 1.0 if share >= 1.0 else beta_quantile(1.0 - alpha / 2, n * share + 1.0, n * (1.0 - share))
    return low, high
