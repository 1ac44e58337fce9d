"""Tests for collaborative_citizen.statistics.

The reference comparison reads tests/reference/survey_reference.csv, produced once by
tests/reference/survey_reference.R with R's survey package; R is not needed to run these tests.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from collaborative_citizen.analysis.distributions import t_quantile_upper, t_upper_tail
from collaborative_citizen.analysis.raking import rake
from collaborative_citizen.analysis.statistics import (
    GroupComparison,
    ShareEstimate,
    compare_with_rest,
    effective_base,
    estimate_share,
    weighted_share,
    weighting_efficiency,
)

REFERENCE_DIR = Path(__file__).parent / "reference"
REL = 1e-9


# --------------------------------------------------------------------------------------------
# Agreement with R's survey package
# --------------------------------------------------------------------------------------------


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def _number(text: str) -> float:
    return math.nan if text in ("", "NA") else float(text)


@pytest.fixture(scope="module")
def sample() -> dict[str, np.ndarray]:
    rows = _read_csv(REFERENCE_DIR / "survey_sample.csv")
    data = {
        "id": np.array([int(r["id"]) for r in rows]),
        "w": np.array([float(r["w"]) for r in rows]),
        "grp": np.array([r["grp"] for r in rows]),
        "half": np.array([r["half"] for r in rows]),
        "y": np.array([float(r["y"]) for r in rows]),
        "y_half": np.array([_number(r["y_half"]) for r in rows]),
    }
    # Same rule as survey_reference.R: every 10th respondent gets weight 0.
    data["w0"] = np.where(data["id"] % 10 == 0, 0.0, data["w"])
    return data


@pytest.fixture(scope="module")
def reference() -> dict[str, dict[str, str]]:
    return {r["case"]: r for r in _read_csv(REFERENCE_DIR / "survey_reference.csv")}


def _cases(d: dict[str, np.ndarray]) -> dict[str, dict]:
    """Python arguments for each case in survey_reference.R (keep the two in step)."""
    everyone = np.ones(d["w"].size, dtype=bool)
    return {
        "total": dict(y=d["y"], w=d["w"], domain=None, group=None, level=0.95),
        "total_level90": dict(y=d["y"], w=d["w"], domain=None, group=None, level=0.90),
        "grp_g1": dict(y=d["y"], w=d["w"], domain=None, group=d["grp"] == "g1", level=0.95),
        "grp_g2": dict(y=d["y"], w=d["w"], domain=everyone, group=d["grp"] == "g2", level=0.95),
        "grp_g3": dict(y=d["y"], w=d["w"], domain=None, group=d["grp"] == "g3", level=0.95),
        "half_A": dict(y=d["y_half"], w=d["w"], domain=d["half"] == "A", group=None, level=0.95),
        # Domain g1 includes half-B respondents whose y_half is NaN; they must drop out.
        "g1_answered": dict(y=d["y_half"], w=d["w"], domain=d["grp"] == "g1", group=None, level=0.95),
        "half_A_grp_g1": dict(y=d["y_half"], w=d["w"], domain=d["half"] == "A", group=d["grp"] == "g1", level=0.95),
        "zero_weights_g2": dict(y=d["y"], w=d["w0"], domain=d["grp"] == "g2", group=None, level=0.95),
    }


def test_reference_cases_match_r_script(sample, reference):
    # A case added to the R script but not here (or the reverse) would otherwise go untested.
    assert set(_cases(sample)) == set(reference)


@pytest.mark.parametrize(
    "case",
    [
        "total",
        "total_level90",
        "grp_g1",
        "grp_g2",
        "grp_g3",
        "half_A",
        "g1_answered",
        "half_A_grp_g1",
        "zero_weights_g2",
    ],
)
def test_estimate_share_matches_survey_package(sample, reference, case):
    args = _cases(sample)[case]
    ref = reference[case]
    domain = args["domain"]
    if args["group"] is not None:
        domain = args["group"] if domain is None else domain & args["group"]
    est = estimate_share(args["y"], args["w"], domain=domain, level=args["level"])

    assert est.base_unweighted == int(ref["n"])
    assert est.share == pytest.approx(float(ref["mean"]), rel=REL)
    assert est.se == pytest.approx(float(ref["se"]), rel=REL)
    assert est.ci_low == pytest.approx(float(ref["ci_low"]), rel=REL)
    assert est.ci_high == pytest.approx(float(ref["ci_high"]), rel=REL)
    assert est.base_weighted == pytest.approx(float(ref["base_weighted"]), rel=REL)
    assert est.base_effective == pytest.approx(float(ref["base_effective"]), rel=REL)


@pytest.mark.parametrize("case", ["grp_g1", "grp_g2", "grp_g3", "half_A_grp_g1"])
def test_compare_with_rest_matches_survey_package(sample, reference, case):
    args = _cases(sample)[case]
    ref = reference[case]
    cmp = compare_with_rest(args["y"], args["w"], args["group"], domain=args["domain"])

    assert cmp.share_group == pytest.approx(float(ref["mean"]), rel=REL)
    assert cmp.share_rest == pytest.approx(float(ref["rest_mean"]), rel=REL)
    assert cmp.difference == pytest.approx(float(ref["mean"]) - float(ref["rest_mean"]), rel=REL)
    assert cmp.z == pytest.approx(float(ref["z"]), rel=REL)
    assert cmp.p_value == pytest.approx(float(ref["p_value"]), rel=REL)


def test_reference_distinguishes_plausible_wrong_formulas(sample, reference):
    """The 1e-9 comparison must be able to tell apart the usual mistakes.

    Using the domain's own n_d/(n_d - 1) instead of the full-sample N/(N - 1), or the
    full-sample degrees of freedom instead of the domain's, both change the g3 figures by far
    more than the tolerance, so the tests above would catch either.
    """
    d = sample
    ref = reference["grp_g3"]
    mask = d["grp"] == "g3"
    w, y = d["w"][mask], d["y"][mask]
    n_d, n_all = mask.sum(), d["w"].size
    p = float(ref["mean"])
    sum_sq = np.sum((w * (y - p)) ** 2)
    se_domain_factor = math.sqrt(n_d / (n_d - 1) * sum_sq) / w.sum()
    se_full_factor = math.sqrt(n_all / (n_all - 1) * sum_sq) / w.sum()
    assert se_full_factor == pytest.approx(float(ref["se"]), rel=REL)
    assert abs(se_domain_factor / float(ref["se"]) - 1) > 1e-4

    logit = math.log(p / (1 - p))
    half_width_wrong_df = t_quantile_upper(0.025, n_all - 1.0) * float(ref["se"]) / (p * (1 - p))
    ci_low_wrong_df = 1 / (1 + math.exp(-(logit - half_width_wrong_df)))
    assert abs(ci_low_wrong_df / float(ref["ci_low"]) - 1) > 1e-4


def test_prefiltered_arrays_give_a_different_se_than_a_domain(sample):
    # Guards the documented requirement to pass whole-sample arrays with a domain mask.
    d = sample
    mask = d["grp"] == "g2"
    as_domain = estimate_share(d["y"], d["w"], domain=mask)
    prefiltered = estimate_share(d["y"][mask], d["w"][mask])
    assert prefiltered.share == pytest.approx(as_domain.share, rel=1e-12)
    n_all, n_d = d["w"].size, mask.sum()
    expected_ratio = math.sqrt((n_d / (n_d - 1)) / (n_all / (n_all - 1)))
    assert prefiltered.se / as_domain.se == pytest.approx(expected_ratio, rel=1e-12)


# --------------------------------------------------------------------------------------------
# Hand-checkable cases
# --------------------------------------------------------------------------------------------


def test_equal_weights_give_textbook_share_and_se():
    # With equal weights survey's linearised SE reduces to sqrt(p (1 - p) / (n - 1)).
    y = np.array([1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    est = estimate_share(y, np.ones(10))
    assert est.share == pytest.approx(0.3, rel=1e-15)
    assert est.se == pytest.approx(math.sqrt(0.3 * 0.7 / 9), rel=1e-14)
    assert est.base_unweighted == 10
    assert est.base_weighted == 10.0
    assert est.base_effective == pytest.approx(10.0, rel=1e-15)
    # Logit interval with the t quantile on n - 1 = 9 df (tables: 2.262); values from
    # svyciprop(~y, svydesign(ids = ~1, weights = ~w, data = d)).
    half_width = 2.2621571627982049 * math.sqrt(0.21 / 9) / 0.21
    logit = math.log(0.3 / 0.7)
    assert est.ci_low == pytest.approx(1 / (1 + math.exp(-(logit - half_width))), rel=1e-12)
    assert est.ci_low == pytest.approx(0.076366228986600782, rel=1e-12)
    assert est.ci_high == pytest.approx(0.68958489203316065, rel=1e-12)


def test_equal_weights_domain_uses_whole_sample_n():
    # Domain of 4 out of 10 with y = 1, 1, 1, 0: p = 3/4, sum (y - p)^2 = 3/4, so the SE is
    # sqrt(10/9 * 3/4) / 4 (0.2282...; R gives 0.22821773229381923).
    y = np.array([1, 1, 1, 0, 1, 0, 1, 0, 1, 0])
    domain = np.array([True] * 4 + [False] * 6)
    est = estimate_share(y, np.ones(10), domain=domain)
    assert est.share == 0.75
    assert est.se == pytest.approx(math.sqrt(10 / 9 * 0.75) / 4, rel=1e-14)
    assert est.se == pytest.approx(0.22821773229381923, rel=1e-12)
    assert est.base_unweighted == 4
    assert est.ci_low == pytest.approx(0.058693600370519433, rel=1e-10)
    assert est.ci_high == pytest.approx(0.99311951982196911, rel=1e-10)


def test_weights_scale_does_not_change_estimates():
    rng = np.random.default_rng(1)
    y = rng.random(200) < 0.4
    w = rng.uniform(0.5, 2.0, 200)
    a = estimate_share(y, w)
    b = estimate_share(y, w * 37.5)
    assert b.share == pytest.approx(a.share, rel=1e-13)
    assert b.se == pytest.approx(a.se, rel=1e-13)
    assert b.ci_low == pytest.approx(a.ci_low, rel=1e-13)
    assert b.base_effective == pytest.approx(a.base_effective, rel=1e-13)
    assert b.base_weighted == pytest.approx(37.5 * a.base_weighted, rel=1e-13)


def test_missing_answers_are_outside_the_domain():
    y = np.array([1.0, 0.0, np.nan, 1.0, np.nan, 0.0, 1.0])
    w = np.array([1.0, 2.0, 5.0, 1.5, 9.0, 0.5, 1.0])
    with_nan = estimate_share(y, w)
    answered = ~np.isnan(y)
    explicit = estimate_share(np.nan_to_num(y), w, domain=answered)
    assert with_nan == explicit
    assert with_nan.base_unweighted == 5
    assert with_nan.share == pytest.approx((1 + 1.5 + 1) / (1 + 2 + 1.5 + 0.5 + 1), rel=1e-15)
    assert weighted_share(y, w) == pytest.approx(with_nan.share, rel=1e-15)


def test_bool_indicator_equals_numeric():
    y = np.array([True, False, True, True, False])
    w = np.array([1.0, 2.0, 3.0, 1.0, 1.0])
    assert estimate_share(y, w) == estimate_share(y.astype(float), w)


@pytest.mark.parametrize("value", [0, 1])
def test_share_of_zero_or_one_has_degenerate_interval(value):
    y = np.full(20, value)
    est = estimate_share(y, np.linspace(0.5, 2.0, 20))
    assert est.share == value
    assert est.se == 0.0
    assert (est.ci_low, est.ci_high) == (float(value), float(value))


def test_ci_stays_inside_unit_interval_for_small_shares():
    y = np.zeros(30)
    y[0] = 1
    est = estimate_share(y, np.ones(30))
    assert 0.0 < est.ci_low < est.share < est.ci_high < 1.0
    # A symmetric Wald interval would go below zero here.
    assert est.share - 1.96 * est.se < 0


def test_empty_domain_gives_nan():
    est = estimate_share(np.array([1, 0, 1]), np.ones(3), domain=np.zeros(3, dtype=bool))
    assert est.base_unweighted == 0
    assert est.base_weighted == 0.0
    assert math.isnan(est.share) and math.isnan(est.se) and math.isnan(est.ci_low)


def test_estimate_share_rejects_bad_input():
    w = np.ones(4)
    with pytest.raises(ValueError, match="0, 1"):
        estimate_share(np.array([0, 1, 2, 1]), w)
    with pytest.raises(ValueError, match="non-negative"):
        estimate_share(np.array([0, 1, 1, 1]), np.array([1.0, -1.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="finite"):
        estimate_share(np.array([0, 1, 1, 1]), np.array([1.0, np.nan, 1.0, 1.0]))
    with pytest.raises(ValueError, match="boolean"):
        estimate_share(np.array([0, 1, 1, 1]), w, domain=np.array([1, 1, 0, 0]))
    with pytest.raises(ValueError, match="shape"):
        estimate_share(np.array([0, 1, 1]), w)
    with pytest.raises(ValueError, match="level"):
        estimate_share(np.array([0, 1, 1, 1]), w, level=95)


def test_effective_base_hand_cases():
    assert effective_base(np.ones(250)) == pytest.approx(250.0, rel=1e-15)
    # (1 + 1 + 1 + 3)^2 / (1 + 1 + 1 + 9) = 36 / 12 = 3
    assert effective_base([1.0, 1.0, 1.0, 3.0]) == pytest.approx(3.0, rel=1e-15)
    assert effective_base([2.0, 2.0, 2.0, 6.0]) == pytest.approx(3.0, rel=1e-15)
    assert weighting_efficiency([1.0, 1.0, 1.0, 3.0]) == pytest.approx(0.75, rel=1e-15)
    assert weighting_efficiency(np.full(40, 3.3)) == pytest.approx(1.0, rel=1e-15)
    assert effective_base([]) == 0.0
    assert math.isnan(weighting_efficiency([]))


def test_weighted_share_hand_case():
    assert weighted_share([1, 0], [3.0, 1.0]) == 0.75
    assert weighted_share([True, False, True], [1.0, 1.0, 2.0]) == 0.75


def test_t_quantile_against_closed_forms():
    # df = 1 is the Cauchy distribution, df = 2 has a closed-form quantile, and large df
    # approaches the normal 1.959963984540054.
    assert t_quantile_upper(0.025, 1.0) == pytest.approx(math.tan(math.pi * 0.475), rel=1e-13)
    p = 0.975
    assert t_quantile_upper(0.025, 2.0) == pytest.approx((2 * p - 1) / math.sqrt(2 * p * (1 - p)), rel=1e-13)
    assert t_quantile_upper(0.025, 9.0) == pytest.approx(2.2621571627982049, rel=1e-13)
    assert t_quantile_upper(0.025, 3.0) == pytest.approx(3.1824463052837078, rel=1e-13)
    assert t_quantile_upper(0.025, 1e7) == pytest.approx(1.959963984540054, rel=1e-6)


@pytest.mark.parametrize("df", [988.0, 452.0, 1500.0, 77.5, 30.0])
def test_t_quantile_solves_its_equation_where_newton_ends_in_rounding_noise(df):
    # For some df (988: the 2014 sample less one) the last Newton steps go back and forth by 2e-14, the
    # rounding of the tail itself; the iteration stops there instead of running to its limit.
    t = t_quantile_upper(0.025, df)
    assert 1.96 < t < 2.1
    assert t_upper_tail(t, df) == pytest.approx(0.025, rel=1e-13)


# --------------------------------------------------------------------------------------------
# Group against rest
# --------------------------------------------------------------------------------------------


def test_compare_with_rest_detects_a_real_difference():
    rng = np.random.default_rng(7)
    n = 1000
    group = rng.random(n) < 0.4
    y = np.where(group, rng.random(n) < 0.7, rng.random(n) < 0.3)
    w = rng.uniform(0.3, 3.0, n)
    result = compare_with_rest(y, w, group)
    assert isinstance(result, GroupComparison)
    assert result.difference > 0.3
    assert result.z > 8
    assert result.p_value < 1e-12


def test_compare_with_rest_gives_zero_for_identical_groups():
    # The rest is an exact copy of the group (same answers, same weights), so the shares and
    # the SEs are equal and z is 0.
    rng = np.random.default_rng(3)
    y_half = (rng.random(150) < 0.45).astype(float)
    w_half = rng.uniform(0.3, 3.0, 150)
    y = np.concatenate([y_half, y_half])
    w = np.concatenate([w_half, w_half])
    group = np.arange(300) < 150
    result = compare_with_rest(y, w, group)
    assert result.difference == 0.0
    assert result.z == 0.0
    assert result.p_value == pytest.approx(1.0, abs=1e-15)


def test_compare_with_rest_respects_the_domain():
    # Outside the domain the rest is all 0s; inside it the group and the rest agree.
    y = np.array([1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0])
    group = np.array([True, True, False, False, True, True, False, False] + [False] * 4)
    domain = np.arange(12) < 8
    inside = compare_with_rest(y, np.ones(12), group, domain=domain)
    assert inside.share_group == inside.share_rest == 0.5
    assert inside.z == 0.0
    everyone = compare_with_rest(y, np.ones(12), group)
    assert everyone.share_rest == pytest.approx(2 / 8)
    assert everyone.z > 0


def test_compare_with_rest_nan_when_a_side_is_degenerate():
    y = np.array([1, 1, 1, 0, 1, 0, 0, 1])
    w = np.ones(8)
    all_yes = compare_with_rest(y, w, np.array([True, True, True] + [False] * 5))
    assert all_yes.share_group == 1.0
    assert math.isnan(all_yes.z) and math.isnan(all_yes.p_value)
    empty = compare_with_rest(y, w, np.zeros(8, dtype=bool))
    assert math.isnan(empty.share_group) and math.isnan(empty.difference)
    assert math.isnan(empty.z) and math.isnan(empty.p_value)


# --------------------------------------------------------------------------------------------
# Raking
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def skewed_sample():
    rng = np.random.default_rng(2024)
    n = 1200
    sex = rng.choice(np.array(["m", "f"]), n, p=[0.7, 0.3])
    age = rng.choice(np.array([1, 2, 3, 4]), n, p=[0.05, 0.15, 0.3, 0.5])
    # Region depends on age so the margins interact and raking needs several passes.
    region = np.where(
        age <= 2,
        rng.choice(np.array(["n", "s", "e"]), n, p=[0.6, 0.3, 0.1]),
        rng.choice(np.array(["n", "s", "e"]), n, p=[0.2, 0.3, 0.5]),
    )
    variables = {"sex": sex, "age": age, "region": region}
    targets = {
        "sex": {"m": 0.49, "f": 0.51},
        "age": {1: 0.2, 2: 0.3, 3: 0.25, 4: 0.25},
        "region": {"n": 0.4, "s": 0.35, "e": 0.25},
    }
    return variables, targets


def _margins(codes, weights):
    return {c: weights[codes == c].sum() / weights.sum() for c in np.unique(codes)}


def test_rake_reproduces_target_margins(skewed_sample):
    variables, targets = skewed_sample
    w = rake(variables, targets)
    n = len(variables["sex"])
    assert w.shape == (n,)
    assert w.sum() == pytest.approx(n, rel=1e-12)
    assert (w > 0).all()
    for name, codes in variables.items():
        achieved = _margins(codes, w)
        for category, target in targets[name].items():
            assert achieved[category] == pytest.approx(target, abs=1e-8)
    # Before raking the sample was far off target, so the test is not trivially satisfied.
    assert abs(_margins(variables["age"], np.ones(n))[1] - 0.2) > 0.1


def test_rake_with_base_weights_keeps_their_ratios_within_cells(skewed_sample):
    variables, targets = skewed_sample
    n = len(variables["sex"])
    base = np.random.default_rng(5).uniform(0.5, 2.0, n)
    w = rake(variables, targets, base_weights=base)
    for name, codes in variables.items():
        achieved = _margins(codes, w)
        for category, target in targets[name].items():
            assert achieved[category] == pytest.approx(target, abs=1e-8)
    # Raking multiplies by a factor per category of each variable, so two respondents in the
    # same sex x age x region cell keep the ratio of their base weights.
    cell = (variables["sex"] == "f") & (variables["age"] == 1) & (variables["region"] == "n")
    ratios = w[cell] / base[cell]
    assert cell.sum() > 1
    assert np.ptp(ratios) / ratios.mean() < 1e-9


def test_rake_single_variable_is_post_stratification():
    # One variable: weight = target share / sample share, 0.5/0.8 and 0.5/0.2 here.
    codes = np.array(["a"] * 8 + ["b"] * 2)
    w = rake({"x": codes}, {"x": {"a": 0.5, "b": 0.5}})
    assert w[:8] == pytest.approx(np.full(8, 0.625), rel=1e-12)
    assert w[8:] == pytest.approx(np.full(2, 2.5), rel=1e-12)


def test_rake_raises_for_empty_target_category():
    codes = np.array(["a", "a", "b"])
    with pytest.raises(ValueError, match="no respondents.*'c'"):
        rake({"x": codes}, {"x": {"a": 0.4, "b": 0.3, "c": 0.3}})


def test_rake_raises_when_targets_do_not_sum_to_one():
    codes = np.array(["a", "a", "b"])
    with pytest.raises(ValueError, match="sum to"):
        rake({"x": codes}, {"x": {"a": 40, "b": 60}})
    with pytest.raises(ValueError, match="sum to"):
        rake({"x": codes}, {"x": {"a": 0.5, "b": 0.49}})
    # Within the documented 1e-6 tolerance is accepted.
    rake({"x": codes}, {"x": {"a": 0.5, "b": 0.5000005}})


def test_rake_raises_when_it_cannot_converge():
    # Two variables that are identical in the sample cannot hit different targets.
    codes = np.array([0, 0, 1, 1, 1])
    with pytest.raises(ValueError, match="did not converge within 50"):
        rake(
            {"x": codes, "y": codes.copy()},
            {"x": {0: 0.3, 1: 0.7}, "y": {0: 0.5, 1: 0.5}},
            max_iterations=50,
        )


def test_rake_raises_for_codes_without_target():
    with pytest.raises(ValueError, match="no target"):
        rake({"x": np.array(["a", "b", "dk"])}, {"x": {"a": 0.5, "b": 0.5}})


def test_dataclasses_are_frozen():
    est = estimate_share(np.array([1, 0, 1]), np.ones(3))
    assert isinstance(est, ShareEstimate)
    with pytest.raises(AttributeError):
        est.share = 0.1  # type: ignore[misc]


def test_compare_independent_adds_the_two_waves_variances():
    from collaborative_citizen.analysis.statistics import ShareEstimate, compare_independent

    now = ShareEstimate(0.40, 0.02, 0.36, 0.44, 1000, 1000.0, 900.0)
    before = ShareEstimate(0.50, 0.015, 0.47, 0.53, 1000, 1000.0, 950.0)
    result = compare_independent(now, before)
    assert result.difference == pytest.approx(-0.10)
    assert result.z == pytest.approx(-0.10 / 0.025)
    assert result.p_value == pytest.approx(math.erfc(4 / math.sqrt(2)))
    same = compare_independent(now, now)
    assert same.z == 0 and same.p_value == 1
