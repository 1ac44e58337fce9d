"""Speed and memory of the data steps: load + validate, and the weighted tables.

Run with `make bench`. Prints one line per measurement; nothing here asserts a time, because timings
depend on the machine. The 10x row stacks ten copies of the 2014 file (new ids) to show how the table
engine scales with the number of respondents."""
from __future__ import annotations

import statistics
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from collaborative_citizen.codebook import load_codebook
from collaborative_citizen.loading import Respondents, load_respondents
from collaborative_citizen.tables import weighted_tables
from collaborative_citizen.waves import load_wave

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 5


def measure(label: str, func) -> None:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"bench: {label:<34} median {statistics.median(times):7.3f} s  "
          f"(min {min(times):.3f}, {REPEATS} runs)  peak Python memory {peak / 2**20:7.1f} MiB")


def main() -> None:
    codebook = load_codebook(ROOT / "data" / "codebook.yml")
    wave = load_wave(ROOT / "data" / "waves" / "2014")
    respondents = load_respondents(wave, codebook)
    measure("load + validate 2014 (989)", lambda: load_respondents(wave, codebook))
    measure("weighted tables 2014 (989)", lambda: weighted_tables(respondents))
    copies = []
    for copy in range(10):
        frame = respondents.data.copy()
        frame[wave.respondent_id] = frame[wave.respondent_id].astype(np.int64) + copy * 1_000_000
        copies.append(frame)
    big = Respondents(wave=wave, codebook=codebook, data=pd.concat(copies, ignore_index=True), asked=respondents.asked,
                      source=respondents.source)
    measure(f"weighted tables 10x ({len(big.data):,})", lambda: weighted_tables(big))


if __name__ == "__main__":
    main()
