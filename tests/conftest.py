import fcntl
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pyreadstat
import pytest
import yaml

from collaborative_citizen.analysis.tables import weighted_tables
from collaborative_citizen.inputs.codebook import load_codebook
from collaborative_citizen.inputs.loading import load_respondents
from collaborative_citizen.inputs.waves import load_wave
from collaborative_citizen.kernels import remove_kernel_root

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


@pytest.fixture(scope="session", autouse=True)
def _kernel_sockets_removed():
    """Tests that start kernels in this process (not through the command line, which cleans up after itself)
    leave the kernels' socket folder behind unless it is removed when the session ends."""
    yield
    remove_kernel_root()


@pytest.fixture(scope="session")
def codebook():
    return load_codebook(DATA / "codebook.yml")


@pytest.fixture(scope="session")
def wave():
    return load_wave(DATA / "waves" / "2014")


@pytest.fixture(scope="session")
def respondents(wave, codebook):
    return load_respondents(wave, codebook)


@pytest.fixture(scope="session")
def table(respondents):
    return weighted_tables(respondents)


def copy_project(target: Path, waves=("2014", "2015")) -> Path:
    """The project's sources and data (the given waves), without anything built, in `target`, for a build that
    edits inputs a test may not touch in the checkout; the environment is the checkout's own (a link)."""
    target.mkdir(parents=True)
    for name in ("Makefile", "pyproject.toml", "requirements.lock"):
        shutil.copy2(ROOT / name, target / name)
    ignore = shutil.ignore_patterns("build", "__pycache__", "*.failed.ipynb")
    for name in ("notebooks", "report", "src"):
        shutil.copytree(ROOT / name, target / name, ignore=ignore)
    (target / "data" / "waves").mkdir(parents=True)
    shutil.copy2(ROOT / "data" / "codebook.yml", target / "data" / "codebook.yml")
    shutil.copytree(ROOT / "data" / "published", target / "data" / "published")
    for wave in waves:
        shutil.copytree(ROOT / "data" / "waves" / wave, target / "data" / "waves" / wave)
    (target / ".venv").symlink_to(ROOT / ".venv")
    # The copy's pyproject.toml must not look newer than the environment: make would reinstall the package from
    # the copy, and the checkout's environment would then run the copy's code.
    os.utime(target / "pyproject.toml", (0, 0))
    os.utime(target / "requirements.lock", (0, 0))
    return target


# The build date of the session's reports (1 December 2014): fixed, so that another build can be compared.
SESSION_EPOCH = "1417392000"


def make_report(project: Path, wave: str, target: str = "report") -> subprocess.CompletedProcess:
    env = {**os.environ, "MAKEFLAGS": "", "SOURCE_DATE_EPOCH": SESSION_EPOCH}
    return subprocess.run(["make", "-s", target, f"WAVE={wave}"], cwd=project, capture_output=True, text=True, env=env)


# The 2014 report, built once per test session by `make report` as a researcher would, in a copy of the project
# (a test never writes into the checkout's report/build/ or figures/).
WAVE = "2014"
NAME = f"collaborative-citizen-{WAVE}"
OUTPUTS = (f"{NAME}.html", f"{NAME}.pdf", f"{NAME}.ipynb", f"{NAME}-tables.xlsx")


@contextmanager
def _once_per_run(tmp_path_factory, name: str):
    """(folder, done): a folder shared by every pytest-xdist worker of this run, held under a lock, and whether an
    earlier holder finished with it. The session's reports are built once per run, not once per worker."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's folder, above each worker's own
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield root / name, (root / f"{name}.done").exists()
        (root / f"{name}.done").touch()


@pytest.fixture(scope="session")
def built_project(tmp_path_factory) -> Path:
    """A copy of the project in which the session's reports are built (2014, and 2015 when a test asks): a git
    repository of one commit, as a fresh clone is, so that the colophon names the commit it was built from."""
    with _once_per_run(tmp_path_factory, "built") as (folder, done):
        project = folder / "project"
        if not done:
            shutil.rmtree(folder, ignore_errors=True)
            copy_project(project)
            shutil.copy2(ROOT / ".gitignore", project / ".gitignore")
            git = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.org", "-c", "commit.gpgsign=false"]
            subprocess.run(["git", "init", "-q"], cwd=project, check=True)
            subprocess.run([*git, "add", "-A"], cwd=project, check=True)
            subprocess.run([*git, "commit", "-q", "-m", "copy"], cwd=project, check=True)
    return project


def _built(tmp_path_factory, project: Path, wave: str) -> Path:
    # One lock for every build in the copy: make never runs twice at once in one project.
    with _once_per_run(tmp_path_factory, f"built-{wave}") as (_, done):
        if not done:
            made = make_report(project, wave)
            if made.returncode != 0:
                pytest.fail(f"make report WAVE={wave} failed:\n{made.stdout}\n{made.stderr}")
    return project / "report" / "build" / wave


@pytest.fixture(scope="session")
def report_dir(tmp_path_factory, built_project) -> Path:
    """The folder holding the 2014 report's HTML, PDF, notebook and workbook (the copy's report/build/2014)."""
    build = _built(tmp_path_factory, built_project, WAVE)
    for name in OUTPUTS:
        assert (build / name).is_file(), f"{name} was not built"
    return build


@pytest.fixture(scope="session")
def built_2015(tmp_path_factory, built_project, report_dir) -> Path:
    """The 2015 report's folder, built in the same copy (after 2014's: one build at a time in one project)."""
    return _built(tmp_path_factory, built_project, "2015")


@pytest.fixture(scope="session")
def report_html(report_dir) -> str:
    return (report_dir / f"{NAME}.html").read_text(encoding="utf-8")


# Debian's chromium, as the browser tests drive it (Playwright cannot download a browser here).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


# Modules whose tests build a report (make report, the notebooks, the PDF) or drive a browser: `make test-fast`
# leaves them out for the edit loop; `make test` runs everything.
SLOW_MODULES = {
    "test_browser",
    "test_findings",
    "test_notebooks",
    "test_agency_wave",
    "test_preview",
    "test_publish",
    "test_pdf_pieces",
    "test_publish_build",
    "test_publish_pdf",
    "test_sanitise_build",
    "test_makefile_build",
    "test_waves",
}


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: builds a report or drives a browser (left out by make test-fast)")


SESSION_BUILDS = {"report_dir", "built_2015"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.module.__name__ in SLOW_MODULES or SESSION_BUILDS & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


# Small inputs for the bad-input tests: a data folder with one wave, the command line run on it, its one error.


@pytest.fixture(scope="module")
def sav_frame():
    return pyreadstat.read_sav(str(DATA / "waves" / "2014" / "respondents.sav"), apply_value_formats=False)


def make_wave(tmp_path, *, data_file="respondents.sav", write=None, **fields) -> tuple:
    """data/ with the real codebook and a copy of the 2014 wave.yml (changed by `fields`); `write(path)` writes
    the data file, else the 2014 file is copied."""
    data = tmp_path / "data"
    folder = data / "waves" / "2014"
    folder.mkdir(parents=True)
    shutil.copy(DATA / "codebook.yml", data / "codebook.yml")
    description = yaml.safe_load((DATA / "waves" / "2014" / "wave.yml").read_text(encoding="utf-8"))
    description.update(data_file=data_file, **fields)
    (folder / "wave.yml").write_text(yaml.safe_dump(description, sort_keys=False), encoding="utf-8")
    if write is not None:
        write(folder / data_file)
    elif data_file == "respondents.sav":
        shutil.copy(DATA / "waves" / "2014" / "respondents.sav", folder / data_file)
    return data, folder


def cli(data, *args, env=None, build=None, timeout=None):
    """The command line on `data`, its outputs beside it or in `build` (`env`: the environment, default this one)."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "collaborative_citizen",
            "--data-dir",
            str(data),
            "--build-dir",
            str(build or data.parent / "build"),
            *args,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def one_error(done) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, done.stderr
    return errors[0]


def copy_inputs(source: Path, target_root: Path) -> Path:
    """A private copy of a wave's build folder without the published outputs, to publish into."""
    target = target_root / WAVE
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*OUTPUTS, "*.partial*", "*.failed.ipynb"))
    return target
