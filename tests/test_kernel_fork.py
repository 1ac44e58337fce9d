"""Notebook kernels forked from the kernel fork server: what a kernel started by jupyter_client would be, and
nothing left running afterwards."""

import json
import os
import time
from pathlib import Path

import nbformat
import pytest

from collaborative_citizen.kernel_fork import ForkServer
from collaborative_citizen.notebooks import Kernel, NotebookJob, run_notebook, run_notebooks


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
           "preloaded": "collaborative_citizen.findings" in sys.modules}, open(out, "w"))"""


def test_a_forked_kernel_runs_in_its_own_session_folder_and_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CC_TEST_MARKER", "from the build")
    work = tmp_path / "work"
    work.mkdir()
    server = ForkServer()
    kernel = Kernel(work, server)
    try:
        run_notebook(
            _notebook(tmp_path / "who.ipynb", REPORT_SELF),
            tmp_path / "out.ipynb",
            {"out": str(tmp_path / "who.json")},
            cwd=work,
            kernel=kernel.manager,
        )
        seen = json.loads((tmp_path / "who.json").read_text())
        assert seen["pid"] == kernel.manager.provisioner.process.pid
        assert seen["ppid"] == server.process.pid  # forked by the server, not started by this process
        assert seen["sid"] == seen["pid"]  # a session of its own, as jupyter_client starts kernels
        assert seen["cwd"] == str(work)
        assert seen["marker"] == "from the build" and seen["backend"] == "Agg"
        assert seen["preloaded"]
    finally:
        kernel.shutdown()
        server.close()
    assert _gone(seen["pid"]) and _gone(server.process.pid)


def test_kernels_stop_with_their_server(tmp_path):
    """A build that dies without shutting its kernels down leaves none behind: each stops when its server has
    gone (the server stops when the build's end of their socket closes)."""
    server = ForkServer()
    kernel = Kernel(tmp_path, server)
    pid = kernel.manager.provisioner.process.pid
    try:
        server.process.kill()
        server.process.wait()
        assert _gone(pid)
    finally:
        kernel.shutdown()
        server.close()


def test_a_server_that_cannot_import_gives_a_kernel_start_error(tmp_path):
    server = ForkServer(preload=("pandas", "collaborative_citizen.no_such_module"))
    try:
        with pytest.raises(
            RuntimeError,
            match=r"Kernel died before it started: .*could not import "
            r"collaborative_citizen.no_such_module: ModuleNotFoundError",
        ):
            Kernel(tmp_path, server)
    finally:
        server.close()
    assert _gone(server.process.pid)


def test_the_notebooks_run_in_forked_kernels(tmp_path):
    """run_notebooks forks its kernels (one per worker) from one server, which is gone when it returns."""
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
    servers = {s["ppid"] for s in seen}
    assert len(servers) == 1 and os.getpid() not in servers
    assert len({s["pid"] for s in seen}) <= 2  # two workers, each keeping its kernel
    assert all(_gone(pid) for pid in {s["pid"] for s in seen} | servers)


def test_with_no_notebooks_to_run_no_kernel_starts(monkeypatch):
    """The tables alone (make report after results.csv has gone, nothing else changed) start no kernel."""
    from collaborative_citizen import notebooks

    monkeypatch.setattr(notebooks, "ForkServer", lambda *a, **k: pytest.fail("a fork server was started"))
    monkeypatch.setattr(notebooks, "Kernel", lambda *a, **k: pytest.fail("a kernel was started"))
    ran = []
    assert run_notebooks([], meanwhile=lambda: ran.append("tables")) == []
    assert ran == ["tables"]


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
    """Ctrl-C reaches the command and its fork server, not the kernels (each in a session of its own, as
    jupyter_client starts them): they stop with their server."""
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
        assert len(_with_marker(marker)) >= 3  # the command, its server and at least one kernel
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
