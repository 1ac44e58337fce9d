"""A command's wall time and peak memory: the largest sum of PSS (proportional set size: shared pages divided among
the processes sharing them) over the command's process tree, kernels included, sampled every 50 ms from /proc."""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time

SAMPLE_SECONDS = 0.05


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(parent, []).append(int(entry))
    return tree


def tree_pss_mib(root: int) -> float:
    tree, total, todo = _children(), 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(tree.get(pid, []))
        try:
            with open(f"/proc/{pid}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total / 1024


def run_measured(command, cwd, env, shell: bool = False, sample: bool = False) -> dict:
    """Seconds, and with `sample` the peak PSS (the sampling costs a few per cent of a core: time other runs)."""
    with tempfile.TemporaryFile("w+") as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, shell=shell, stdout=output, stderr=subprocess.STDOUT)
        peak, done, sampling = 0.0, threading.Event(), sample

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, tree_pss_mib(process.pid))
                done.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample if sampling else done.wait, daemon=True)
        sampler.start()
        returncode = process.wait()
        elapsed = time.perf_counter() - started
        done.set()
        sampler.join()
        output.seek(0)
        return {"seconds": elapsed, "peak_pss_mib": peak, "returncode": returncode, "output": output.read()}
