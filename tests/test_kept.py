"""Results of the HTML step kept from one build for the next (publish/kept.py): used only for the same step,
inputs and code, read back as they were computed, and giving the page a build from nothing gives."""

import shutil

import pytest
from conftest import NAME, SESSION_EPOCH, WAVE

from collaborative_citizen.analysis import changes
from collaborative_citizen.paths import Paths
from collaborative_citizen.publish import fact_check, html, kept, methods, parts, report
from collaborative_citizen.publish.kept import KeptResults


def test_a_result_is_computed_once_for_the_same_step_and_inputs(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"rows": [("a", 1.5), ("b", None)]}

    first = KeptResults(tmp_path).get("step", ["input"], compute)
    again = KeptResults(tmp_path).get("step", ["input"], compute)
    assert first == again == {"rows": [["a", 1.5], ["b", None]]}  # as JSON gives it back, either way
    assert len(calls) == 1
    KeptResults(tmp_path).get("step", ["other input"], compute)
    KeptResults(tmp_path).get("other step", ["input"], compute)
    assert len(calls) == 3


def test_a_change_to_the_code_computes_afresh(tmp_path, monkeypatch):
    KeptResults(tmp_path).get("step", ["input"], lambda: "before")
    monkeypatch.setattr(kept, "code_digest", lambda: "another version of the package")
    assert KeptResults(tmp_path).get("step", ["input"], lambda: "after") == "after"


def test_a_damaged_result_is_computed_again(tmp_path):
    KeptResults(tmp_path).get("step", ["input"], lambda: "value")
    (path,) = tmp_path.glob("*.json")
    path.write_text('"val', encoding="utf-8")  # cut short
    assert KeptResults(tmp_path).get("step", ["input"], lambda: "value") == "value"


def test_what_a_build_did_not_use_is_removed(tmp_path):
    earlier = KeptResults(tmp_path)
    earlier.get("step", ["old wording"], lambda: 1)
    (tmp_path / ".abc.json.999999999.partial").write_text("", encoding="utf-8")  # of a process long gone
    later = KeptResults(tmp_path)
    later.get("step", ["new wording"], lambda: 2)
    later.forget_others()
    assert [p.name for p in tmp_path.iterdir()] == [f"{key}.json" for key in later.used]


@pytest.fixture()
def work_copy(tmp_path, built_project, report_dir):
    """The session's built 2014 work folder and its report folder, copied: the kept results start empty and are
    this test's, and an essay can be edited."""
    build = tmp_path / "build"
    shutil.copytree(built_project / "report" / "build" / ".work" / "build" / WAVE, build / WAVE)
    shutil.copytree(built_project / "report", tmp_path / "report", ignore=shutil.ignore_patterns("build"))
    return Paths(root=built_project, data=built_project / "data", report=tmp_path / "report", build=build, wave=WAVE)


def test_the_page_is_the_same_from_kept_results(work_copy, report_dir, monkeypatch):
    """A page rendered from nothing kept, and again from what that build kept, is the published page; an edited
    essay computes its own fragment and fact check again, and nothing else (the tables and the parts made from
    them are not read again)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SESSION_EPOCH)  # as the session's build had it
    computed = []
    steps = (
        (html, "clean_fragment"),
        (fact_check, "unsourced_figures"),
        (report, "question_tables"),
        (parts, "notebook_output"),
        (methods, "methods_context"),
        (changes, "read_changes"),
    )
    for module, name in steps:
        real = getattr(module, name)
        monkeypatch.setattr(
            module, name, lambda *a, _real=real, _name=name, **k: computed.append(_name) or _real(*a, **k)
        )
    published = (report_dir / f"{NAME}.html").read_text(encoding="utf-8")
    assert report.render_html(work_copy).html == published
    assert {name for _, name in steps} <= set(computed)
    computed.clear()
    assert report.render_html(work_copy).html == published
    assert computed == []
    essay = work_copy.report / "commentary" / "introduction.md"
    essay.write_text(essay.read_text(encoding="utf-8") + "\n\nOne more sentence.\n", encoding="utf-8")
    assert "One more sentence." in report.render_html(work_copy).html
    assert set(computed) == {"clean_fragment", "unsourced_figures"} and len(computed) <= 4
    # Another results.csv (here: the same table with a blank line after it) makes the tables' parts again.
    computed.clear()
    results = work_copy.out / "results.csv"
    results.write_text(results.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert "One more sentence." in report.render_html(work_copy).html
    assert {"question_tables", "methods_context", "read_changes"} <= set(computed)


RENDER = """
import json, sys
from pathlib import Path
from collaborative_citizen.paths import Paths
from collaborative_citizen.publish.report import render_html
root, data, report, build = map(Path, sys.argv[1:5])
render_html(Paths(root=root, data=data, report=report, build=build, wave="2014"))
print(json.dumps(sorted(name for name in ("numpy", "pandas") if name in sys.modules)))
"""


def test_after_an_edited_essay_the_page_is_rendered_without_pandas(work_copy):
    """The HTML step after an edited essay imports neither pandas nor numpy (the tables' parts are kept): a new
    process renders the page in about half a second less."""
    import json
    import subprocess
    import sys

    def render() -> list[str]:
        where = [str(p) for p in (work_copy.root, work_copy.data, work_copy.report, work_copy.build)]
        done = subprocess.run(
            [sys.executable, "-c", RENDER, *where], capture_output=True, text=True, check=True, timeout=120
        )
        return json.loads(done.stdout.splitlines()[-1])

    assert render() == ["numpy", "pandas"]  # nothing kept yet
    essay = work_copy.report / "commentary" / "introduction.md"
    essay.write_text(essay.read_text(encoding="utf-8") + "\n\nOne more sentence.\n", encoding="utf-8")
    assert render() == []


def test_an_edited_essays_page_is_told_before_nbconvert_makes_it(work_copy, monkeypatch):
    """After an edited essay, the page is told from the last one (for the PDF's worker, before nbconvert is
    imported) and is the page nbconvert then makes; nothing is told when nothing changed, or when a finding's
    output did (only raw cells are replaced)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SESSION_EPOCH)
    told = []
    # (Written as the build writes them: the cells name their essays by this copy's paths.)
    report.write_html(work_copy, report.render_html(work_copy))
    same = report.render_html(work_copy, told.append)
    assert told == [] and same.html == work_copy.html.read_text(encoding="utf-8")
    essay = work_copy.report / "commentary" / "introduction.md"
    essay.write_text(essay.read_text(encoding="utf-8") + "\n\nOne more sentence.\n", encoding="utf-8")
    edited = report.render_html(work_copy, told.append)
    assert "One more sentence." in edited.html
    assert told == [edited.html]
    finding = next(cell for cell in edited.notebook.cells if cell.cell_type == "code")
    finding.outputs[0].data["text/html"] += "<p>Another output.</p>"
    assert html.predicted_page(edited.notebook, work_copy.notebook, work_copy.html) is None
    work_copy.notebook.unlink()
    assert html.predicted_page(edited.notebook, work_copy.notebook, work_copy.html) is None


def test_the_kept_parts_do_not_show_the_checkouts_state():
    """The parts kept between builds are keyed without the build's commit and local changes (an edited essay
    changes those): no template but the colophon's, which is made every build, may show them."""
    import re

    from collaborative_citizen.publish.style import TEMPLATES

    showing = {
        path.name
        for path in (TEMPLATES / "parts").glob("*.j2")
        if re.search(r"\bbuild\s*(\.|\[\s*['\"])\s*(" + "|".join(report.BUILD_STATE) + r")\b", path.read_text())
    }
    assert showing == {"colophon.html.j2"}
    assert "colophon" not in parts.KEPT_KINDS
