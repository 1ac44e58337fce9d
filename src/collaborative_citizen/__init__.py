"""The Collaborative Citizen survey report pipeline."""

import os


def available_cores() -> int:
    """The cores this process may run on: the default number of parallel workers (notebook kernels)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
