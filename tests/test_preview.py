"""`make preview` on a temporary copy of the project: it serves the report with a reload script that no built file
carries, rebuilds on a saved essay, shows a failed build's error above the last good page, and leaves no process
behind after Ctrl-C."""

import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request

import pytest

WAVE = "2014"


def _session_processes(session: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == session and fields[0] != "Z":
                found.append(int(entry))
    return found


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode("utf-8")


def _wait(condition, timeout=120.0, every=0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("timed out")


def _not_2015(folder, names):
    # The session's 2015 report may be building in the same project meanwhile; the preview needs only 2014.
    return [name for name in names if name.startswith("2015")]


@pytest.fixture(scope="module")
def preview(tmp_path_factory, report_dir):
    # A copy of the session's built project (times kept), so the preview's first build is the HTML step alone.
    project = tmp_path_factory.mktemp("preview") / "project"
    shutil.copytree(report_dir.parents[2], project, symlinks=True, ignore=_not_2015)
    log = open(project.parent / "preview.log", "w+")
    process = subprocess.Popen(
        ["make", "-s", "preview", f"WAVE={WAVE}"],
        cwd=project,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        # (As at a terminal: a background job, as in CI or a test worker, would start with Ctrl-C ignored.)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        env={**os.environ, "MAKEFLAGS": "", "SOURCE_DATE_EPOCH": "1417392000"},
    )

    def served():
        log.seek(0)
        found = re.search(r"serving (http://127\.0\.0\.1:\d+/)", log.read())
        return found and found.group(1)

    try:
        url = _wait(served, timeout=60)
        _wait(lambda: json.loads(_get(url + "__preview/state"))["version"] >= 1)
        yield {"url": url, "project": project, "process": process, "log": log}
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def test_the_page_is_served_with_a_reload_script_no_built_file_has(preview):
    page = _get(preview["url"])
    assert "__preview/state" in page and "script-src 'nonce-" in page
    built = preview["project"] / "report" / "build"
    for path in built.rglob("*.html"):
        assert "__preview" not in path.read_text(encoding="utf-8"), path


def test_a_saved_essay_is_served_and_a_broken_one_keeps_the_last_good_page(preview):
    url, essay = preview["url"], preview["project"] / "report" / "commentary" / "response-unwin.md"
    original = essay.read_text()
    essay.write_text(original + "\nA sentence written while the preview ran.\n")
    _wait(lambda: "A sentence written while the preview ran." in _get(url))
    essay.write_text(original + "\n{{ no_such_number }}\n")
    state = _wait(lambda: (s := json.loads(_get(url + "__preview/state")))["errors"] and s)
    assert state["errors"][0].startswith("error: report/commentary/response-unwin.md: line ")
    assert "'no_such_number' is undefined" in state["errors"][0]
    assert "A sentence written while the preview ran." in _get(url)  # the last good page
    preview["log"].seek(0)
    assert state["errors"][0] in preview["log"].read()  # the terminal says the same
    essay.write_text(original)
    _wait(lambda: not json.loads(_get(url + "__preview/state"))["errors"])


def _kernels_in(project) -> list[int]:
    """IPython kernels working in the project's folder (jupyter_client starts each in a session of its own)."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            command = open(f"/proc/{entry}/cmdline", "rb").read()
            if b"ipykernel" in command and os.readlink(f"/proc/{entry}/cwd") == str(project):
                found.append(int(entry))
        except OSError:
            continue
    return found


def test_a_saved_finding_template_is_served(preview):
    """A finding's commentary template alone changed: the preview runs that finding in the kernel it keeps."""
    url, project = preview["url"], preview["project"]
    template = sorted((project / "report" / "findings").glob("0[1-9]_*.md.j2"))[0]
    original = template.read_text()
    template.write_text(original + "- A bullet written while the preview ran.\n")
    _wait(lambda: "A bullet written while the preview ran." in _get(url))
    assert _kernels_in(project), "the preview keeps a kernel for finding templates"
    template.write_text(original)
    _wait(lambda: "A bullet written while the preview ran." not in _get(url))


def test_ctrl_c_stops_everything_it_started(preview):
    process = preview["process"]
    os.killpg(process.pid, signal.SIGINT)  # as the terminal sends it
    process.wait(timeout=30)
    _wait(lambda: not _session_processes(process.pid), timeout=30)
    _wait(lambda: not _kernels_in(preview["project"]), timeout=30)
    with pytest.raises(OSError):
        _get(preview["url"])


def test_a_page_that_fails_the_whole_page_check_is_served_only_while_checked(report_dir, monkeypatch):
    """An essay's page is served as soon as it is rendered and fact-checked; should the whole-page check then
    fail, the page is taken down (the last good one comes back, with the error) and nothing is written."""
    from collaborative_citizen.errors import PublishError
    from collaborative_citizen.preview import Preview
    from collaborative_citizen.publish import report

    project = report_dir.parents[2]
    work = project / "report" / "build" / ".work" / "build" / WAVE
    page = work / f"collaborative-citizen-{WAVE}.html"
    before = page.read_bytes()
    monkeypatch.chdir(project)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1417392000")
    preview = Preview(WAVE, [], work, project, quiet=True)
    during = []

    def failing_check(paths, html):
        during.append((preview.unchecked == html, preview.state()))
        raise PublishError([f"{paths.show(paths.html)}: a link points to #nowhere, which does not exist"])

    monkeypatch.setattr(report, "check_html", failing_check)
    preview.rebuild_html_here()
    ((served_while_checked, state_then),) = during
    assert served_while_checked and state_then == {"version": 1, "errors": [], "busy": True}
    assert preview.state() == {
        "busy": True,  # (set by the watch loop, which this test stands in for)
        "version": 2,
        "errors": [
            f"error: report/build/.work/build/{WAVE}/{page.name}: a link points to #nowhere, which does not exist"
        ],
    }
    assert preview.unchecked is None and page.read_bytes() == before
    body = before.split(b"</head>", 1)[1].split(b"</body>")[0]
    assert body in preview.served_page()  # the last good page


def test_after_a_package_change_every_save_goes_through_make(tmp_path, monkeypatch):
    """The preview's own modules are older than the package once it changes: an essay saved after that is no
    longer rendered in the preview's process (which would write a page made by the old code)."""
    from collaborative_citizen.preview import Preview

    build = tmp_path / "report" / "build" / ".work" / "build" / WAVE
    build.mkdir(parents=True)
    (build / f"collaborative-citizen-{WAVE}.html").write_text("<p>built</p>")
    preview = Preview(WAVE, [], build, tmp_path, quiet=True)
    ran = []
    monkeypatch.setattr(preview, "rebuild", lambda target="html": ran.append(f"make {target}") or True)
    monkeypatch.setattr(preview, "rebuild_html_here", lambda started=None: ran.append("page here"))
    essay = str(tmp_path / "report" / "commentary" / "introduction.md")
    preview.rebuild_for({essay})
    assert ran == ["page here"]
    preview.rebuild_for({str(tmp_path / "src" / "collaborative_citizen" / "publish" / "html.py")})
    preview.rebuild_for({essay})
    assert ran == ["page here", "make html", "make html"]


def test_any_bad_input_is_an_error_line_and_a_failed_finding_sends_the_next_save_through_make(tmp_path, monkeypatch):
    """A save the command line would refuse with an error (a ValueError from a bad essay's front matter, say)
    shows that error and the preview goes on; after a finding failed in the preview's kernel, the next save goes
    through make, which runs that finding again, rather than showing its last good run."""
    from collaborative_citizen.errors import NotebookError
    from collaborative_citizen.preview import Preview
    from collaborative_citizen.publish import report

    build = tmp_path / "report" / "build" / ".work" / "build" / WAVE
    build.mkdir(parents=True)
    (build / f"collaborative-citizen-{WAVE}.html").write_text("<p>built</p>")
    preview = Preview(WAVE, [], build, tmp_path, quiet=True)

    def bad_essay(paths):
        raise ValueError("report/commentary/introduction.md: order: 'first' is not a number")

    monkeypatch.setattr(report, "render_html", bad_essay)
    preview.rebuild_html_here()
    assert preview.state()["errors"] == ["error: report/commentary/introduction.md: order: 'first' is not a number"]
    assert preview.unchecked is None

    def failing(jobs):
        raise NotebookError("notebooks/03_x.ipynb: failed in cell 4: TemplateProblem: line 2: 'x' is undefined")

    monkeypatch.setattr(preview.notebooks, "run", failing)
    assert preview.run_here([]) is False
    ran = []
    monkeypatch.setattr(preview, "rebuild", lambda target="html": ran.append(f"make {target}") or True)
    preview.rebuild_for({str(tmp_path / "report" / "commentary" / "introduction.md")})
    assert ran == ["make html"]
