"""Bad or hostile input gets one clear line and exit status 2: a data file outside the wave folder,
repeated keys, an alias bomb, an impossible date, CSV dialects, a bad SOURCE_DATE_EPOCH, make syntax in WAVE,
an essay that tries to leave the sandbox, a full disk."""

import errno
import os
import subprocess
import time

import pytest
from conftest import ROOT, cli, copy_inputs, make_wave, one_error

from collaborative_citizen.analysis.results_file import write_results
from collaborative_citizen.errors import InputError, check_source_date_epoch
from collaborative_citizen.inputs.yaml_files import load_yaml


@pytest.mark.parametrize("data_file", ["../../../elsewhere/respondents.sav", "/etc/passwd"])
def test_a_data_file_outside_the_wave_folder_is_refused(tmp_path, data_file):
    data, folder = make_wave(tmp_path, data_file=data_file)
    line = one_error(cli(data, "validate", "--wave", "2014"))
    assert line.startswith(f"error: {folder / 'wave.yml'}: data_file: {data_file!r} leads somewhere outside")


def test_a_data_file_linking_outside_the_wave_folder_is_refused(tmp_path):
    data, folder = make_wave(tmp_path, data_file="respondents.csv", write=lambda p: p.symlink_to("/etc/passwd"))
    line = one_error(cli(data, "validate", "--wave", "2014"))
    assert "data_file: 'respondents.csv' leads a link to somewhere outside the wave's folder" in line


def test_a_field_given_twice_in_wave_yml_is_an_error(tmp_path):
    data, folder = make_wave(tmp_path)
    path = folder / "wave.yml"
    path.write_text(path.read_text() + "title: Another title\n")
    line = one_error(cli(data, "validate", "--wave", "2014"))
    assert line.startswith(f"error: {path}: line ") and "duplicate key 'title'" in line


def test_an_alias_bomb_is_refused_at_once(tmp_path):
    data, folder = make_wave(tmp_path)
    path = folder / "wave.yml"
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(9)
    )
    path.write_text(path.read_text() + bomb)
    started = time.monotonic()
    line = one_error(cli(data, "validate", "--wave", "2014"))
    assert time.monotonic() - started < 30  # (generous: the point is that it does not run for minutes)
    assert "aliases expand to more than" in line
    with pytest.raises(Exception, match="aliases expand"):
        load_yaml(bomb)


def test_an_impossible_date_names_the_field(tmp_path):
    data, folder = make_wave(tmp_path, fieldwork={"start": "2014-02-30", "end": "2014-03-06"})
    line = one_error(cli(data, "validate", "--wave", "2014"))
    assert line == f"error: {folder / 'wave.yml'}: fieldwork.start: '2014-02-30' is not a date (expected YYYY-MM-DD)"


def _csv(tmp_path, sav_frame, change):  # noqa: F811
    frame = sav_frame[0].copy()
    return make_wave(tmp_path, data_file="respondents.csv", write=lambda p: p.write_text(change(frame)))


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda f: f.to_csv(index=False, sep=";"), "the header row is separated by semicolons, not commas"),
        (
            lambda f: f.rename(columns={"fairness": "weight"}).to_csv(index=False),
            "column 'weight' appears 2 times in the header row",
        ),
        (
            lambda f: "\n".join((lambda lines: lines[:4] + [lines[0]] + lines[4:])(f.to_csv(index=False).splitlines())),
            "row 4 repeats the header row",
        ),
    ],
)
def test_csv_dialect_problems_are_named(tmp_path, sav_frame, change, expected):  # noqa: F811
    data, folder = _csv(tmp_path, sav_frame, change)
    line = one_error(cli(data, "validate", "--wave", "2014"))
    assert expected in line and str(folder / "respondents.csv") in line


def test_weights_with_decimal_commas_or_words_quote_their_value(tmp_path, sav_frame):  # noqa: F811
    def change(frame):
        frame["weight"] = frame["weight"].map(lambda w: f"{w:.3f}".replace(".", ",")).astype(object)
        frame.loc[0, "weight"] = "one"
        return frame.to_csv(index=False)

    data, _ = _csv(tmp_path, sav_frame, change)
    done = cli(data, "validate", "--wave", "2014")
    assert done.returncode == 2
    assert "variable weight, row 1, respondent 140001: weight 'one' is not a number" in done.stderr
    assert "variable weight, row 2, respondent 140002: weight '1,229' has a decimal comma" in done.stderr


def test_blank_rows_at_the_end_are_ignored(tmp_path, sav_frame):  # noqa: F811
    data, _ = _csv(tmp_path, sav_frame, lambda f: f.to_csv(index=False) + ("," * (f.shape[1] - 1) + "\n") * 99)
    done = cli(data, "validate", "--wave", "2014")
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "value, expected",
    [("1417392000000", "milliseconds rather than seconds"), ("not-a-date", "not a whole number of seconds")],
)
def test_source_date_epoch_is_checked_before_any_work(tmp_path, value, expected):
    with pytest.raises(InputError, match=expected):
        check_source_date_epoch(value)
    data, _ = make_wave(tmp_path)
    done = cli(data, "tables", "--wave", "2014", env={**os.environ, "SOURCE_DATE_EPOCH": value})
    assert one_error(done).startswith(f"error: SOURCE_DATE_EPOCH={value!r}")
    assert not (tmp_path / "build").exists()  # refused before any work


def test_make_syntax_in_wave_is_data(tmp_path):
    marker = tmp_path / "ran"
    done = subprocess.run(
        ["make", "-n", "report", f"WAVE=$(shell touch {marker})"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "MAKEFLAGS": ""},
    )
    assert done.returncode == 2 and "not a plain wave id" in done.stderr
    assert not marker.exists()


def test_a_full_disk_names_the_file_and_leaves_nothing_half_written(tmp_path, monkeypatch):
    import pandas as pd

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    target = tmp_path / "results.csv"
    with pytest.raises(OSError) as caught:
        write_results(pd.DataFrame({"a": [1]}), target)
    assert caught.value.filename == str(target) and "No space left on device" in caught.value.strerror
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "placeholder, expected",
    [
        ("{{ ''.__class__.__mro__ }}", "access to attribute '__class__' of 'str' object is unsafe"),
        ("{% include 'secrets.txt' %}", "an essay cannot include or import other files"),
    ],
)
def test_an_essay_that_tries_to_leave_its_sandbox_names_its_file_and_line(tmp_path, placeholder, expected):
    from collaborative_citizen.publish.essays import PublishError, load_essays, render_essay

    source = (ROOT / "report" / "commentary" / "response-unwin.md").read_text()
    head, body = source.split("\n---\n", 1)
    path = tmp_path / "response-unwin.md"
    path.write_text(f"{head}\n---\n{placeholder}\n{body}")
    essay = load_essays(tmp_path)[0]
    with pytest.raises(PublishError) as caught:
        render_essay(essay, {})
    line = head.count("\n") + 3
    assert caught.value.problems == [f"{path}: line {line}: {expected}" + caught.value.problems[0].split(expected)[1]]


def test_a_label_the_fonts_cannot_show_or_a_web_address_is_named_where_it_is_written(report_dir, tmp_path):
    import shutil
    import sys

    import yaml
    from conftest import DATA

    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    codebook = yaml.safe_load((data / "codebook.yml").read_text())
    answers = codebook["questions"]["fairness"]["answers"]
    answers[0]["label"] = "\u0627\u0644\u0639\u062f\u0644 (fairness)"
    answers[1]["label"] = "See https://example.org/fair"
    (data / "codebook.yml").write_text(yaml.safe_dump(codebook, sort_keys=False, allow_unicode=True))
    build = copy_inputs(report_dir, tmp_path / "build")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "collaborative_citizen",
            "publish",
            "html",
            "--wave",
            "2014",
            "--data-dir",
            str(data),
            "--build-dir",
            str(build.parent),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    key = "questions.fairness.answers"
    assert any(f"codebook.yml: {key}.equal_opportunity.label: U+0627 ARABIC LETTER ALEF" in line for line in lines)
    assert any(
        f"codebook.yml: {key}.same_for_everyone.label: 'https://example.org/fair' is a web address" in line
        for line in lines
    )
