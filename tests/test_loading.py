import subprocess
import sys

import numpy as np
import pandas as pd
import pyreadstat
import pytest
import yaml
from conftest import DATA, ROOT

from collaborative_citizen.inputs.loading import DataValidationError, load_respondents, read_table
from collaborative_citizen.inputs.waves import load_wave


@pytest.fixture(scope="module")
def raw_frame():
    frame, _ = pyreadstat.read_sav(str(DATA / "waves" / "2014" / "respondents.sav"), apply_value_formats=False)
    return frame


def wave_with(tmp_path, frame, suffix=".csv", wave_id="2014"):
    """A copy of the 2014 wave whose data file is `frame`, written in the given format."""
    folder = tmp_path / "data" / "waves" / wave_id
    folder.mkdir(parents=True)
    description = yaml.safe_load((DATA / "waves" / "2014" / "wave.yml").read_text())
    description["id"] = wave_id
    description["data_file"] = f"respondents{suffix}"
    (folder / "wave.yml").write_text(yaml.safe_dump(description))
    path = folder / description["data_file"]
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".parquet":
        frame.to_parquet(path)
    elif suffix == ".sav":
        pyreadstat.write_sav(frame, str(path))
    (tmp_path / "data" / "codebook.yml").write_text((DATA / "codebook.yml").read_text())
    return load_wave(folder)


def problems(tmp_path, frame, codebook, suffix=".csv"):
    with pytest.raises(DataValidationError) as caught:
        load_respondents(wave_with(tmp_path, frame, suffix), codebook)
    return caught.value.problems


def test_the_2014_file_is_valid(respondents):
    assert len(respondents) == 989


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".sav"])
def test_every_format_reads_the_same(tmp_path, raw_frame, codebook, respondents, suffix):
    loaded = load_respondents(wave_with(tmp_path, raw_frame, suffix), codebook)
    pd.testing.assert_frame_equal(
        loaded.data[respondents.data.columns].reset_index(drop=True), respondents.data, check_dtype=False
    )


def test_categories_follow_code_order_with_missing_values(respondents):
    # Half B was not asked this item: its missing values must survive as missing categories.
    item = respondents.codebook.questions["dignity_outcome"].item("dignity_as_important").variable
    respondents.data[item]  # the variable exists
    categories = respondents.categorical("age_band")
    assert list(categories.categories) == ["15-24", "25-34", "35-44", "45-54", "55-64", "65+"]
    assert categories.ordered


def test_missing_variable(tmp_path, raw_frame, codebook):
    found = problems(tmp_path, raw_frame.drop(columns=["fairness"]), codebook)
    assert found == [
        f"{tmp_path}/data/waves/2014/respondents.csv: variable fairness: missing from the file (expected "
        "by the codebook; name it in wave.yml's variable_map if the file calls it something else)"
    ]


def test_code_not_in_codebook_names_file_variable_and_row(tmp_path, raw_frame, codebook):
    frame = raw_frame.copy()
    frame.loc[4, "fairness"] = 7
    found = problems(tmp_path, frame, codebook)
    assert len(found) == 1
    assert found[0].endswith(
        "respondents.csv: variable fairness, row 5, respondent 140005: code 7 is not in the codebook "
        "(expected one of 1, 2, 3, 4)"
    )


def test_too_many_answers_to_a_multi_question(tmp_path, raw_frame, codebook):
    frame = raw_frame.copy()
    frame.loc[9, [c for c in frame.columns if c.startswith("meaning_")]] = 0
    for answer in ("whole_community", "available_to_everyone", "paid_from_taxes"):
        frame.loc[9, f"meaning_{answer}"] = 1
    found = problems(tmp_path, frame, codebook)
    assert any(
        "question meaning, row 10, respondent 140010: 3 answers chosen (expected at most 2)" in p for p in found
    ), found


def test_split_sample_item_answered_outside_its_half(tmp_path, raw_frame, codebook):
    frame = raw_frame.copy()
    row = int(np.flatnonzero(frame.split_half == 2)[0])
    frame.loc[row, "dignity_outcome_dignity_as_important"] = 1
    found = problems(tmp_path, frame, codebook)
    assert found == [
        f"{tmp_path}/data/waves/2014/respondents.csv: variable dignity_outcome_dignity_as_important, "
        f"row {row + 1}, respondent {int(frame.resp_id[row])}: answered by a respondent outside half A "
        "(expected no answer: only half A was asked)"
    ]


@pytest.mark.parametrize(
    "value, message",
    [
        (np.nan, "weight missing"),
        (0.0, "weight is zero"),
        (-1.5, "weight -1.5 is negative"),
        (np.inf, "weight inf is not finite"),
    ],
)
def test_bad_weights(tmp_path, raw_frame, codebook, value, message):
    frame = raw_frame.copy()
    frame.loc[2, "weight"] = value
    found = problems(tmp_path, frame, codebook, suffix=".parquet")
    assert found == [
        f"{tmp_path}/data/waves/2014/respondents.parquet: variable weight, row 3, respondent 140003: {message} "
        "(expected a positive number)"
    ]


def test_duplicate_respondent_ids(tmp_path, raw_frame, codebook):
    frame = raw_frame.copy()
    frame.loc[20, "resp_id"] = frame.loc[3, "resp_id"]
    found = problems(tmp_path, frame, codebook)
    assert found == [
        f"{tmp_path}/data/waves/2014/respondents.csv: variable resp_id, row 21: duplicate respondent "
        f"id {int(frame.loc[3, 'resp_id'])} (expected each id once; first at row 4)"
    ]


def test_empty_files(tmp_path, raw_frame, codebook):
    assert problems(tmp_path, raw_frame.iloc[0:0], codebook, suffix=".parquet")[0].endswith(
        "empty file: no respondents (expected one row per respondent)"
    )
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(DataValidationError, match="empty.csv: empty file: no respondents"):
        read_table(path)


def test_all_problems_are_reported_at_once(tmp_path, raw_frame, codebook):
    frame = raw_frame.drop(columns=["region"]).copy()
    frame.loc[0, "fairness"] = 9
    frame.loc[1, "weight"] = -2
    frame.loc[5, "resp_id"] = frame.loc[6, "resp_id"]
    found = problems(tmp_path, frame, codebook)
    assert len(found) == 4
    assert {p.split(": variable ")[1].split(",")[0].split(":")[0] for p in found} == {
        "region",
        "fairness",
        "weight",
        "resp_id",
    }


def test_many_rows_with_one_problem_are_summarised(tmp_path, raw_frame, codebook):
    frame = raw_frame.copy()
    frame["sex"] = 3
    found = problems(tmp_path, frame, codebook)
    assert len(found) == 11
    assert found[-1].endswith("variable sex: 979 more rows with the same problem")


def test_invalid_data_exits_2_with_one_line_per_problem_and_no_traceback(tmp_path, raw_frame):
    frame = raw_frame.copy()
    frame.loc[4, "fairness"] = 7
    frame.loc[8, "weight"] = 0
    wave_with(tmp_path, frame)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "collaborative_citizen",
            "--data-dir",
            str(tmp_path / "data"),
            "--build-dir",
            str(tmp_path / "build"),
            "tables",
            "--wave",
            "2014",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3 and all(line.startswith("error: ") for line in lines[:2])
    assert any(
        line.endswith(
            "variable fairness, row 5, respondent 140005: code 7 is not in the codebook (expected one of 1, 2, 3, 4)"
        )
        for line in lines
    )
    assert any(
        line.endswith("variable weight, row 9, respondent 140009: weight is zero (expected a positive number)")
        for line in lines
    )
    assert lines[2] == "tables: 2 problem(s) in the input; nothing was written"
    assert not (tmp_path / "build" / "2014" / "results.csv").exists()


def test_unknown_wave_is_a_clear_error(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "collaborative_citizen", "tables", "--wave", "1999"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "error: data/waves/1999: no such wave folder (expected data/waves/<id>/ with a wave.yml)"
    )
