"""Weighted survey statistics: shares, their standard errors and CIs, and group tests.

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
from typing import Any

import numpy as np

from .distributions import t_quantile_upper

# The significance level of every test the report words as a difference or a change.
ALPHA = 0.05

# The same estimates for every domain of a table at once are in domain_sums.py; raking is in raking.py; the t
# distribution in distributions.py.
__all__ = [
    "GroupComparison",
    "ShareEstimate",
    "compare_with_rest",
    "compare_independent",
    "effective_base",
    "estimate_share",
    "weighted_share",
    "weighting_efficiency",
]


# --------------------------------------------------------------------------------------------
# Input checking
# --------------------------------------------------------------------------------------------


def as_weights(weights: Any) -> np.ndarray:
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
# Weights
# --------------------------------------------------------------------------------------------


def effective_base(weights: Any) -> float:
    """Kish effective sample size, (sum w)^2 / sum w^2.

    The number of equally weighted respondents that would give the same precision for a mean
    as this weighted sample (under Kish's assumption that weights are unrelated to the
    outcome). Scale-free, so raw, normalised or grossed-up weights give the same answer. An
    empty set of weights, or all-zero weights, has an effective base of 0.
    """
    w = as_weights(weights)
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
    w = as_weights(weights)
    if w.size == 0:
        return math.nan
    return effective_base(w) / w.size


def weighted_share(indicator: Any, weights: Any) -> float:
    """Weighted proportion sum(w*y) / sum(w), on the 0-1 scale.

    ``indicator`` holds 0/1 or booleans; NaN is treated as "not asked / missing" and excluded,
    as in :func:`estimate_share`, so both functions give the same point estimate. NaN if no
    answered respondent has positive weight.
    """
    w = as_weights(weights)
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


def logit_ci(share: float, se: float, df: int, level: float) -> tuple[float, float]:
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
    q = t_quantile_upper((1.0 - level) / 2.0, float(df))
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
    w = as_weights(weights)
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
    ci_low, ci_high = logit_ci(share, se, df, level)
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
    w = as_weights(weights)
    y = _as_indicator(indicator, w.size)
    g = _as_mask(group, w.size, "group")
    base = ~np.isnan(y)
    if domain is not None:
        base &= _as_mask(domain, w.size, "domain")
    if design is not None:
        return _design_comparison(y, w, base & g, base & ~g, design)
    p_g, se_g, _ = _domain_share(y, w, base & g)
    p_r, se_r, _ = _domain_share(y, w, base & ~g)
    return z_test(p_g, se_g, p_r, se_r)


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
    return z_test(current.share, current.se, earlier.share, earlier.se)


def z_test(p_1: float, se_1: float, p_2: float, se_2: float) -> GroupComparison:
    difference = p_1 - p_2
    if math.isnan(difference) or se_1 == 0.0 or se_2 == 0.0:
        z = p_value = math.nan
    else:
        z = difference / math.sqrt(se_1 * se_1 + se_2 * se_2)
        p_value = math.erfc(abs(z) / math.sqrt(2.0))
    return GroupComparison(share_group=p_1, share_rest=p_2, difference=difference, z=z, p_value=p_value)
