"""Issue 6, trust in the build as a whole: it runs without a network; two builds give byte-identical HTML, PDF,
SVG and CSV; markup smuggled into wave.yml or the .sav's labels comes out inert; and a failed build leaves the
last good report, tables and figures byte for byte as they were.

One full `make report` runs here, offline, into a scratch BUILD_ROOT/FIGURES_DIR from a scratch copy of data/;
it is compared with the session's report (tests/test_publish_build.py) and then broken on purpose."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyreadstat
import pytest
import yaml
from conftest import DATA, NAME, ROOT, WAVE
from test_publish_build import copy_inputs

GUARD = Path(__file__).resolve().parent / "offline_guard"
EXTERNAL_URL = re.compile(r"(?:https?|ftp)://|//[a-z0-9.-]+\.[a-z]{2,}/", re.I)


def _offline_command(command: list[str]) -> tuple[list[str], dict]:
    """The command with networking unavailable: a network namespace of its own with only loopback (papermill's
    kernels talk to their parent over it), or where the kernel refuses that, a socket guard in every Python."""
    env = dict(os.environ)
    probe = subprocess.run(["unshare", "-rn", "sh", "-c", "ip link set lo up"], capture_output=True)
    if probe.returncode == 0:
        return ["unshare", "-rn", "sh", "-c", 'ip link set lo up && exec "$@"', "offline", *command], env
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(GUARD), env.get("PYTHONPATH")]))
    return command, env


def _snapshot(*folders: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def offline(tmp_path_factory):
    root = tmp_path_factory.mktemp("offline")
    data = root / "data"
    shutil.copytree(DATA, data)
    # -j2: parallel steps (and two notebook kernels) must give the same bytes as the session's `make report`.
    make = [
        "make",
        "-s",
        "-j2",
        "report",
        f"WAVE={WAVE}",
        f"DATA_DIR={data}",
        f"BUILD_ROOT={root / 'build'}",
        f"FIGURES_DIR={root / 'figures'}",
    ]
    command, env = _offline_command(make)
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return {
        "root": root,
        "data": data,
        "make": make,
        "build": root / "build" / WAVE,
        "figures": root / "figures" / WAVE,
    }


def test_the_network_is_really_unavailable():
    probe = "import socket; socket.create_connection(('192.0.2.1', 80), timeout=3)"
    command, env = _offline_command([sys.executable, "-c", probe])
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    assert done.returncode != 0 and ("unreachable" in done.stderr or "network disabled" in done.stderr), done.stderr


def test_the_offline_build_refers_to_no_network(offline):
    html = (offline["build"] / f"{NAME}.html").read_text(encoding="utf-8")
    without_css_comments = re.sub(r"/\*.*?\*/", "", html, flags=re.S)
    assert not EXTERNAL_URL.search(without_css_comments), EXTERNAL_URL.search(without_css_comments).group(0)
    assert not re.search(r"""\b(?:src|href)=["']?(?!data:|#)[a-z]+:""", html, re.I)


def test_two_builds_give_identical_csv_and_svg(offline, built_project, report_dir):  # noqa: F811
    session_figures = built_project / "figures" / WAVE
    assert (offline["build"] / "results.csv").read_bytes() == (report_dir / "results.csv").read_bytes()
    svgs = sorted(p.name for p in offline["figures"].glob("*.svg"))
    assert len(svgs) == 8
    for name in svgs:
        assert (offline["figures"] / name).read_bytes() == (session_figures / name).read_bytes(), name


def test_two_builds_give_identical_html_pdf_and_workbook(offline, report_dir, tmp_path):  # noqa: F811
    """Against a fresh publish of the session's notebooks (the session's own HTML may come from an earlier
    commit, which its colophon names): make's parallel build and the publish steps one by one give the same
    bytes, and WeasyPrint understood every layout rule."""
    build = copy_inputs(report_dir, tmp_path)
    # As make runs it: the same data folder (the colophon names the data file) and build date.
    epoch = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=ROOT, capture_output=True, text=True).stdout
    env = {**os.environ, "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH") or epoch.strip() or "1391126400"}
    for step in ("xlsx", "html", "pdf"):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "collaborative_citizen",
                "publish",
                step,
                "--wave",
                WAVE,
                "--data-dir",
                str(offline["data"]),
                "--build-dir",
                str(build.parent),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env=env,
        )
        assert done.returncode == 0, done.stderr
        assert "warnings" not in done.stdout, done.stdout
    for name in (f"{NAME}.html", f"{NAME}.pdf", f"{NAME}-tables.xlsx"):
        assert (offline["build"] / name).read_bytes() == (build / name).read_bytes(), f"{name} differs"


def test_a_failed_build_keeps_the_last_report_tables_and_figures(offline):
    """Last, as it changes the scratch data: new answers give new tables (written to the work tree), then a
    later step fails (wave.yml's notes type a figure, which the fact-check of the HTML step refuses). Nothing
    published may change, and nothing be left beside it."""
    before = _snapshot(offline["build"], offline["figures"])
    assert len(before) > 20
    sav = offline["data"] / "waves" / WAVE / "respondents.sav"
    frame, _ = pyreadstat.read_sav(str(sav), apply_value_formats=False)
    moved = frame["fairness"] == 1
    frame.loc[moved & (frame.index % 3 == 0), "fairness"] = 2
    pyreadstat.write_sav(frame, str(sav))
    described = offline["data"] / "waves" / WAVE / "wave.yml"
    described.write_text(described.read_text().replace("notes: >\n", "notes: >\n  About 97% of it is typed.\n", 1))
    done = subprocess.run(offline["make"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode != 0, done.stdout
    assert "tables: 2014:" in done.stdout  # the failure came after the tables were rebuilt
    assert '"97%" comes from neither the data nor a declared citation' in done.stderr
    work = offline["root"] / "build" / ".work" / "build" / WAVE / "results.csv"
    assert work.read_bytes() != before[str(offline["build"] / "results.csv")]
    assert _snapshot(offline["build"], offline["figures"]) == before
    leftovers = list(offline["build"].parent.glob(f"{WAVE}.*")) + list(offline["figures"].parent.glob(f"{WAVE}.*"))
    assert not leftovers, f"a staging copy was left behind: {leftovers}"
