"""A stratified, clustered design with a finite population correction and a lonely PSU, checked against R's
survey package (tests/reference/survey_design_reference.R wrote the reference values; R is not needed here)."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from collaborative_citizen.analysis import publication_rules
from collaborative_citizen.analysis.exact_intervals import korn_graubard
from collaborative_citizen.analysis.statistics import compare_with_rest, effective_base, estimate_share
from collaborative_citizen.inputs.sample_design import DesignError, SampleDesign

HERE = Path(__file__).resolve().parent / "reference"
SAMPLE = pd.read_csv(HERE / "survey_design_sample.csv")
REFERENCE = pd.read_csv(HERE / "survey_design_reference.csv")
TOLERANCE = 1e-6


def _design(lonely: str, fpc: bool) -> SampleDesign:
    return SampleDesign.from_columns(
        SAMPLE.stratum.to_numpy(), SAMPLE.psu.to_numpy(), SAMPLE.fpc.to_numpy() if fpc else None, lonely
    )


def _cases(kind):
    rows = REFERENCE[REFERENCE.kind == kind]
    return [
        pytest.param(r, id=f"{r.lonely}-{'fpc' if r.fpc else 'wr'}-{r.variable}-{r.domain}") for r in rows.itertuples()
    ]


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


def _design_wave_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """The rule survey_design_reference.R states: strata of regions, PSUs of twelve in file order."""
    stratum = np.select(
        [frame.region <= 3, frame.region <= 6, frame.region <= 9], ["North", "Midlands", "South"], "Nations"
    )
    psu = np.empty(len(frame), dtype=object)
    for name in np.unique(stratum):
        where = np.flatnonzero(stratum == name)
        psu[where] = [f"{name[:2].upper()}{k // 12 + 1:02d}" for k in range(len(where))]
    return pd.DataFrame({"stratum": stratum, "psu": psu})


def test_a_stratified_clustered_wave_builds_tables_that_match_r(tmp_path):
    import shutil
    import subprocess
    import sys

    import pyreadstat
    import yaml
    from conftest import DATA, cli

    frame, _ = pyreadstat.read_sav(str(DATA / "waves" / "2014" / "respondents.sav"), apply_value_formats=False)
    committed = pd.read_csv(HERE / "survey_design_wave.csv")
    assert committed[["stratum", "psu"]].equals(_design_wave_columns(frame))
    data = tmp_path / "data"
    shutil.copytree(DATA / "published", data / "published")
    shutil.copy(DATA / "codebook.yml", data / "codebook.yml")
    folder = data / "waves" / "2017"
    folder.mkdir(parents=True)
    frame = pd.concat([frame, _design_wave_columns(frame)], axis=1)
    frame.to_csv(folder / "respondents.csv", index=False)
    description = yaml.safe_load((DATA / "waves" / "2014" / "wave.yml").read_text())
    description.update(
        id="2017",
        title="A clustered wave",
        data_file="respondents.csv",
        reconstructed=False,
        fieldwork={"start": "2017-02-01", "end": "2017-02-08"},
        sample_design={"strata": "stratum", "clusters": "psu", "lonely_psu": "adjust"},
    )
    (folder / "wave.yml").write_text(yaml.safe_dump(description, sort_keys=False))
    done = cli(data, "tables", "--wave", "2017")
    assert done.returncode == 0, done.stderr
    from collaborative_citizen.analysis.results_file import read_results

    results = read_results(tmp_path / "build" / "2017" / "results.csv")
    keys = {1: "equal_opportunity", 2: "same_for_everyone", 3: "most_in_need", 4: "dont_know"}
    groups = {"total": ("total", "total"), "1": ("sex", "male"), "2": ("sex", "female")}
    reference = pd.read_csv(HERE / "survey_design_wave_reference.csv", dtype={"domain": str})
    for r in reference.itertuples():
        breakdown, group = groups[r.domain]
        row = results[
            (results.question == "fairness")
            & (results.answer == keys[r.code])
            & (results.breakdown == breakdown)
            & (results.group == group)
        ].iloc[0]
        assert row.pct / 100 == pytest.approx(r.mean, abs=TOLERANCE)
        assert row.se / 100 == pytest.approx(r.se, abs=TOLERANCE)
        if row.ci_method == "logit":
            assert (row.ci_low / 100, row.ci_high / 100) == pytest.approx((r.ci_low, r.ci_high), abs=TOLERANCE)
        if r.domain != "total":
            assert row.z_vs_rest == pytest.approx(r.z, abs=TOLERANCE)
    # Methods says so; the design effect of clustering shows in the new column.
    assert (results[results.breakdown == "total"].deff.dropna() > 0).all()
