"""Notebook kernels forked from one process that has already imported what the notebooks use.

A kernel started the usual way is a new Python that imports IPython, pandas, matplotlib and this package: about
two seconds of CPU, paid again by every kernel of a build. The fork server (`python -m
collaborative_citizen.kernel_fork`) pays it once, while the build does other work, then forks each kernel from
itself, ready to run. A forked kernel is the kernel `python -m ipykernel_launcher` would start, with the same
command line, environment, working folder and session of its own; jupyter_client manages it through
`ForkedKernelProvisioner` as it manages a kernel it started (signals, polling, shutdown).

The server stops when the build closes its end of their socket, and a kernel stops when its server does
(ipykernel's parent poller)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback

# What the report's notebooks import; anything else they import, a kernel imports itself.
PRELOADED = (
    "pandas",
    "matplotlib.figure",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "IPython.display",
    "collaborative_citizen.findings",
    "collaborative_citizen.about",
)
KERNEL_MODULE = "ipykernel_launcher"
# How long a kernel may wait for the server, which may still be importing on a busy machine.
SERVER_TIMEOUT = 60


class ForkServer:
    """The client end: starts the server at once (it imports while the caller gets on with its own work) and asks
    it for kernels, from any thread."""

    def __init__(self, preload: tuple[str, ...] = PRELOADED):
        ours, theirs = socket.socketpair()
        # (Kernels draw without a display; matplotlib reads MPLBACKEND when it is imported, here.)
        self.process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(theirs.fileno()), *preload],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            env={**os.environ, "MPLBACKEND": "Agg"},
        )
        theirs.close()
        self.socket = ours
        self.replies = ours.makefile("rb")
        self.lock = threading.Lock()

    def can_start(self, cmd: list[str]) -> bool:
        """Whether `cmd` starts the kernel this server forks: ipykernel, in the server's own Python."""
        same_python = os.path.realpath(cmd[0]) == os.path.realpath(sys.executable)
        return len(cmd) > 3 and cmd[1:3] == ["-m", KERNEL_MODULE] and same_python

    def start_kernel(self, cmd: list[str], env: dict, cwd: str, timeout: float) -> "ForkedProcess":
        request = json.dumps({"argv": cmd[3:], "env": env, "cwd": str(cwd)}).encode("utf-8") + b"\n"
        with self.lock:
            try:
                self.socket.settimeout(timeout)
                self.socket.sendall(request)
                line = self.replies.readline()
            except OSError as error:
                line, detail = b"", f"{type(error).__name__}: {error}"
            else:
                detail = "the kernel fork server stopped"
        if not line:
            raise RuntimeError(f"Kernel died before it started: {detail}")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(
                f"Kernel died before it started: the kernel fork server could not import {reply['error']}"
            )
        return ForkedProcess(reply["pid"])

    def stop(self) -> None:
        """Stop the server, which may still be importing: a kernel asked for meanwhile does not start. (Kernels
        it has started stop with it.)"""
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait()

    def close(self) -> None:
        """Stop the server once its kernels have been shut down by their managers."""
        self.stop()
        self.replies.close()
        self.socket.close()


class ForkedProcess:
    """What jupyter_client needs of a kernel's Popen, for a kernel that is the server's child, not ours. The
    server ignores SIGCHLD, so an exited kernel is gone at once (no zombie), and its pid stops answering."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        self.signalled: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                # (Its exit status went to the server.)
                self.returncode = -self.signalled if self.signalled else 0
        return self.returncode

    def wait(self) -> int:
        while self.poll() is None:
            time.sleep(0.01)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)
            if signum in (signal.SIGKILL, signal.SIGTERM):
                self.signalled = signum

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def forked_provisioner(manager, server: ForkServer):
    """A provisioner for `manager` that forks its kernel from `server` (or starts it as usual, for a command the
    server cannot fork)."""
    import uuid

    from jupyter_client.provisioning import LocalProvisioner

    class ForkedKernelProvisioner(LocalProvisioner):
        async def launch_kernel(self, cmd, **kwargs):
            if not server.can_start(cmd):
                return await super().launch_kernel(cmd, **kwargs)
            self.cwd = kwargs.get("cwd") or os.getcwd()
            self.process = server.start_kernel(
                cmd, kwargs.get("env") or dict(os.environ), self.cwd, timeout=SERVER_TIMEOUT
            )
            # Its own session, as jupyter_client starts kernels: a signal to its group reaches it alone.
            self.pid = self.pgid = self.process.pid
            return self.connection_info

    manager.kernel_id = manager.kernel_id or str(uuid.uuid4())
    return ForkedKernelProvisioner(kernel_id=manager.kernel_id, kernel_spec=manager.kernel_spec, parent=manager)


def serve(connection: socket.socket, preload: list[str]) -> None:
    """Import `preload` (what the notebooks use), then fork a kernel for each request (one JSON line: argv, env,
    cwd) and answer with its pid, or with what could not be imported."""
    failed = None
    try:
        for name in preload:
            __import__(name)
    except Exception as error:  # every request gets the reason, as the error of a kernel that did not start
        failed = f"{name}: {type(error).__name__}: {error}"
    # Kernels are reaped as they exit: each kernel's pid stops answering when it has gone (see ForkedProcess).
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    requests = connection.makefile("rb")
    for line in requests:
        if failed:
            reply = {"error": failed}
        else:
            request = json.loads(line)
            pid = os.fork()
            if pid == 0:
                requests.close()
                connection.close()
                _become_kernel(request["argv"], request["env"], request["cwd"])
            reply = {"pid": pid}
        connection.sendall(json.dumps(reply).encode("utf-8") + b"\n")


def _become_kernel(argv: list[str], env: dict, cwd: str) -> None:
    """In a forked child: run ipykernel as `python -m ipykernel_launcher <argv>` would, then exit."""
    code = 1
    try:
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        # Its parent is the server (jupyter_client named the build's process): the kernel stops when it does. (On
        # the command line: ipykernel read the variable when the server imported it.)
        os.environ["JPY_PARENT_PID"] = str(os.getppid())
        argv = [*argv, f"--IPKernelApp.parent_handle={os.getppid()}"]
        from ipykernel.kernelapp import IPKernelApp

        sys.argv = [KERNEL_MODULE, *argv]
        IPKernelApp.launch_instance(argv=argv)
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)


if __name__ == "__main__":
    # Ctrl-C reaches the whole build: the command that started the server decides, and stops it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve(socket.socket(fileno=int(sys.argv[1])), sys.argv[2:])
