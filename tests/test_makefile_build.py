"""Trust in the build as a whole: it runs without a network; a second build, from the same commit with make's
parallel steps, gives byte-identical outputs; and a failed build leaves the last good report, tables and figures
byte for byte as they were.

The session's project is cloned (the same commit, so the colophon is the same), built offline and compared
with the session's report, then broken on purpose."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyreadstat
import pytest
import yaml
from conftest import NAME, ROOT, SESSION_EPOCH, WAVE

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
def offline(tmp_path_factory, built_project, report_dir):
    """The session's project cloned (the same commit, so the same colophon) and built again, offline, with make's
    parallel steps: a second build to compare with the session's, byte for byte, and to break on purpose."""
    root = tmp_path_factory.mktemp("offline")
    project = root / "project"
    subprocess.run(["git", "clone", "-q", str(built_project), str(project)], check=True)
    if not (project / ".venv").exists():  # (the copy commits its link to the environment)
        (project / ".venv").symlink_to(ROOT / ".venv")
    for name in ("pyproject.toml", "requirements.lock"):  # not newer than the environment (see copy_project)
        os.utime(project / name, (0, 0))
    # -j2: parallel steps (and two notebook kernels) must give the same bytes as the session's `make report`.
    make = ["make", "-s", "-j2", "report", f"WAVE={WAVE}"]
    command, env = _offline_command(make)
    env.update(MAKEFLAGS="", SOURCE_DATE_EPOCH=SESSION_EPOCH)
    done = subprocess.run(command, cwd=project, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return {
        "root": project,
        "data": project / "data",
        "make": make,
        "env": env,
        "output": done.stdout,
        "build": project / "report" / "build" / WAVE,
        "figures": project / "figures" / WAVE,
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


def test_two_builds_give_identical_outputs(offline, built_project, report_dir):
    """Every output of the offline parallel build equals the session's, and WeasyPrint understood every layout
    rule (the PDF step reports no warnings)."""
    for name in ("results.csv", "changes.csv", f"{NAME}.html", f"{NAME}.pdf", f"{NAME}-tables.xlsx", f"{NAME}.ipynb"):
        assert (offline["build"] / name).read_bytes() == (report_dir / name).read_bytes(), f"{name} differs"
    session_figures = built_project / "figures" / WAVE
    files = sorted(p.name for p in offline["figures"].iterdir())
    assert len([f for f in files if f.endswith(".svg")]) == 8
    assert files == sorted(p.name for p in session_figures.iterdir())
    for name in files:
        assert (offline["figures"] / name).read_bytes() == (session_figures / name).read_bytes(), name
    assert "warnings" not in offline["output"], offline["output"]


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
    done = subprocess.run(offline["make"], cwd=offline["root"], capture_output=True, text=True, env=offline["env"])
    assert done.returncode != 0, done.stdout
    assert "tables: 2014:" in done.stdout  # the failure came after the tables were rebuilt
    assert '"97%" comes from neither the data nor a declared citation' in done.stderr
    work = offline["root"] / "report" / "build" / ".work" / "build" / WAVE / "results.csv"
    assert work.read_bytes() != before[str(offline["build"] / "results.csv")]
    assert _snapshot(offline["build"], offline["figures"]) == before
    leftovers = list(offline["build"].parent.glob(f"{WAVE}.*")) + list(offline["figures"].parent.glob(f"{WAVE}.*"))
    assert not leftovers, f"a staging copy was left behind: {leftovers}"
