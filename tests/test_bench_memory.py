"""benchmarks/memory.py, which `make bench` and `make bench-peers` use for peak memory: it must count every process
of the tree (the notebooks' kernels are children of children), not only the one it started."""

import os
import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from memory import run_measured  # noqa: E402

# A child that holds about 120 MiB of its own for a second, started by a shell that itself holds little.
HOLD = "import time; block = bytearray(120 * 1024 * 1024); block[::4096] = b'x' * len(block[::4096]); time.sleep(1)"


def test_peak_memory_counts_the_grandchildren():
    measured = run_measured(
        f'{sys.executable} -c "{HOLD}"; true', cwd=ROOT, env=dict(os.environ), shell=True, sample=True
    )
    assert measured["returncode"] == 0
    assert 110 < measured["peak_pss_mib"] < 400


def test_without_sampling_only_the_time_is_measured():
    measured = run_measured(["true"], cwd=ROOT, env=dict(os.environ))
    assert measured["peak_pss_mib"] == 0 and measured["seconds"] > 0
