"""What the tables may say in public (publication_rules.py, multiplicity.py, exact_intervals.py): adjusted
tests, exact-type intervals, design effects, flags on both bases and suppression in every public file."""

import math
from math import comb

import numpy as np
import pandas as pd
import pytest

from collaborative_citizen.analysis import publication_rules
from collaborative_citizen.analysis.exact_intervals import beta_quantile, korn_graubard, regularized_beta
from collaborative_citizen.analysis.multiplicity import adjust, benjamini_hochberg, holm
from collaborative_citizen.analysis.tables import weighted_tables

# Benjamini and Hochberg (1995), section 4: fifteen p-values from a study of myocardial infarction treatment.
BH_1995 = [
    0.0001,
    0.0004,
    0.0019,
    0.0095,
    0.0201,
    0.0278,
    0.0298,
    0.0344,
    0.0459,
    0.3240,
    0.4262,
    0.5719,
    0.6528,
    0.7590,
    1.0000,
]


def test_benjamini_hochberg_rejects_the_four_the_paper_rejects():
    adjusted = benjamini_hochberg(BH_1995)
    assert list(adjusted < 0.05) == [True] * 4 + [False] * 11
    # R: p.adjust(p, "BH")
    expected = [
        0.0015,
        0.0030,
        0.0095,
        0.035625,
        0.0603,
        0.0638571428571,
        0.0638571428571,
        0.0645,
        0.0765,
        0.486,
        0.5811818182,
        0.714875,
        0.7532307692,
        0.8132142857,
        1.0,
    ]
    assert adjusted == pytest.approx(expected, rel=1e-9)
    # Bonferroni-type Holm on the same values: only the first three survive.
    assert list(holm(BH_1995) < 0.05) == [True] * 3 + [False] * 12


def test_adjustment_ignores_untested_rows_and_picks_holm_for_a_small_family():
    p = [0.01, math.nan, 0.04, 0.03]
    adjusted, method = adjust(p)
    assert method == "holm" and math.isnan(adjusted[1])
    assert adjusted[[0, 2, 3]] == pytest.approx([0.03, 0.06, 0.06])
    assert adjust(BH_1995)[1] == "BH"


def test_the_incomplete_beta_matches_the_binomial_distribution():
    # I_x(a, n - a + 1) = P(Binomial(n, x) >= a): an identity that needs no reference software.
    for n, a, x in [(30, 7, 0.18), (147, 1, 0.01), (500, 250, 0.52), (12, 12, 0.9)]:
        tail = sum(comb(n, k) * x**k * (1 - x) ** (n - k) for k in range(a, n + 1))
        assert regularized_beta(x, a, n - a + 1) == pytest.approx(tail, rel=1e-12)
        assert regularized_beta(beta_quantile(tail, a, n - a + 1), a, n - a + 1) == pytest.approx(tail, rel=1e-9)


def test_an_exact_interval_at_zero_is_clopper_pearson():
    low, high = korn_graubard(0.0, 0.0, 147)
    assert low == 0.0 and high == pytest.approx(1 - 0.025 ** (1 / 147), rel=1e-12)  # 2.48%
    low, high = korn_graubard(1.0, 0.0, 147)
    assert high == 1.0 and low == pytest.approx(0.025 ** (1 / 147), rel=1e-12)
    # 4 of 200, equally weighted: Clopper-Pearson's (0.5476%, 5.041%).
    p = 4 / 200
    low, high = korn_graubard(p, math.sqrt(p * (1 - p) / 200), 200)
    assert (low, high) == pytest.approx((0.005475566, 0.050413609), abs=2e-6)


@pytest.fixture(scope="module")
def rules(table):
    return publication_rules.apply(table)


def test_shares_at_zero_get_an_interval_that_is_not_empty(rules):
    zero = rules[(rules.pct == 0) & (rules.flag != "suppressed")]
    assert len(zero) and (zero.ci_method == "beta").all() and (zero.ci_high > 0).all() and (zero.ci_low == 0).all()
    middle = rules[(rules.pct > 30) & (rules.pct < 70) & (rules.flag == "")]
    assert (middle.ci_method == "logit").all()


def test_the_design_effect_is_one_for_an_equally_weighted_sample(respondents):
    equal = respondents.data.copy()
    equal[respondents.wave.weight] = 1.0
    respondents_equal = type(respondents)(
        respondents.wave, respondents.codebook, equal, respondents.source, respondents.asked
    )
    totals = publication_rules.apply(weighted_tables(respondents_equal))
    totals = totals[(totals.breakdown == "total") & totals.deff.notna()]
    everyone = totals.base_unweighted == len(equal)
    assert totals[everyone].deff.to_numpy() == pytest.approx(1.0, abs=1e-9)
    # A split half's variance uses the whole sample's n/(n - 1), as R's survey does for a domain.
    assert totals[~everyone].deff.to_numpy() == pytest.approx(1.0, abs=2e-3)


def test_the_design_effect_is_the_variance_ratio(rules):
    row = rules[
        (rules.breakdown == "total") & (rules.question == "fairness") & (rules.answer == "equal_opportunity")
    ].iloc[0]
    p, se, n = row.pct / 100, row.se / 100, row.base_unweighted
    assert row.deff == pytest.approx(se**2 / (p * (1 - p) / (n - 1)), rel=1e-12) and row.deff > 1


def test_flags_use_the_effective_base_as_well(rules):
    assert ((rules.base_effective < 50) <= (rules.flag == "suppressed")).all()
    assert (
        ((rules.base_effective < 100) & (rules.base_effective >= 50) & (rules.base_unweighted >= 50))
        <= (rules.flag == "low_base")
    ).all()
    assert publication_rules.base_flag(120, 80) == "low_base" and publication_rules.base_flag(60, 45) == "suppressed"
    assert ((rules.base_unweighted >= 100) & (rules.base_effective < 100)).any()  # cells the old rule missed


def test_only_eligible_tests_are_adjusted_and_two_group_breakdowns_count_once(rules):
    adjusted = rules[rules.p_vs_rest_adjusted.notna()]
    assert (adjusted.flag == "").all() and (adjusted.breakdown != "total").all()
    assert (adjusted.p_vs_rest_adjusted >= adjusted.p_vs_rest - 1e-15).all()
    sex = adjusted[(adjusted.breakdown == "sex") & (adjusted.question == "fairness")]
    assert sex.groupby("answer").p_vs_rest_adjusted.nunique().eq(1).all()


def test_a_suppressed_cell_carries_no_estimate_or_test(rules):
    public = publication_rules.suppress(rules)
    hidden = public[public.flag == "suppressed"]
    assert len(hidden)
    for column in publication_rules.ESTIMATES:
        assert hidden[column].isna().all(), column
    assert (hidden.base_unweighted > 0).all()
    assert public[public.flag != "suppressed"].pct.notna().all()
