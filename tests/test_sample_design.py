"""A stratified, clustered design with a finite population correction and a lonely PSU, checked against R's
survey package (tests/reference/survey_design_reference.R wrote the reference values; R is not needed here)."""
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from collaborative_citizen import publication_rules
from collaborative_citizen.exact_intervals import korn_graubard
from collaborative_citizen.sample_design import DesignError, SampleDesign
from collaborative_citizen.statistics import compare_with_rest, effective_base, estimate_share

HERE = Path(__file__).resolve().parent / "reference"
SAMPLE = pd.read_csv(HERE / "survey_design_sample.csv")
REFERENCE = pd.read_csv(HERE / "survey_design_reference.csv")
TOLERANCE = 1e-6


def _design(lonely: str, fpc: bool) -> SampleDesign:
    return SampleDesign.from_columns(SAMPLE.stratum.to_numpy(), SAMPLE.psu.to_numpy(),
                                     SAMPLE.fpc.to_numpy() if fpc else None, lonely)


def _cases(kind):
    rows = REFERENCE[REFERENCE.kind == kind]
    return [pytest.param(r, id=f"{r.lonely}-{'fpc' if r.fpc else 'wr'}-{r.variable}-{r.domain}")
            for r in rows.itertuples()]


@pytest.mark.parametrize("r", _cases("estimate"))
def test_estimates_intervals_and_design_effects_match_r(r):
    design = _design(r.lonely, bool(r.fpc))
    y = SAMPLE[r.variable].to_numpy(dtype=float)
    w = SAMPLE.w.to_numpy()
    domain = np.ones(len(SAMPLE), bool) if r.domain == "all" else (SAMPLE.grp == r.domain).to_numpy()
    found = estimate_share(y, w, domain=domain, design=design)
    assert found.share == pytest.approx(r.mean, abs=TOLERANCE)
    assert found.se == pytest.approx(r.se, abs=TOLERANCE)
    assert design.degf(w, domain) == r.degf
    beta = korn_graubard(found.share, found.se, effective_base(w[domain]), rows=int(r.n), df=int(r.degf))
    if r.mean == 0:
        # None of the domain chose it: R's intervals are undefined (NaN); the report's logit interval is (0, 0)
        # and its exact-type interval uses the Kish effective base for R's undefined n* (exact_intervals.py).
        # (R's logit interval is (0, 0) but for rounding noise; its beta interval is NaN.)
        assert abs(r.ci_logit_low) < 1e-9 and abs(r.ci_logit_high) < 1e-9 and math.isnan(r.ci_beta_high)
        assert (found.ci_low, found.ci_high) == (0.0, 0.0)
        n = effective_base(w[domain])
        assert beta[0] == 0.0 and 0.0 < beta[1] < 1.0
        assert beta == pytest.approx(korn_graubard(0.0, 0.0, n, rows=int(r.n), df=int(r.degf)))
        return
    assert (found.ci_low, found.ci_high) == pytest.approx((r.ci_logit_low, r.ci_logit_high), abs=TOLERANCE)
    assert beta == pytest.approx((r.ci_beta_low, r.ci_beta_high), abs=TOLERANCE)
    table = pd.DataFrame({"pct": [100 * found.share], "se": [100 * found.se], "base_unweighted": [int(r.n)]})
    assert publication_rules.design_effects(table)[0] == pytest.approx(r.deff, rel=TOLERANCE)


@pytest.mark.parametrize("r", _cases("contrast"))
def test_group_against_the_rest_matches_svycontrast(r):
    design = _design(r.lonely, bool(r.fpc))
    y = SAMPLE[r.variable].to_numpy(dtype=float)
    found = compare_with_rest(y, SAMPLE.w.to_numpy(), group=(SAMPLE.grp == r.domain).to_numpy(), design=design)
    assert found.difference == pytest.approx(r.difference, abs=TOLERANCE)
    if found.share_group in (0.0, 1.0):
        # A side with no variance (none of the group chose it) is not tested, as in the weights-only tables:
        # R's contrast rests on the other side's variance alone.
        assert math.isnan(found.z) and math.isnan(found.p_value) and not math.isnan(r.z)
        return
    assert found.z == pytest.approx(r.z, abs=TOLERANCE * max(1.0, abs(r.z)))
    assert found.p_value == pytest.approx(r.p, abs=TOLERANCE)


def test_a_lonely_psu_without_a_rule_is_an_error_naming_the_stratum():
    design = _design("fail", False)
    with pytest.raises(DesignError, match="stratum S6 has only one PSU"):
        estimate_share(SAMPLE.y.to_numpy(float), SAMPLE.w.to_numpy(), design=design)
    assert design.lonely_strata() == ["S6"]


def test_one_psu_per_respondent_and_one_stratum_is_the_weights_only_design():
    y, w = SAMPLE.y.to_numpy(float), SAMPLE.w.to_numpy()
    plain = estimate_share(y, w, domain=(SAMPLE.grp == "g2").to_numpy())
    design = SampleDesign.from_columns(None, np.arange(len(SAMPLE)), None, "fail")
    clustered = estimate_share(y, w, domain=(SAMPLE.grp == "g2").to_numpy(), design=design)
    assert clustered.se == pytest.approx(plain.se, rel=1e-12) and math.isclose(clustered.share, plain.share)
