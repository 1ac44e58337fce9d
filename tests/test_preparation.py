"""Reading a delivery as wave.yml says (preparation.py), without a build: the agency-style file of
agency_delivery.py, and what goes wrong when wave.yml does not say enough."""

import agency_delivery
import pytest
import yaml
from conftest import DATA

from collaborative_citizen.errors import DataValidationError
from collaborative_citizen.inputs.codebook import load_codebook
from collaborative_citizen.inputs.loading import load_respondents
from collaborative_citizen.inputs.waves import load_wave


@pytest.fixture()
def delivery(tmp_path):
    codebook_path = tmp_path / "codebook.yml"
    codebook_path.write_text(agency_delivery.with_new_question((DATA / "codebook.yml").read_text()))
    folder = tmp_path / "waves" / agency_delivery.WAVE
    made = agency_delivery.write_delivery(folder, DATA / "codebook.yml", DATA / "waves" / "2014")
    return folder, load_codebook(codebook_path), made["frame"]


def _edit(folder, change):
    path = folder / "wave.yml"
    description = yaml.safe_load(path.read_text())
    change(description)
    path.write_text(yaml.safe_dump(description, sort_keys=False))


def _problems(folder, codebook):
    with pytest.raises(DataValidationError) as caught:
        load_respondents(load_wave(folder), codebook)
    return caught.value.problems


def test_the_delivery_is_read_as_wave_yml_says(delivery):
    folder, codebook, frame = delivery
    respondents = load_respondents(load_wave(folder), codebook)
    assert len(respondents) == agency_delivery.N
    # Recoded social grade: the agency's 4 is the codebook's AB (1).
    assert (respondents.codes("social_grade") == 1).sum() == (frame.QSEG == 4).sum()
    # 1/2 indicators read as 1/0; exact ages banded; refused ages in no band; 98 is don't know, 99 out of the base.
    assert set(respondents.codes("meaning_whole_community")) == {0.0, 1.0}
    assert respondents.codebook.demographics["age_band"].answers[0].label == "16-24"
    assert int(
        (respondents.codes("age_band") != respondents.codes("age_band")).sum()
    ) == agency_delivery.refused_age_count(frame)
    fairness = respondents.codes("fairness")
    assert int((fairness == 4).sum()) == int((frame.Q2 == agency_delivery.DONT_KNOW).sum())
    assert int((fairness != fairness).sum()) == int((frame.Q2 == agency_delivery.REFUSED).sum())
    assert "internet_access" not in respondents.codebook.demographics
    assert respondents.asked["provider_engagement"] == ("understand_needs", "personalised_service", "involve_decisions")
    assert any("Q10" in w for w in respondents.warnings)


def test_an_unplaced_user_missing_value_names_both_variables_the_value_and_its_label(delivery):
    folder, codebook, frame = delivery
    _edit(folder, lambda d: d["user_missing"].pop(agency_delivery.REFUSED))
    problems = _problems(folder, codebook)
    row = int((frame.Q2 == agency_delivery.REFUSED).to_numpy().argmax()) + 1
    line = next(p for p in problems if ": variable Q2 (fairness), " in p)
    assert line == (
        f"{folder / agency_delivery.DATA_FILE}: variable Q2 (fairness), row {row}, respondent "
        f"{frame.RESPID[row - 1]}: user-missing value 99 ('Refused') is not placed by wave.yml (expected "
        "user_missing: {99: <an answer key such as dont_know> or not_in_base})"
    )
    # One run reports every variable with the problem: the exact age too (its refusals are 99 as well).
    assert any(": variable QAGE (age_band), " in p and "user-missing value 99 ('Refused')" in p for p in problems)


def test_a_variable_map_key_that_is_not_a_codebook_variable_gets_the_nearest_name(delivery):
    folder, codebook, _ = delivery
    _edit(folder, lambda d: d["variable_map"].update({"socail_grade": d["variable_map"].pop("social_grade")}))
    problems = _problems(folder, codebook)
    assert (
        f"{folder}/wave.yml: variable_map: socail_grade: not a codebook variable; did you mean social_grade? "
        "(expected codebook variable: file variable)" in problems
    )


def test_a_code_outside_the_recode_is_an_error_naming_the_file_variable(delivery):
    folder, codebook, _ = delivery
    _edit(folder, lambda d: d["recode"]["social_grade"].pop(4))
    problems = _problems(folder, codebook)
    assert any(
        ": variable QSEG (social_grade), row " in p and "value 4 is not in wave.yml's recode of social_grade" in p
        for p in problems
    ), problems[:3]


def test_a_multi_answer_file_coded_1_2_without_a_recode_is_explained(delivery):
    folder, codebook, _ = delivery
    _edit(folder, lambda d: d["recode"].pop("meaning"))
    problems = _problems(folder, codebook)
    assert any(
        ": variable Q1_1 (meaning_whole_community), row 1" in p and "a recode in wave.yml if the file codes 1/2" in p
        for p in problems
    ), problems[:3]


def test_a_demographic_the_wave_did_not_collect_must_be_declared(delivery):
    folder, codebook, _ = delivery
    _edit(folder, lambda d: d.pop("not_collected"))
    problems = _problems(folder, codebook)
    assert any("variable internet_access: missing from the file" in p and "not_collected" in p for p in problems)


def test_an_age_below_the_minimum_is_an_error(delivery):
    folder, codebook, _ = delivery
    _edit(folder, lambda d: d.update(minimum_age=18))
    problems = _problems(folder, codebook)
    assert any(": variable QAGE (age_band), row " in p and "is below the wave's minimum_age 18" in p for p in problems)
