"""Waves: the 2015 follow-up (a subset of questions, its own variable names), published-only figures from
2010, changes tested for significance, and wave.yml checked field by field."""

import json
import math
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import DATA, ROOT

from collaborative_citizen.analysis.changes import read_changes
from collaborative_citizen.analysis.statistics import estimate_share
from collaborative_citizen.inputs.codebook import load_codebook
from collaborative_citizen.inputs.loading import DataValidationError, load_respondents
from collaborative_citizen.inputs.published import published_waves
from collaborative_citizen.inputs.waves import WaveError, available_waves, load_wave


@pytest.fixture(scope="module")
def codebook():
    return load_codebook(DATA / "codebook.yml")


def test_the_2015_file_uses_its_own_names_through_the_variable_map(codebook):
    wave = load_wave(DATA / "waves" / "2015")
    assert wave.variable_map["provider_engagement_understand_needs"] == "Q4A"
    respondents = load_respondents(wave, codebook)
    assert "provider_engagement_understand_needs" in respondents.data.columns
    assert set(respondents.asked) == {"dignity_outcome", "provider_engagement"}
    assert respondents.asked["dignity_outcome"] == ("dignity_as_important",)
    assert wave.geography == "UK" and wave.minimum_age == 18


def test_a_variable_map_naming_a_missing_variable_is_an_error(tmp_path, codebook):
    folder = tmp_path / "2015"
    shutil.copytree(DATA / "waves" / "2015", folder)
    description = yaml.safe_load((folder / "wave.yml").read_text())
    description["variable_map"]["sex"] = "GENDER"
    (folder / "wave.yml").write_text(yaml.safe_dump(description))
    with pytest.raises(DataValidationError) as caught:
        load_respondents(load_wave(folder), codebook)
    assert caught.value.problems == [
        f"{folder}/wave.yml: variable_map: sex: respondents.sav has no variable "
        "'GENDER' (expected one of the file's variables)"
    ]


def test_the_four_published_2015_figures_are_reproduced(built_2015):
    results = pd.read_csv(built_2015 / "results.csv", dtype={"item": str}, keep_default_na=False)
    total = results[results.breakdown == "total"].set_index(["item", "answer"]).pct.astype(float)
    assert math.floor(total[("dignity_as_important", "agree")] + 0.5) == 76
    assert math.floor(total[("understand_needs", "always_often")] + 0.5) == 21
    assert math.floor(total[("understand_preferences", "always_often")] + 0.5) == 15
    assert math.floor(total[("involve_decisions", "always_often")] + 0.5) == 13


def test_changes_match_an_independent_computation(built_2015, codebook):
    changes = read_changes(built_2015 / "changes.csv")
    assert set(changes.previous_wave) == {"2014"} and changes.latest.all()
    row = changes[(changes["item"] == "understand_needs") & (changes.answer == "always_often")].iloc[0]
    estimates = []
    for wave_id in ("2015", "2014"):
        respondents = load_respondents(load_wave(DATA / "waves" / wave_id), codebook)
        codes = respondents.codes("provider_engagement_understand_needs")
        estimates.append(estimate_share(np.isin(codes, [1, 2]).astype(float), respondents.weights))
    now, before = estimates
    z = (now.share - before.share) / math.sqrt(now.se**2 + before.se**2)
    assert row.change_pp == pytest.approx(100 * (now.share - before.share), abs=1e-6)
    assert row.p_value == pytest.approx(math.erfc(abs(z) / math.sqrt(2)), rel=1e-6)
    assert row.p_adjusted >= row.p_value and row.significant == str(row.p_adjusted < 0.05)
    assert "2014: GB adults 15+" in row.design_note and "2015: UK adults 18+" in row.design_note


def test_the_2015_report_lists_what_it_did_not_ask(built_2015):
    f1 = json.loads((built_2015 / "findings" / "F1.json").read_text())
    assert f1["asked"] is False and f1["last_asked"] == "2014"
    html = (built_2015 / "collaborative-citizen-2015.html").read_text()
    # No stub page per finding it did not ask: one list, in Methods, with the wave that last asked each.
    assert 'class="finding not-asked"' not in html and 'id="finding-1"' not in html
    listed = re.search(r'<ul class="not-asked">(.*?)</ul>', html, re.S).group(1)
    entries = re.findall(r"<li>(.*?)</li>", listed, re.S)
    assert len(entries) == 7 and all("(last asked in 2014)" in e for e in entries), entries
    assert any("The end result matters much more" in e for e in entries)  # the item of finding 3 it dropped
    assert sum(e.startswith("Finding ") for e in entries) == 7


def test_the_2015_report_compares_with_2014_and_says_how_the_surveys_differ(built_2015):
    html = (built_2015 / "collaborative-citizen-2015.html").read_text()
    assert 'id="changes"' in html and "What changed since 2014" in html
    f4 = json.loads((built_2015 / "findings" / "F4.json").read_text())
    text = " ".join(re.sub(r"<[^>]+>", "", b) for b in f4["bullets"])
    assert "since 2014" in text and "UK adults 18+" in text
    assert not re.search(r"\b(rose|fell|risen|fallen)\b", text)  # direction words come only from the test
    # The chart shows both waves: four items, each beside its 2014 row.
    svg = f4["figure"]["svg"]
    assert svg and (built_2015.parents[2] / svg).is_file()


def test_the_2014_report_ignores_later_waves(report_dir):
    changes = read_changes(report_dir / "changes.csv")
    assert set(changes.previous_wave) <= {"2010"}
    # Other waves may be in the tree (a researcher's new one): the test assumes only the two shipped.
    assert {"2014", "2015"} <= {w.id for w in available_waves(DATA)}
    assert "2010" in [w.id for w in published_waves(DATA)]


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.pop("weight"), "weight: missing (required field)"),
        (lambda d: d.update(colour="blue"), "colour: unknown field"),
        (
            lambda d: d.update(fieldwork={"start": "2015-08-20", "end": "2015-08-07"}),
            "fieldwork.end: 2015-08-07 is before fieldwork.start 2015-08-20",
        ),
        (
            lambda d: d.update(fieldwork={"start": "2015-08-32", "end": "2015-09-01"}),
            "fieldwork.start: '2015-08-32' is not a date",
        ),
        (lambda d: d.update(geography="Europe"), "geography: 'Europe' (expected one of GB, UK)"),
    ],
)
def test_wave_descriptions_are_checked_field_by_field(tmp_path, change, message):
    folder = tmp_path / "2015"
    folder.mkdir()
    description = yaml.safe_load((DATA / "waves" / "2015" / "wave.yml").read_text())
    change(description)
    (folder / "wave.yml").write_text(yaml.safe_dump(description))
    with pytest.raises(WaveError) as caught:
        load_wave(folder)
    assert str(caught.value).startswith(f"{folder}/wave.yml: ") and message in str(caught.value)


@pytest.mark.parametrize("wave", ["2014\n", "../2014", "", None])
def test_a_wave_id_is_a_plain_folder_name(wave):
    from collaborative_citizen.inputs.waves import WaveError, check_wave_id

    with pytest.raises(WaveError, match="not a plain wave id"):
        check_wave_id(wave)
    assert check_wave_id("2015-b.v2") == "2015-b.v2"
