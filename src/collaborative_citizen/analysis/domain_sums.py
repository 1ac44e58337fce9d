"""The estimates of statistics.py from per-domain sums, for every domain of a table at once (the vectorised
table engine of tables.py): the same numbers, without a Python loop over cells."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .statistics import logit_ci, z_test

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
        low[i], high[i] = logit_ci(p, s, int(k) - 1, level)
    return low, high


def z_tests(p_1: np.ndarray, se_1: np.ndarray, p_2: np.ndarray, se_2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(z, p_value) of :func:`compare_with_rest` / :func:`compare_independent`, element by element."""
    z = np.empty(len(p_1))
    p = np.empty(len(p_1))
    for i, args in enumerate(zip(*(np.asarray(a, dtype=float).tolist() for a in (p_1, se_1, p_2, se_2)))):
        result = z_test(*args)
        z[i], p[i] = result.z, result.p_value
    return z, p
