"""Weighted survey statistics: shares, their standard errors and CIs, group tests, raking.

Everything here is plain numpy so it can run thousands of times per report build without
pandas or scipy. The estimators deliberately reproduce R's ``survey`` package for a design
declared as ``svydesign(ids = ~1, weights = ~w, data = d)``: one stage, no strata, no
finite-population correction, i.e. a with-replacement (Taylor-linearised) variance. Matching a
widely used reference implementation lets reviewers check any published figure in R, and
``tests/reference/survey_reference.R`` pins the agreement to 1e-9.

Domain estimation. Subgroup figures must be computed as *domains of the whole sample*, not by
cutting the data down first: the with-replacement variance carries a factor N/(N-1) where N is
the number of respondents in the whole sample (this is what ``survey`` does after
``subset()``), and the domain size is itself random. Pass the full-sample arrays plus a
``domain`` mask; pre-filtered arrays give a (slightly) different standard error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping

import numpy as np

# The significance level of every test the report words as a difference or a change.
ALPHA = 0.05

__all__ = [
    "DomainSums",
    "GroupComparison",
    "ShareEstimate",
    "compare_with_rest",
    "effective_base",
    "estimate_share",
    "intervals_from_shares",
    "rake",
    "shares_from_sums",
    "weighted_share",
    "weighting_efficiency",
    "z_tests",
]


# --------------------------------------------------------------------------------------------
# Input checking
# --------------------------------------------------------------------------------------------


def _as_weights(weights: Any) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1:
        raise ValueError(f"weights must be one-dimensional, got shape {w.shape}")
    # NaN or negative weights would silently corrupt every sum below; fail loudly instead.
    if not np.isfinite(w).all():
        raise ValueError("weights must be finite (no NaN or inf)")
    if (w < 0).any():
        raise ValueError("weights must be non-negative")
    return w


def _as_indicator(indicator: Any, n: int) -> np.ndarray:
    y = np.asarray(indicator, dtype=float)
    if y.shape != (n,):
        raise ValueError(f"indicator has shape {y.shape}, expected ({n},) to match the weights")
    answered = ~np.isnan(y)
    # A 1-5 scale or a 0-100 percentage would still give a "share"; catch that mistake here.
    if not ((y[answered] == 0.0) | (y[answered] == 1.0)).all():
        raise ValueError("indicator must contain only 0, 1 (or True/False) and NaN for missing")
    return y


def _as_mask(mask: Any, n: int, name: str) -> np.ndarray:
    m = np.asarray(mask)
    # Integer arrays are refused because an array of row positions would otherwise be read
    # as a 0/1 mask and silently select the wrong respondents.
    if m.dtype != np.bool_:
        raise ValueError(f"{name} must be a boolean mask, got dtype {m.dtype}")
    if m.shape != (n,):
        raise ValueError(f"{name} has shape {m.shape}, expected ({n},) to match the weights")
    return m


# --------------------------------------------------------------------------------------------
# Student t quantile (no scipy)
# --------------------------------------------------------------------------------------------


_STIRLING_COEFFICIENTS = (
    1.0 / 12.0,
    -1.0 / 360.0,
    1.0 / 1260.0,
    -1.0 / 1680.0,
    1.0 / 1188.0,
    -691.0 / 360360.0,
    1.0 / 156.0,
    -3617.0 / 122400.0,
)


def _lgamma_correction(x: float) -> float:
    """lgamma(x) - [(x - 1/2) log x - x + log(2 pi)/2] for x >= 10, by the Stirling series.

    At x >= 10 the first omitted term is below 1e-17, so this is accurate to rounding.
    """
    x2 = 1.0 / (x * x)
    total = 0.0
    for coefficient in reversed(_STIRLING_COEFFICIENTS):
        total = total * x2 + coefficient
    return total / x


def _log_beta(p: float, q: float) -> float:
    """log B(p, q) without the cancellation of lgamma(p) + lgamma(q) - lgamma(p + q).

    For large q the two lgamma terms are huge and nearly equal; their difference loses about
    log10(q) digits, which is visible in t quantiles at df of a few thousand. As R's lbeta()
    does, the large-argument part is expanded with Stirling's formula so only small numbers
    are subtracted.
    """
    p, q = min(p, q), max(p, q)
    if q < 10.0 or p >= 10.0:
        # Only called with p = 1/2; two large arguments would need a further expansion.
        return math.lgamma(p) + math.lgamma(q) - math.lgamma(p + q)
    correction = _lgamma_correction(q) - _lgamma_correction(p + q)
    return math.lgamma(p) + correction + p - p * math.log(p + q) + (q - 0.5) * math.log1p(-p / (p + q))


def _beta_continued_fraction(x: float, a: float, b: float) -> float:
    """Continued fraction part of I_x(a, b) (Lentz's method), for x < (a + 1) / (a + b + 2)."""
    tiny = 1e-300
    c = 1.0
    d = 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 100_000):
        m2 = 2 * m
        num = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2))
        d = 1.0 + num * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + num / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0))
        d = 1.0 + num * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + num / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-16:
            return h
    raise ArithmeticError("incomplete beta continued fraction did not converge")


def _t_upper_tail(t: float, df: float) -> float:
    """P(T > t) for t >= 0 under Student's t with ``df`` degrees of freedom.

    P(T > t) = I_x(df/2, 1/2) / 2 with x = df / (df + t^2). x and 1 - x are formed separately
    (and their logs through log1p) because for large df x is close to 1 and forming 1 - x by
    subtraction would throw away the digits that matter.
    """
    if t <= 0.0:
        return 0.5
    t2 = t * t
    a, b = 0.5 * df, 0.5
    x = df / (df + t2)
    x_complement = t2 / (df + t2)
    log_x = -math.log1p(t2 / df)
    log_x_complement = -math.log1p(df / t2)
    log_front = a * log_x + b * log_x_complement - _log_beta(a, b)
    # The continued fraction converges fast only for x < (a + 1) / (a + b + 2); otherwise
    # evaluate the complementary I_{1-x}(b, a) and use I_x(a, b) = 1 - I_{1-x}(b, a).
    if x < (a + 1.0) / (a + b + 2.0):
        regularised = math.exp(log_front) * _beta_continued_fraction(x, a, b) / a
    else:
        regularised = 1.0 - math.exp(log_front) * _beta_continued_fraction(x_complement, b, a) / b
    return 0.5 * regularised


def _t_density(t: float, df: float) -> float:
    log_norm = -_log_beta(0.5, 0.5 * df) - 0.5 * math.log(df)
    return math.exp(log_norm - 0.5 * (df + 1.0) * math.log1p(t * t / df))


def _normal_upper_quantile(tail: float) -> float:
    """z with P(Z > z) = tail, for 0 < tail <= 0.5, by Newton on math.erfc."""
    z = math.sqrt(-2.0 * math.log(tail))  # crude start that is always to the right of the root
    for _ in range(100):
        f = 0.5 * math.erfc(z / math.sqrt(2.0)) - tail
        step = f / (math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi))
        z += step
        if abs(step) <= 1e-15 * max(z, 1.0):
            break
    return z


@lru_cache(maxsize=4096)
def _t_quantile_upper(tail: float, df: float) -> float:
    """t with P(T > t) = tail (0 < tail < 0.5), i.e. R's ``qt(1 - tail, df)``.

    Newton's method on the upper tail, started from the normal quantile. For t > 0 the tail is
    decreasing and convex and the normal quantile lies left of the t quantile, so the iterates
    increase monotonically to the root without overshooting. Cached because reports ask for the
    same few (level, df) pairs thousands of times.
    """
    if not 0.0 < tail < 0.5:
        raise ValueError(f"tail probability must be in (0, 0.5), got {tail}")
    if not df > 0:
        return math.nan
    t = _normal_upper_quantile(tail)
    previous = math.inf
    for _ in range(200):
        step = (_t_upper_tail(t, df) - tail) / _t_density(t, df)
        if abs(step) >= previous and abs(step) <= 1e-12 * t:
            break  # the tail's own rounding: further steps go back and forth
        t += step
        previous = abs(step)
        if abs(step) <= 4e-16 * t:
            break
    return t


# --------------------------------------------------------------------------------------------
# Weights
# --------------------------------------------------------------------------------------------


def effective_base(weights: Any) -> float:
    """Kish effective sample size, (sum w)^2 / sum w^2.

    The number of equally weighted respondents that would give the same precision for a mean
    as this weighted sample (under Kish's assumption that weights are unrelated to the
    outcome). Scale-free, so raw, normalised or grossed-up weights give the same answer. An
    empty set of weights, or all-zero weights, has an effective base of 0.
    """
    w = _as_weights(weights)
    sum_sq = float(w @ w)
    if sum_sq == 0.0:
        return 0.0
    total = float(w.sum())
    return total * total / sum_sq


def weighting_efficiency(weights: Any) -> float:
    """Effective base divided by the unweighted count, between 0 and 1.

    1 means the weights cost no precision (all equal); 0.6 means the weighted sample is worth
    60% of its nominal size. NaN for an empty array, where the ratio is undefined.
    """
    w = _as_weights(weights)
    if w.size == 0:
        return math.nan
    return effective_base(w) / w.size


def weighted_share(indicator: Any, weights: Any) -> float:
    """Weighted proportion sum(w*y) / sum(w), on the 0-1 scale.

    ``indicator`` holds 0/1 or booleans; NaN is treated as "not asked / missing" and excluded,
    as in :func:`estimate_share`, so both functions give the same point estimate. NaN if no
    answered respondent has positive weight.
    """
    w = _as_weights(weights)
    y = _as_indicator(indicator, w.size)
    answered = ~np.isnan(y)
    w_a = w[answered]
    total = float(w_a.sum())
    if total == 0.0:
        return math.nan
    return float(w_a @ y[answered]) / total


# --------------------------------------------------------------------------------------------
# Share with standard error and confidence interval
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShareEstimate:
    """A weighted share for one domain, with its precision.

    Attributes:
        share: weighted proportion, 0-1.
        se: Taylor-linearised standard error of the proportion (as ``survey::svymean``).
        ci_low, ci_high: confidence interval on the proportion scale, always inside [0, 1]
            (logit interval, as ``survey::svyciprop(method = "logit")``).
        base_unweighted: respondents in the domain who answered.
        base_weighted: sum of their weights.
        base_effective: Kish effective base of their weights.
    """

    share: float
    se: float
    ci_low: float
    ci_high: float
    base_unweighted: int
    base_weighted: float
    base_effective: float


def _domain_share(y: np.ndarray, w: np.ndarray, mask: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Share and linearised SE for the respondents in ``mask`` (already excluding missing y).

    Returns (share, se, weights of the domain). The share is NaN when the domain carries no
    weight.
    """
    w_d = w[mask]
    y_d = y[mask]
    total = float(w_d.sum())
    if total == 0.0:
        return math.nan, math.nan, w_d
    share = float(w_d @ y_d) / total
    # Linearisation of the ratio sum(w*y)/sum(w) over the domain: z_i = w_i (y_i - p) / W for
    # domain members and 0 elsewhere. These sum to exactly zero over the whole sample, so the
    # with-replacement variance is N/(N-1) * sum z_i^2, with N the WHOLE sample: that is what
    # survey computes for subset() of an uncalibrated design (rows are dropped but the
    # stratum's PSU count stays at N).
    resid = w_d * (y_d - share)
    sum_sq = float(resid @ resid)
    if sum_sq == 0.0:
        return share, 0.0, w_d
    n_total = y.size
    return share, math.sqrt(n_total / (n_total - 1.0) * sum_sq) / total, w_d


def _logit_ci(share: float, se: float, df: int, level: float) -> tuple[float, float]:
    """survey's "logit" interval: expit(logit(p) -/+ t * se / (p (1 - p))).

    svyciprop fits an intercept-only quasibinomial svyglm; its coefficient is logit(p) and, by
    the delta method, its standard error is se / (p (1 - p)) with se the svymean SE. Working
    directly from p avoids the IRLS fit (svyglm's coefficient agrees with logit(p) to about
    1e-12). The interval is asymmetric and never leaves [0, 1], which matters for the small
    and large shares that are common in subgroup tables.
    """
    if math.isnan(share):
        return math.nan, math.nan
    if share <= 0.0 or share >= 1.0:
        # logit(0) and logit(1) are infinite: the logit interval does not exist. Report the
        # degenerate interval (share, share) rather than R's numerically meaningless output,
        # and let the base sizes tell the reader how little that zero (or 100%) rests on.
        return share, share
    q = _t_quantile_upper((1.0 - level) / 2.0, float(df))
    centre = math.log(share / (1.0 - share))
    half_width = q * se / (share * (1.0 - share))
    return _expit(centre - half_width), _expit(centre + half_width)


def _expit(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def estimate_share(indicator: Any, weights: Any, domain: Any = None, level: float = 0.95, design=None) -> ShareEstimate:
    """Weighted share of respondents with ``indicator == 1`` in a domain, with SE and CI.

    Args:
        indicator: values over the WHOLE sample, 0/1 or bool; NaN means "not asked / missing"
            and puts the respondent outside the domain.
        weights: non-negative survey weights over the whole sample.
        domain: optional boolean mask over the whole sample (a subgroup such as age 15-24, or
            the half of a split sample that was asked). The estimate covers respondents in the
            domain whose indicator is not missing.
        level: confidence level of the interval.

    The numbers equal R's survey package for ``des <- svydesign(ids = ~1, weights = ~w,
    data = d)``:

    * ``share`` and ``se``: ``svymean(~y, subset(des, dom), na.rm = TRUE)``.
    * ``ci_low``/``ci_high``: ``svyciprop(~y, subset(des, dom & !is.na(y)), method = "logit",
      level = level)``. The t quantile has ``degf`` degrees of freedom, which after
      ``subset()`` is the number of domain respondents with a positive weight minus 1.
      (Missing answers are excluded first: called on ``subset(des, dom)`` with NA in y,
      svyciprop would count the non-answering rows in its degrees of freedom.)

    Pass full-sample arrays rather than pre-filtered ones: the SE uses N/(N-1) with N the
    whole sample, as survey does for a domain.

    With ``design`` (a sample_design.SampleDesign: strata, clusters, fpc) the SE is R's for
    ``svydesign(ids = ~psu, strata = ~stratum, weights = ~w, fpc = ~fpc, nest = TRUE)`` and the
    interval's degrees of freedom are the domain's PSUs minus strata (survey's degf()).

    Edge cases: a share of exactly 0 or 1 has SE 0 and the CI is reported as (share, share),
    because the logit interval is undefined there. A domain with no answered respondents (or
    only zero weights) gives NaN share, SE and CI.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    w = _as_weights(weights)
    y = _as_indicator(indicator, w.size)
    mask = ~np.isnan(y)
    if domain is not None:
        mask &= _as_mask(domain, w.size, "domain")
    share, se, w_d = _domain_share(y, w, mask)
    # survey's degf() counts only rows with non-zero weight; zero-weight rows still count in N.
    df = int(np.count_nonzero(w_d)) - 1
    if design is not None:
        from ..inputs.sample_design import design_share

        share, se = design_share(y, w, mask, design)
        df = design.degf(w, mask)
    ci_low, ci_high = _logit_ci(share, se, df, level)
    return ShareEstimate(
        share=share,
        se=se,
        ci_low=ci_low,
        ci_high=ci_high,
        base_unweighted=int(w_d.size),
        base_weighted=float(w_d.sum()),
        base_effective=effective_base(w_d),
    )


# --------------------------------------------------------------------------------------------
# Group against the rest
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupComparison:
    """A group's share against everyone else in the domain.

    ``difference`` is share_group - share_rest (proportion scale); ``z`` and the two-sided
    normal ``p_value`` test whether it is zero.
    """

    share_group: float
    share_rest: float
    difference: float
    z: float
    p_value: float


def compare_with_rest(indicator: Any, weights: Any, group: Any, domain: Any = None, design=None) -> GroupComparison:
    """Two-sided z test of a group's share against the rest of the domain.

    z = (p_g - p_r) / sqrt(se_g^2 + se_r^2), with each share and SE from
    :func:`estimate_share` (both sides as domains of the whole sample), and
    p = erfc(|z| / sqrt 2).

    Adding the two variances is not an approximation for this design: the linearised
    variables of two disjoint domains are never both non-zero for the same respondent and each
    sums to zero over the sample, so their with-replacement covariance is exactly 0 (R's
    ``vcov(svyby(~y, ~g, des, svymean, covmat = TRUE))`` shows 0 off the diagonal). The test is
    therefore the same as ``svycontrast`` on that ``svyby`` result, with a normal reference
    distribution, and uses the same SEs as the published confidence intervals.

    ``z`` and ``p_value`` are NaN when either side is empty or has SE 0 (a share of 0 or 1),
    where the normal approximation says nothing useful.

    Under a clustered ``design`` the two sides share PSUs and are not independent: the variance of
    the difference is that of the difference of their linearised variables, as ``svycontrast``
    gives on ``svyby(..., covmat = TRUE)``.
    """
    w = _as_weights(weights)
    y = _as_indicator(indicator, w.size)
    g = _as_mask(group, w.size, "group")
    base = ~np.isnan(y)
    if domain is not None:
        base &= _as_mask(domain, w.size, "domain")
    if design is not None:
        return _design_comparison(y, w, base & g, base & ~g, design)
    p_g, se_g, _ = _domain_share(y, w, base & g)
    p_r, se_r, _ = _domain_share(y, w, base & ~g)
    return _z_test(p_g, se_g, p_r, se_r)


def _design_comparison(y, w, group, rest, design) -> GroupComparison:
    from ..inputs.sample_design import design_share

    p_g, se_g = design_share(y, w, group, design)
    p_r, se_r = design_share(y, w, rest, design)
    difference = p_g - p_r
    if math.isnan(difference) or se_g == 0.0 or se_r == 0.0:
        return GroupComparison(p_g, p_r, difference, math.nan, math.nan)
    z_diff = np.zeros(len(w))
    z_diff[group] = w[group] * (y[group] - p_g) / w[group].sum()
    z_diff[rest] -= w[rest] * (y[rest] - p_r) / w[rest].sum()
    z = difference / math.sqrt(design.variance_of_total(z_diff))
    return GroupComparison(p_g, p_r, difference, z, math.erfc(abs(z) / math.sqrt(2.0)))


def compare_independent(current: ShareEstimate, earlier: ShareEstimate) -> GroupComparison:
    """Two-sided z test of a share against the same share in an independent sample, such as an
    earlier survey wave: z = (p_1 - p_2) / sqrt(se_1^2 + se_2^2). Independent samples have no
    covariance, so adding the variances is exact; each SE is the linearised one of its own wave."""
    return _z_test(current.share, current.se, earlier.share, earlier.se)


def _z_test(p_1: float, se_1: float, p_2: float, se_2: float) -> GroupComparison:
    difference = p_1 - p_2
    if math.isnan(difference) or se_1 == 0.0 or se_2 == 0.0:
        z = p_value = math.nan
    else:
        z = difference / math.sqrt(se_1 * se_1 + se_2 * se_2)
        p_value = math.erfc(abs(z) / math.sqrt(2.0))
    return GroupComparison(share_group=p_1, share_rest=p_2, difference=difference, z=z, p_value=p_value)


# --------------------------------------------------------------------------------------------
# The same estimates from per-domain sums (the vectorised table engine)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DomainSums:
    """Sufficient statistics of a 0/1 indicator over domains, one array element per domain.

    A table of thousands of cells needs only these sums per (cell, group), and they can all be
    accumulated in one pass over the respondents with ``np.bincount`` over group codes, instead
    of masking the whole sample once per cell. Over the answered respondents of a domain:

    * ``count``: how many; ``nonzero``: how many have a positive weight (survey's ``degf``);
    * ``w_chosen`` = sum of w over y = 1; ``w_other`` = sum of w over y = 0;
    * ``w2_chosen`` = sum of w^2 over y = 1; ``w2_other`` = sum of w^2 over y = 0.
    """

    count: np.ndarray
    nonzero: np.ndarray
    w_chosen: np.ndarray
    w_other: np.ndarray
    w2_chosen: np.ndarray
    w2_other: np.ndarray


def shares_from_sums(sums: DomainSums, n_total: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(share, se, base_weighted, base_effective) per domain, equal to :func:`estimate_share`.

    With W = w_chosen + w_other the domain's weight, p = w_chosen / W, and the linearised
    variable z_i = w_i (y_i - p) / W of :func:`_domain_share`,

        sum (w_i (y_i - p))^2 = (1 - p)^2 * sum_{y=1} w^2  +  p^2 * sum_{y=0} w^2,

    because y is 0 or 1. (Expanding instead as sum w^2 y - 2 p sum w^2 y + p^2 sum w^2 is the
    same algebra but subtracts nearly equal numbers when p is close to 1; the split form adds
    only non-negative terms.) se = sqrt(N / (N - 1) * that) / W with N = ``n_total``, the whole
    sample, as survey does for a domain. A domain with no weight gives NaN share and se; a share
    of exactly 0 or 1 (only one side has respondents) gives se 0. Results agree with
    :func:`estimate_share` to rounding (about 1e-15 relative), not bit for bit, since sums are
    accumulated in a different order.
    """
    w_chosen = np.asarray(sums.w_chosen, dtype=float)
    w_other = np.asarray(sums.w_other, dtype=float)
    w2_chosen = np.asarray(sums.w2_chosen, dtype=float)
    w2_other = np.asarray(sums.w2_other, dtype=float)
    total = w_chosen + w_other
    sum_w2 = w2_chosen + w2_other
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total == 0.0, np.nan, w_chosen / total)
        rest = 1.0 - share
        sum_sq = rest * rest * w2_chosen + share * share * w2_other
        factor = n_total / (n_total - 1.0)
        se = np.where(sum_sq == 0.0, 0.0, np.sqrt(factor * sum_sq) / total)
        se = np.where(total == 0.0, np.nan, se)
        effective = np.where(sum_w2 == 0.0, 0.0, total * total / sum_w2)
    return share, se, total, effective


def intervals_from_shares(
    share: np.ndarray, se: np.ndarray, nonzero: np.ndarray, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Logit confidence intervals as :func:`estimate_share` gives them, with df = nonzero - 1.

    Evaluated element by element with the same scalar code (the t quantile is cached per df), so
    an interval is exactly the one ``estimate_share`` would give for the same share and se."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    low = np.empty(len(share))
    high = np.empty(len(share))
    for i, (p, s, k) in enumerate(
        zip(np.asarray(share, dtype=float).tolist(), np.asarray(se, dtype=float).tolist(), np.asarray(nonzero).tolist())
    ):
        low[i], high[i] = _logit_ci(p, s, int(k) - 1, level)
    return low, high


def z_tests(p_1: np.ndarray, se_1: np.ndarray, p_2: np.ndarray, se_2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(z, p_value) of :func:`compare_with_rest` / :func:`compare_independent`, element by element."""
    z = np.empty(len(p_1))
    p = np.empty(len(p_1))
    for i, args in enumerate(zip(*(np.asarray(a, dtype=float).tolist() for a in (p_1, se_1, p_2, se_2)))):
        result = _z_test(*args)
        z[i], p[i] = result.z, result.p_value
    return z, p


# --------------------------------------------------------------------------------------------
# Raking
# --------------------------------------------------------------------------------------------


def rake(
    variables: Mapping[str, Any],
    targets: Mapping[str, Mapping[Any, float]],
    base_weights: Any = None,
    tolerance: float = 1e-10,
    max_iterations: int = 1000,
) -> np.ndarray:
    """Rim weighting (raking, iterative proportional fitting) to target marginal proportions.

    Each pass scales the weights, one variable at a time, so that the weighted distribution of
    that variable hits its targets; passes repeat until every variable's weighted proportions
    are within ``tolerance`` of target (absolute, proportion scale) at the same time. Only the
    margins are controlled, not their cross-classification, which is why raking works with
    population figures published one variable at a time. Starting from ``base_weights`` (for
    example design weights) preserves their relative sizes within each raking cell.

    Args:
        variables: name -> category code for every respondent (all the same length).
        targets: name -> {code: population proportion}; one entry per variable in
            ``variables``, proportions summing to 1.
        base_weights: optional non-negative starting weights; equal weights by default.
        tolerance: largest allowed gap between achieved and target proportions.
        max_iterations: maximum number of full passes over the variables.

    Returns:
        Weights scaled to mean 1 (they sum to the number of respondents), so weighted
        counts read on the sample scale.

    Raises:
        ValueError: if the variables and targets do not name the same variables, a variable's
            targets do not sum to 1 (within 1e-6) or include a negative proportion, a
            respondent has a code with no target, a category with a positive target has no
            respondent with positive weight, a category with target 0 has respondents, or the
            procedure does not converge within ``max_iterations`` (typically targets that the
            sample cannot reach, e.g. two variables that are identical in the sample but
            have different targets).
    """
    if set(variables) != set(targets):
        raise ValueError(
            "variables and targets must name the same variables: "
            f"variables={sorted(variables)}, targets={sorted(targets)}"
        )
    if not variables:
        raise ValueError("rake needs at least one variable")

    # Per variable: each respondent's category index, and the target proportion per category.
    cells: list[tuple[str, np.ndarray, np.ndarray]] = []
    n: int | None = None
    for name, codes_in in variables.items():
        codes = np.asarray(codes_in)
        if codes.ndim != 1:
            raise ValueError(f"variable {name!r} must be one-dimensional, got shape {codes.shape}")
        if n is None:
            n = codes.size
        elif codes.size != n:
            raise ValueError(f"variable {name!r} has {codes.size} values, expected {n}")
        target = targets[name]
        total = math.fsum(float(v) for v in target.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(
                f"targets for {name!r} sum to {total!r}, not 1; give proportions, not counts or percentages"
            )
        categories = list(target)
        props = np.array([float(target[c]) for c in categories], dtype=float)
        if (props < 0).any() or not np.isfinite(props).all():
            raise ValueError(f"targets for {name!r} must be finite and non-negative")
        index = np.full(codes.size, -1, dtype=np.intp)
        for k, category in enumerate(categories):
            index[codes == category] = k
        if (index < 0).any():
            unknown = sorted({str(c) for c in codes[index < 0]})
            raise ValueError(f"variable {name!r} has respondents with codes that have no target: {unknown}")
        cells.append((name, index, props / total))

    assert n is not None
    if base_weights is None:
        w = np.ones(n, dtype=float)
    else:
        w = _as_weights(base_weights).copy()
        if w.size != n:
            raise ValueError(f"base_weights has {w.size} values, expected {n}")

    for name, index, props in cells:
        present = np.bincount(index, weights=w, minlength=props.size)
        empty = [c for c, p, s in zip(targets[name], props, present) if p > 0 and s == 0]
        if empty:
            raise ValueError(
                f"variable {name!r}: target categories with no respondents (with positive "
                f"base weight): {empty}; merge or drop them"
            )
        # A zero target would set these respondents' weights to 0 without saying so.
        zeroed = [c for c, p, s in zip(targets[name], props, present) if p == 0 and s > 0]
        if zeroed:
            raise ValueError(
                f"variable {name!r}: categories with target 0 have respondents: {zeroed}; "
                "remove those respondents or give the category a target"
            )

    for iteration in range(max_iterations + 1):
        total_w = w.sum()
        gap = max(float(np.abs(np.bincount(index, w, props.size) / total_w - props).max()) for _, index, props in cells)
        if gap <= tolerance:
            return w * (n / total_w)
        if iteration == max_iterations:
            break
        for _, index, props in cells:
            achieved = np.bincount(index, weights=w, minlength=props.size)
            # Categories with target 0 have no weight (checked above), so 0/0 is avoided by
            # giving them factor 0.
            factor = np.divide(props * w.sum(), achieved, out=np.zeros_like(props), where=achieved > 0)
            w = w * factor[index]
    raise ValueError(
        f"raking did not converge within {max_iterations} iterations (largest gap between "
        f"achieved and target proportions {gap:.3g}); the targets may be unattainable with "
        "this sample, e.g. because categories are confounded across variables"
    )
