"""The Collaborative Citizen survey report pipeline."""

import os
import sys


def available_cores() -> int:
    """The cores this process may run on: the default number of parallel workers (notebooks, PDF pieces)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def exit_without_teardown(code: int) -> None:
    """End a build command as sys.exit(code) would, less the interpreter's teardown: freeing every object of a
    process that has loaded pandas, nbconvert and pypdf takes it a third of a second, which the build waits for.
    Every file is written and closed by then; the exit handlers (multiprocessing's, which remove temporary fonts)
    still run, and the output is flushed."""
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
