"""The reconstructed 2014 wave reproduces every published figure and is rebuilt identically."""

import sys

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import DATA, ROOT

from collaborative_citizen.analysis.statistics import weighting_efficiency

# A one-off generator, kept out of the package the build imports (tools/reconstruction.py).
sys.path.insert(0, str(ROOT / "tools"))
from reconstruction import build_frame, evaluate_targets, round_half_up, write_sav  # noqa: E402

WAVE_DIR = DATA / "waves" / "2014"


@pytest.fixture(scope="module")
def spec():
    return yaml.safe_load((WAVE_DIR / "reconstruction.yml").read_text())


@pytest.fixture(scope="module")
def evaluated(spec, table, respondents):
    return evaluate_targets(spec, table, len(respondents))


def test_round_half_up():
    assert [round_half_up(x) for x in (78.5, 79.49, 12.5, 13.5)] == [79, 79, 13, 14]


def test_every_published_target_is_met(evaluated):
    missed = evaluated[~evaluated.met]
    assert missed.empty, missed[["id", "published", "achieved"]].to_string()


def test_targets_csv_is_current(evaluated):
    committed = pd.read_csv(WAVE_DIR / "targets.csv", dtype=str, keep_default_na=False)
    assert list(committed.id) == list(evaluated.id)
    assert list(committed.achieved) == list(evaluated.achieved.astype(str))
    assert set(committed.met) == {"True"}


def test_targets_record_sources_and_the_choices_made(evaluated, spec):
    assert (evaluated.source.str.len() > 0).all()
    notes = dict(zip(evaluated.id, evaluated.note))
    assert "985" in notes["sample_size"]
    assert "48%" in notes["f4_involve_rarely"] and "50%" in notes["f4_involve_rarely"]


@pytest.mark.parametrize(
    "target_id, expected",
    [
        ("f3_dignity_agree", 79),
        ("f3_dignity_disagree", 13),
        ("f3_outcome_disagree", 55),
        ("f4_needs_rarely_offline", 37),
        ("f5_job_young", 33),
        ("f6_together_quality_broadsheet", 81),
        ("f6_businesses_quality_worse_broadsheet", 40),
        ("f2_equal_opportunity", 40),
        ("f7_accessibility", 23),
    ],
)
def test_headline_figures(evaluated, target_id, expected):
    achieved = float(evaluated.set_index("id").achieved[target_id])
    assert round_half_up(achieved) == expected


def test_rebuilding_gives_the_same_respondents(spec, codebook, wave, respondents):
    rebuilt = build_frame(spec, codebook, wave)
    committed = respondents.data[rebuilt.columns]
    pd.testing.assert_frame_equal(
        rebuilt.reset_index(drop=True).astype(float), committed.astype(float), check_exact=False, atol=1e-8
    )


def test_rebuilding_gives_the_same_file_byte_for_byte(spec, codebook, wave, tmp_path):
    rebuilt = tmp_path / "respondents.sav"
    write_sav(build_frame(spec, codebook, wave), rebuilt, codebook, wave)
    assert rebuilt.read_bytes() == wave.data_file.read_bytes()


def test_sample_is_skewed_like_an_omnibus_and_weighting_corrects_it(respondents, spec):
    weights = respondents.weights
    targets = spec["weighting_targets"]
    for variable, shares in targets.items():
        entry = respondents.codebook[variable]
        codes = respondents.codes(variable)
        for key, share in shares.items():
            mask = codes == entry.answer(str(key)).code
            assert weights[mask].sum() / weights.sum() == pytest.approx(share, abs=1e-6)
    age = respondents.codes("age_band")
    grade = respondents.codes("social_grade")
    assert (age == 6).mean() > targets["age_band"]["65+"] + 0.03
    assert (grade == 4).mean() > targets["social_grade"]["DE"] + 0.03
    assert 0.6 < weighting_efficiency(weights) < 0.98


def test_subgroup_bases_allow_the_published_comparisons(table):
    bases = table[(table.question == "fairness") & (table.answer == "dont_know")].set_index(["breakdown", "group"])
    for group in [
        ("newspaper", "broadsheet"),
        ("internet_access", "no"),
        ("age_band", "15-24"),
        ("young_children", "yes"),
    ]:
        assert bases.base_unweighted[group] >= 100, group
