"""Bad input gets a clear error: the cases not covered by test_loading, test_waves and
test_cli_errors. One small fixture per case; each message must name the file, the variable or field and,
where it applies, the row, say what was expected, and stop the command with exit status 2 and no traceback."""

import shutil
import subprocess
import sys

import pyreadstat
import pytest
import yaml
from conftest import DATA, ROOT, cli, make_wave, one_error

from collaborative_citizen.inputs.loading import DataValidationError, load_respondents
from collaborative_citizen.inputs.waves import WaveError, load_wave


def test_wave_yml_missing(tmp_path):
    data, folder = make_wave(tmp_path)
    (folder / "wave.yml").unlink()
    line = one_error(cli(data, "validate", "--wave", "2014"))
    assert line == f"error: {folder / 'wave.yml'}: no wave description (expected wave.yml in {folder})"


def test_wave_yml_that_is_not_yaml(tmp_path):
    data, folder = make_wave(tmp_path)
    (folder / "wave.yml").write_text("id: '2014'\ntitle: [unclosed\nagency: x\n", encoding="utf-8")
    line = one_error(cli(data, "validate", "--wave", "2014"))
    assert line.startswith(f"error: {folder / 'wave.yml'}: line ") and "not valid YAML" in line


@pytest.mark.parametrize("value", ["yes please", 1])
def test_weighted_must_be_true_or_false(tmp_path, value):
    _, folder = make_wave(tmp_path, weighted=value)
    with pytest.raises(WaveError, match=r"wave.yml: weighted: .* \(expected true or false\)"):
        load_wave(folder)


def test_data_file_missing(tmp_path):
    data, folder = make_wave(tmp_path, data_file="answers.sav", write=lambda path: None)
    line = one_error(cli(data, "validate", "--wave", "2014"))
    assert line == (
        f"error: {folder / 'answers.sav'}: file not found (expected the respondent file wave.yml's "
        "data_file names, in the wave's folder)"
    )


def test_data_file_empty(tmp_path):
    data, folder = make_wave(tmp_path, write=lambda path: path.write_bytes(b""))
    line = one_error(cli(data, "validate", "--wave", "2014"))
    assert line == f"error: {folder / 'respondents.sav'}: empty file: no respondents (expected one row per respondent)"


def test_data_file_truncated(tmp_path):
    whole = (DATA / "waves" / "2014" / "respondents.sav").read_bytes()
    data, folder = make_wave(tmp_path, write=lambda path: path.write_bytes(whole[: len(whole) * 2 // 3]))
    line = one_error(cli(data, "validate", "--wave", "2014"))
    assert line.startswith(f"error: {folder / 'respondents.sav'}: could not be read as sav: ")
    assert "truncated" in line and line.endswith("(expected an SPSS .sav file)")


def test_data_file_not_the_format_its_extension_says(tmp_path):
    csv = (DATA / "waves" / "2014" / "targets.csv").read_bytes()
    data, folder = make_wave(tmp_path, write=lambda path: path.write_bytes(csv))
    line = one_error(cli(data, "validate", "--wave", "2014"))
    assert line.startswith(f"error: {folder / 'respondents.sav'}: could not be read as sav: ")
    assert line.endswith("(expected an SPSS .sav file)")
    data, folder = make_wave(
        tmp_path / "parquet", data_file="respondents.parquet", write=lambda path: path.write_bytes(csv)
    )
    line = one_error(cli(data, "validate", "--wave", "2014"))
    assert line.startswith(f"error: {folder / 'respondents.parquet'}: could not be read as parquet: ")
    assert line.endswith("(expected an Apache Parquet file)")


def test_data_file_of_an_unsupported_type(tmp_path):
    data, folder = make_wave(tmp_path, data_file="respondents.xlsx", write=lambda path: path.write_bytes(b"PK"))
    line = one_error(cli(data, "validate", "--wave", "2014"))
    assert (
        line == f"error: {folder / 'respondents.xlsx'}: unsupported file type .xlsx (expected .sav, .csv or .parquet)"
    )


def test_a_reworded_value_label_is_a_warning_not_an_error(tmp_path, sav_frame, codebook):
    frame, meta = sav_frame
    labels = dict(meta.variable_value_labels)
    labels["fairness"] = {**labels["fairness"], 1.0: "Everyone gets an equal chance (reworded)"}
    data, folder = make_wave(
        tmp_path,
        write=lambda path: pyreadstat.write_sav(
            frame, str(path), column_labels=meta.column_labels, variable_value_labels=labels
        ),
    )
    respondents = load_respondents(load_wave(folder), codebook)
    assert len(respondents) == len(frame)
    assert len(respondents.warnings) == 1
    warning = respondents.warnings[0]
    assert warning.startswith(f"{folder / 'respondents.sav'}: variable fairness: value labels worded differently")
    assert "code 1 is 'Everyone gets an equal chance (reworded)' in the file" in warning
    assert warning.endswith("(the codebook's wording is used)")
    done = cli(data, "validate", "--wave", "2014")
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("warning: ") and done.stdout.startswith("validate: 2014: ")


def test_labels_matching_the_codebook_give_no_warning(codebook, wave):
    assert load_respondents(wave, codebook).warnings == []


def test_equal_weights_when_the_wave_says_weighted(tmp_path, sav_frame, codebook):
    frame, _ = sav_frame
    flat = frame.copy()
    flat["weight"] = 1.0
    data, folder = make_wave(tmp_path, write=lambda path: pyreadstat.write_sav(flat, str(path)))
    with pytest.raises(DataValidationError) as caught:
        load_respondents(load_wave(folder), codebook)
    assert caught.value.problems == [
        f"{folder / 'respondents.sav'}: variable weight: every respondent has the same weight, 1 (expected weights "
        "that vary, as wave.yml says the data is weighted; write `weighted: false` there if it is not)"
    ]
    one_error(cli(data, "validate", "--wave", "2014"))
    # An unweighted wave says so, and then equal weights are what it should have.
    _, folder = make_wave(
        tmp_path / "unweighted", weighted=False, write=lambda path: pyreadstat.write_sav(flat, str(path))
    )
    assert len(load_respondents(load_wave(folder), codebook)) == len(flat)


def test_a_failing_notebook_names_the_notebook_the_cell_and_the_executed_copy(tmp_path):
    """No results.csv in the build folder: the finding's loading cell raises."""
    done = cli(
        "data",
        "notebooks",
        "--wave",
        "2014",
        "--figures-dir",
        str(tmp_path / "figures"),
        "notebooks/02_fairness.ipynb",
        "notebooks/00_about_the_survey.ipynb",
        build=tmp_path,
    )
    line = one_error(done)
    failed = tmp_path / "2014" / "notebooks" / "02_fairness.failed.ipynb"
    assert line.startswith("error: notebooks/02_fairness.ipynb: failed in cell ")
    assert line.endswith(f"(traceback in {failed})") and "results.csv" in line
    assert failed.is_file() and "results.csv" in failed.read_text(encoding="utf-8")
    # The other notebook still ran; the failed one left no executed copy that make could take for finished.
    assert (tmp_path / "2014" / "notebooks" / "00_about_the_survey.ipynb").is_file()
    assert not (tmp_path / "2014" / "notebooks" / "02_fairness.ipynb").exists()


def test_a_file_wrong_everywhere_lists_a_sensible_number_of_problems(tmp_path, sav_frame):
    frame, _ = sav_frame
    wrong = frame.copy()
    # A file of another survey: every single-coded answer out of range, in all 989 rows.
    columns = [
        c
        for c in wrong.columns
        if c.startswith(
            ("fairness", "provider_engagement_", "ways_of_organising_", "government_responsibility_", "working_with")
        )
    ]
    assert len(columns) > 10
    wrong[columns] = 99
    data, folder = make_wave(tmp_path, write=lambda path: pyreadstat.write_sav(wrong, str(path)))
    done = cli(data, "validate", "--wave", "2014")
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 100
    summary = done.stderr.splitlines()[-1]
    assert summary.startswith("validate: ") and "not listed: fix these first" in summary


def test_a_source_date_epoch_that_is_not_a_number_stops_the_notebooks_at_once(tmp_path):
    import os

    done = cli(
        "data",
        "notebooks",
        "--wave",
        "2014",
        "notebooks/00_about_the_survey.ipynb",
        env={**os.environ, "SOURCE_DATE_EPOCH": "not-a-date"},
        build=tmp_path,
        timeout=60,
    )
    assert one_error(done) == (
        "error: SOURCE_DATE_EPOCH='not-a-date': not a whole number of seconds since 1970 "
        "(expected e.g. 1391126400, or unset to use the last commit's date)"
    )


def test_when_no_kernel_can_start_the_other_notebooks_are_not_tried(tmp_path, monkeypatch):
    """Each attempt would wait for the start-up timeout; one is enough to know."""
    import collaborative_citizen.notebooks as notebooks

    attempts = []

    class NoKernel:
        def __init__(self, cwd, *args):
            attempts.append(cwd)
            raise RuntimeError("Kernel didn't respond in 30 seconds")

    monkeypatch.setattr(notebooks, "Kernel", NoKernel)
    jobs = [
        notebooks.NotebookJob(ROOT / "notebooks" / "00_about_the_survey.ipynb", tmp_path / "about", {"wave": "2014"})
    ]
    jobs += [
        notebooks.NotebookJob(
            ROOT / "notebooks" / name,
            tmp_path / name,
            {"wave": "2014", "finding": n},
            source=notebooks.FINDING_NOTEBOOK,
        )
        for n, name in ((2, "02_fairness.ipynb"), (3, "03_dignity_and_outcomes.ipynb"))
    ]
    errors = notebooks.run_notebooks(jobs, cwd=ROOT, workers=1)
    assert len(attempts) == 1
    assert errors == [
        f"{jobs[0].notebook}: failed: RuntimeError: Kernel didn't respond in 30 seconds",
        "notebooks: 2 not run, as no kernel could start: 02_fairness.ipynb, 03_dignity_and_outcomes.ipynb",
    ]
