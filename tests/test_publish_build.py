"""The published report built once per test session from the real pipeline, and tests of the build as a whole:
identical rebuilds, a failed build that keeps the last good report, originality."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import NAME, WAVE, copy_inputs

from collaborative_citizen.publish.fact_check import PROPORTION

ROOT = Path(__file__).resolve().parent.parent
ORIGINALITY = ROOT.parent / "shared" / "tools" / "check-originality"


def publish(*args: str, build_dir: Path, report_dir: Path | None = None) -> subprocess.CompletedProcess:
    command = [
        sys.executable,
        "-m",
        "collaborative_citizen",
        "publish",
        *args,
        "--wave",
        WAVE,
        "--build-dir",
        str(build_dir),
    ]
    if report_dir:
        command += ["--report-dir", str(report_dir)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True)


def test_each_step_prints_one_line(report_dir, tmp_path):
    copy_inputs(report_dir, tmp_path)
    done = publish("html", build_dir=tmp_path)
    assert done.returncode == 0 and done.stderr == ""
    assert len(done.stdout.splitlines()) == 1 and done.stdout.startswith("publish html: 2014:")


def _essay_copy(tmp_path: Path, edit) -> Path:
    report = tmp_path / "report"
    shutil.copytree(ROOT / "report", report, ignore=shutil.ignore_patterns("build"))
    path = report / "commentary" / "response-parston.md"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return report


def test_a_typed_figure_fails_the_build_and_keeps_the_last_report(report_dir, tmp_path):
    """The sources disagree (50% in the 2014 report, 48% in a 2015 article): typing either instead of the
    placeholder must stop the build, naming the essay and quoting the sentence."""
    build = copy_inputs(report_dir, tmp_path / "build")
    shutil.copy(report_dir / f"{NAME}.html", build)
    before = (build / f"{NAME}.html").read_bytes()
    for typed in ("48%", "50%"):
        report = _essay_copy(
            tmp_path / typed, lambda text: text.replace("{{ F4.involve_decisions_hardly_ever_never | pct }}", typed)
        )
        done = publish("html", build_dir=build.parent, report_dir=report)
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: fact-check: response-parston")
        assert f'"{typed}"' in lines[0] and "hardly ever or never" in lines[0]
        assert (build / f"{NAME}.html").read_bytes() == before


def test_a_placeholder_the_data_lacks_is_an_error(report_dir, tmp_path):
    build = copy_inputs(report_dir, tmp_path / "build")
    report = _essay_copy(tmp_path, lambda text: text.replace("F8.unwilling_or_no_time", "F8.no_such_number"))
    done = publish("html", build_dir=build.parent, report_dir=report)
    assert done.returncode == 2
    assert "response-parston.md" in done.stderr and "no_such_number" in done.stderr
    assert not (build / f"{NAME}.html").exists()


def test_prose_is_our_own():
    if ORIGINALITY.is_file():
        done = subprocess.run([sys.executable, str(ORIGINALITY)], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout
    else:
        # Without the seeds to compare against, at least no essay may type a figure of its own.
        for path in sorted((ROOT / "report" / "commentary").glob("*.md")):
            text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", path.read_text(encoding="utf-8"), flags=re.S)
            body = text.split("\n---\n", 1)[-1]
            assert not PROPORTION.search(body), f"{path.name} types a figure: {PROPORTION.search(body).group(0)}"
