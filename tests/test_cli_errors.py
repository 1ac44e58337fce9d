"""Bad input gets a clear error: a malformed codebook (duplicate keys, a net naming an unknown answer,
a grid without items), a WAVE that is not a plain id, and DEBUG=1. One small fixture per case; each message
must name the file, the field and (where YAML has one) the line."""

import subprocess
import sys

import pytest
import yaml
from conftest import DATA, ROOT

from collaborative_citizen.cli import main as cli_main
from collaborative_citizen.inputs.codebook import CodebookError, load_codebook

SMALL = """\
design:
  split_half:
    wording: Random half
    answers:
      - {key: A, code: 1, label: Half A, label_source: assumed}
      - {key: B, code: 2, label: Half B, label_source: assumed}
questions:
  engagement:
    wording: How often do services involve you?
    type: grid
    items:
      - {key: decisions, label: Involve you in decisions}
    answers:
      - {key: always, code: 1, label: Always, label_source: published}
      - {key: often, code: 2, label: Often, label_source: published}
      - {key: never, code: 3, label: Never, label_source: published}
    nets:
      - {key: always_often, label: Always or often, answers: [always, often]}
"""


def _codebook(tmp_path, text):
    path = tmp_path / "codebook.yml"
    path.write_text(text, encoding="utf-8")
    return path


def _error(path) -> str:
    with pytest.raises(CodebookError) as raised:
        load_codebook(path)
    return str(raised.value)


def test_the_small_codebook_is_valid(tmp_path):
    assert load_codebook(_codebook(tmp_path, SMALL)).questions["engagement"].net("always_often").answers == (
        "always",
        "often",
    )


def test_a_duplicate_key_is_refused_with_both_lines(tmp_path):
    # PyYAML alone would keep the second wording and say nothing.
    text = SMALL.replace(
        "    wording: How often do services involve you?\n",
        "    wording: How often do services involve you?\n    wording: A pasted wording\n",
    )
    path = _codebook(tmp_path, text)
    message = _error(path)
    assert message.startswith(f"{path}: line 10, column 5: duplicate key 'wording'"), message
    assert "first at line 9" in message


def test_a_duplicate_question_is_refused(tmp_path):
    block = SMALL[SMALL.index("  engagement:") :]
    path = _codebook(tmp_path, SMALL + block)
    assert "duplicate key 'engagement'" in _error(path)


def test_a_net_naming_an_unknown_answer(tmp_path):
    path = _codebook(tmp_path, SMALL.replace("answers: [always, often]", "answers: [always, rarely]"))
    message = _error(path)
    assert message.startswith(f"{path}: questions.engagement.nets: net 'always_often' refers to unknown answers rarely")
    assert "(expected answer keys: always, often, never)" in message


def test_a_grid_without_items(tmp_path):
    path = _codebook(
        tmp_path, SMALL.replace("    items:\n      - {key: decisions, label: Involve you in decisions}\n", "")
    )
    message = _error(path)
    assert message.startswith(f"{path}: questions.engagement: items: a grid needs items"), message


def test_an_answer_without_a_code(tmp_path):
    path = _codebook(tmp_path, SMALL.replace("{key: never, code: 3,", "{key: never,"))
    assert _error(path) == f"{path}: questions.engagement.answers: entry 'never' has no code (expected code: ...)"


def test_an_asked_of_that_is_not_a_half(tmp_path):
    text = SMALL.replace(
        "{key: decisions, label: Involve you in decisions}",
        "{key: decisions, label: Involve you in decisions, asked_of: C}",
    )
    text = text.replace("    type: grid\n", "    type: grid\n    split_sample: {variable: split_half}\n")
    message = _error(_codebook(tmp_path, text))
    assert "questions.engagement.items.decisions: asked_of 'C'" in message and "(expected one of: A, B)" in message


def test_the_real_codebook_has_no_duplicate_keys():
    load_codebook(DATA / "codebook.yml")


def _cli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "collaborative_citizen", *args], cwd=ROOT, capture_output=True, text=True, env=env
    )


@pytest.mark.parametrize("wave", ["../x", "a/b", "", ".hidden", "2014/../2014", "2014\n"])
def test_a_wave_that_is_not_a_plain_id(wave, capsys):
    assert cli_main(["validate", "--wave", wave]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --wave {wave!r}: not a plain wave id (expected letters, digits")
    assert len(err.splitlines()) == 1


def test_a_codebook_error_through_the_command_line(tmp_path):
    data = tmp_path / "data"
    (data / "waves").mkdir(parents=True)
    text = (DATA / "codebook.yml").read_text(encoding="utf-8")
    text = text.replace("version: 1\n", "version: 1\nversion: 2\n", 1)
    (data / "codebook.yml").write_text(text, encoding="utf-8")
    done = _cli("--data-dir", str(data), "validate", "--wave", "2014")
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {data / 'codebook.yml'}: line ")
    assert "duplicate key 'version'" in done.stderr and "Traceback" not in done.stderr


def test_debug_shows_the_traceback(tmp_path):
    import os

    (tmp_path / "codebook.yml").write_text("questions: [\n", encoding="utf-8")
    quiet = _cli("--data-dir", str(tmp_path), "validate")
    assert quiet.returncode == 2 and "Traceback" not in quiet.stderr
    assert quiet.stderr.startswith(f"error: {tmp_path / 'codebook.yml'}: line ")
    loud = _cli("--data-dir", str(tmp_path), "validate", env={**os.environ, "DEBUG": "1"})
    assert loud.returncode == 2 and "Traceback" in loud.stderr and "CodebookError" in loud.stderr


def test_a_crash_is_one_line_without_debug(tmp_path, monkeypatch, capsys):
    import collaborative_citizen.cli as cli

    def boom(args):
        raise RuntimeError("something unexpected\nsecond line")

    monkeypatch.setattr(cli, "cmd_validate", boom)
    monkeypatch.delenv("DEBUG", raising=False)
    parser = cli.parser

    def patched():
        p = parser()
        p._subparsers._group_actions[0].choices["validate"].set_defaults(func=boom)
        return p

    monkeypatch.setattr(cli, "parser", patched)
    assert cli.main(["validate"]) == 1
    err = capsys.readouterr().err
    assert err == (
        "error: validate failed: RuntimeError: something unexpected second line (run with DEBUG=1 for the traceback)\n"
    )


@pytest.mark.parametrize("wave", ["../x", "a/b", ""])
def test_make_refuses_a_wave_that_is_not_a_plain_id(wave):
    done = subprocess.run(["make", "-s", "-n", "report", f"WAVE={wave}"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2
    assert f"WAVE='{wave}': not a plain wave id" in done.stderr


@pytest.mark.parametrize("wave", ["../x", "a/b", ""])
def test_publish_refuses_a_wave_that_is_not_a_plain_id(wave):
    done = subprocess.run(
        [sys.executable, "-m", "collaborative_citizen", "publish", "html", "--wave", wave],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and done.stderr.startswith(f"error: --wave {wave!r}: not a plain wave id")
