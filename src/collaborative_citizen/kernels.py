"""The kernels that run the notebooks: how they start (arguments, timeout, Unix sockets in a private folder),
how a reused kernel is cleared between notebooks, and how an interrupted command stops them all.

Only jupyter_client's documented API: `AsyncKernelManager` (start_kernel, shutdown_kernel, has_kernel) and its
provisioner's `pid`."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path

# The kernel logs a warning on every start and an error when papermill stops it after a failure; neither says
# anything the one-line error does not. It imports pandas and matplotlib as it boots, while the command that
# started it is still getting ready, rather than when the first notebook asks for them. Its input history stays
# in memory, as in a kernel nbclient starts: not written to the user's IPython profile.
KERNEL_ARGUMENTS = [
    "--IPKernelApp.log_level=CRITICAL",
    "--IPKernelApp.exec_lines=import pandas, matplotlib.figure",
    "--HistoryManager.hist_file=:memory:",
]
# A kernel starts in a few seconds; one that cannot start should fail soon.
START_TIMEOUT = 30
RESET_TAG = "reset-reused-kernel"
# Run in a reused kernel before each notebook after its first: what the notebook before left behind goes (every
# name it defined, the output history, pyplot's figures). As %reset -f does, without its two full garbage
# collections, which made it cost as much as a small notebook (a fresh kernel does not collect either).
RESET_KERNEL = """\
def _reset_kernel(shell=get_ipython()):
    import sys
    for name in [name for name in shell.user_ns if name not in shell.user_ns_hidden]:
        del shell.user_ns[name]  # this function's own name too
    shell.user_ns.update({"_": "", "__": "", "___": ""})
    shell.user_ns["Out"].clear()
    shell.history_manager.output_hist.clear()
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
_reset_kernel()"""


_KERNEL_ROOT: list[Path] = []


def kernel_root() -> Path:
    """One private folder per command for its kernels' sockets, named after the process, so that whatever stops
    the command (Ctrl-C included) can remove every kernel's folder at once (remove_kernel_root)."""
    if not _KERNEL_ROOT:
        _KERNEL_ROOT.append(Path(tempfile.mkdtemp(prefix=f"cc-kernels-{os.getpid()}-")))
    return _KERNEL_ROOT[0]


def remove_kernel_root() -> None:
    while _KERNEL_ROOT:
        shutil.rmtree(_KERNEL_ROOT.pop(), ignore_errors=True)


class Kernel:
    """One IPython kernel, kept by one worker thread for several notebooks, on Unix sockets in a folder of its own.
    Every call must come from the thread that created it (each thread has its own event loop)."""

    def __init__(self, cwd: Path):
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        self._run = run_sync
        self.folder = Path(tempfile.mkdtemp(prefix="cc-kernel-", dir=kernel_root()))
        self.manager = AsyncKernelManager(
            kernel_name="python3",
            transport="ipc",
            connection_file=str(self.folder / "kernel.json"),
            ip=str(self.folder / "k"),
        )
        self.notebooks_run = 0
        self.pid = None
        try:
            self._run(self.manager.start_kernel)(
                extra_arguments=KERNEL_ARGUMENTS, cwd=str(cwd), env={**os.environ, "MPLBACKEND": "Agg"}
            )
            # (jupyter_client starts a kernel in a session of its own: Ctrl-C at the terminal does not reach it.)
            self.pid = getattr(self.manager.provisioner, "pid", None)
            with _LIVE_LOCK:
                _LIVE[id(self)] = self
        except BaseException:  # Ctrl-C while it starts too: a kernel in a session of its own outlives its command
            self.shutdown()
            raise

    def shutdown(self) -> None:
        with _LIVE_LOCK:
            _LIVE.pop(id(self), None)
        try:
            if self.manager.has_kernel:
                self._run(self.manager.shutdown_kernel)(now=True)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


# The kernels running now, so that an interrupted command can stop them from its main thread (`stop_kernels`).
_LIVE: dict[int, Kernel] = {}
_LIVE_LOCK = threading.Lock()


def stop_kernels() -> None:
    """Kill every running kernel (and whatever it started: its session's process group) at once."""
    import signal

    with _LIVE_LOCK:
        pids = [kernel.pid for kernel in _LIVE.values() if kernel.pid]
    for pid in pids:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


class KernelStartError(Exception):
    """A kernel that did not start: the notebooks left would meet the same."""

    def __init__(self, cause: Exception):
        super().__init__(str(cause))
        self.cause = cause
