"""Running the notebooks (notebooks.py): one kernel per worker, reused, in the environment the build gives, and
nothing left running afterwards, also when the command is interrupted."""

import json
import os
import time
from pathlib import Path

import nbformat
import pytest

from collaborative_citizen.kernels import Kernel
from collaborative_citizen.notebooks import NotebookJob, run_notebook, run_notebooks


def _gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def _notebook(path, source):
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    )
    nb.cells = [
        nbformat.v4.new_code_cell("out = ''", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(source),
    ]
    nbformat.write(nb, path)
    return path


REPORT_SELF = """\
import json, os, sys
json.dump({"pid": os.getpid(), "ppid": os.getppid(), "sid": os.getsid(0), "cwd": os.getcwd(),
           "marker": os.environ.get("CC_TEST_MARKER"), "backend": os.environ.get("MPLBACKEND"),
           "preloaded": "collaborative_citizen.findings.finding" in sys.modules}, open(out, "w"))"""


def test_each_worker_keeps_one_kernel_which_is_gone_when_the_run_ends(tmp_path):
    """run_notebooks starts one kernel per worker, in the environment it gives (MPLBACKEND=Agg), reuses it for the
    next notebook, and stops it at the end."""
    jobs = [
        NotebookJob(
            _notebook(tmp_path / f"{n}.ipynb", REPORT_SELF),
            tmp_path / "out" / f"{n}.ipynb",
            {"out": str(tmp_path / f"{n}.json")},
        )
        for n in range(3)
    ]
    assert run_notebooks(jobs, cwd=tmp_path, workers=2) == []
    seen = [json.loads((tmp_path / f"{n}.json").read_text()) for n in range(3)]
    assert len({s["pid"] for s in seen}) <= 2  # two workers, each keeping its kernel
    assert {s["backend"] for s in seen} == {"Agg"} and {s["cwd"] for s in seen} == {str(tmp_path)}
    assert all(_gone(pid) for pid in {s["pid"] for s in seen})


def test_with_no_notebooks_to_run_no_kernel_starts(monkeypatch):
    """A notebooks step with nothing to run (the tables changed nothing the notebooks read) starts no kernel."""
    from collaborative_citizen import notebooks

    monkeypatch.setattr(notebooks, "Kernel", lambda *a, **k: pytest.fail("a kernel was started"))
    assert run_notebooks([]) == []


def _with_marker(marker: str) -> list[int]:
    """The processes whose environment carries `marker` (the kernels' command lines are their server's)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                environ = open(f"/proc/{entry}/environ", "rb").read()
            except OSError:
                continue
            if marker.encode() in environ:
                found.append(int(entry))
    return found


def test_ctrl_c_while_the_notebooks_run_leaves_no_kernel_behind(tmp_path):
    """Ctrl-C reaches the command, not the kernels (each in a session of its own, as jupyter_client starts them):
    the command stops them."""
    import signal
    import subprocess
    import sys
    import uuid

    marker = f"CC_TEST_RUN={uuid.uuid4()}"
    paths = []
    for n in range(3):
        nb = nbformat.v4.new_notebook(
            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
        )
        nb.cells = [
            nbformat.v4.new_code_cell("wave = ''\ndata_dir = ''\nbuild_dir = ''", metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell(
                f"open({str(tmp_path / f'started-{n}')!r}, 'w').close()\nimport time\ntime.sleep(60)"
            ),
        ]
        nbformat.write(nb, tmp_path / f"{n}.ipynb")
        paths.append(str(tmp_path / f"{n}.ipynb"))
    name, value = marker.split("=")
    process = subprocess.Popen(
        [sys.executable, "-m", "collaborative_citizen", "--build-dir", str(tmp_path / "build"), "notebooks", *paths],
        cwd=tmp_path,
        env={**os.environ, name: value},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        # (as at a terminal: a background job, as in CI, would ignore Ctrl-C)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "started-0").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(_with_marker(marker)) >= 2  # the command and at least one kernel
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=60) != 0
        deadline = time.monotonic() + 10
        while _with_marker(marker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _with_marker(marker) == [], "processes of the interrupted command are still running"
        # Nor are the kernels' socket folders left in the temporary directory.
        import tempfile

        left = list(Path(tempfile.gettempdir()).glob(f"cc-kernels-{process.pid}-*"))
        assert left == [], left
    finally:
        for pid in _with_marker(marker):
            os.kill(pid, signal.SIGKILL)
