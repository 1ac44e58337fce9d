"""`make bench`: the speed and memory figures of the build and the preview, each the median of several runs.

Measures, and writes to benchmarks/results/latest.json (with the machine's core count):
  floor            a Python process that only imports pandas and matplotlib.pyplot
  cold             `make report` from no outputs (environment present; make   } on a scratch copy of the
                   runs one job per core unless told otherwise)                } project, so report/build and
  lower_bound      the same work in one process (lower_bound.py), alternating  } figures/ here are never
                   with the cold builds                                        } touched
  cold_j1, cold_j2 the cold build with `make -j1` and `make -j2`               }
  cold_memory      peak of the summed PSS of a cold build's processes (one more, untimed, run: memory.py)
  noop             `make report` again with nothing changed
  essay_edit       after a sentence is added to an essay (notebooks executed: 0)
  notebook_edit    after touching one finding's template (notebooks executed: 1)
  preview_essay    `make preview`: seconds from saving an essay to the server giving the new page
  preview_template the same for a finding's commentary template
  bootstrap        `make report` on a scratch copy with no environment: creating .venv and installing it, then
                   the cold build (one run: it takes minutes)
  tables_<n>       time and peak memory of every results.csv cell for a synthetic wave of n respondents
  ratios, budgets  cold/floor, cold_j1/cold_j2, tables_1000000/tables_100000; each budget of issue 20, met or not

Options: --runs N (default 3), --quick (tables only up to 100,000, one build run, no bootstrap), --skip-builds,
--skip-bootstrap, --skip-preview. `make bench-peers` (peers.py) sets the project beside its peers.
Nothing here asserts a time: timings depend on the machine."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from lower_bound import LOWER_BOUND  # noqa: E402
from memory import run_measured  # noqa: E402

PY = ROOT / ".venv" / "bin" / "python"
SIZES = (1_000, 10_000, 100_000, 1_000_000)

TABLES_CHILD = r"""
import json, resource, statistics, sys, time
sys.path.insert(0, sys.argv[1])
from synthetic import synthetic
from collaborative_citizen.analysis.tables import weighted_tables
n, runs = int(sys.argv[2]), int(sys.argv[3])
respondents = synthetic(n)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
times = []
for _ in range(runs):
    start = time.perf_counter()
    table = weighted_tables(respondents)
    times.append(time.perf_counter() - start)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": statistics.median(times), "runs": times, "cells": len(table),
                  "peak_rss_mib": peak / 1024, "rss_before_tables_mib": before / 1024}))
"""


def timed(command: list[str], **kwargs) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"bench: {' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return elapsed, done.stdout + done.stderr


def median_of(runs: list[float]) -> dict:
    return {"seconds": statistics.median(runs), "runs": runs}


def floor(runs: int) -> dict:
    return median_of([timed([str(PY), "-c", "import pandas, matplotlib.pyplot"])[0] for _ in range(runs)])


def scratch_copy(where: Path) -> Path:
    """The project without its outputs, sharing this environment; its own code comes first on PYTHONPATH."""
    copy = where / "project"
    ignore = shutil.ignore_patterns(".venv", "build", "__pycache__", ".pytest_cache", "*.egg-info", "results")
    shutil.copytree(ROOT, copy, ignore=ignore, symlinks=True)
    for sub in (copy / "figures").iterdir():
        if sub.is_dir():
            shutil.rmtree(sub)
    (copy / ".venv").symlink_to(ROOT / ".venv")
    return copy


def builds(runs: int) -> dict:
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="cc-bench-") as tmp:
        copy = scratch_copy(Path(tmp))
        env = dict(os.environ, PYTHONPATH=str(copy / "src"))
        make = ["make", "--no-print-directory", "-C", str(copy)]

        def report(jobs: int | None = None) -> tuple[float, int]:
            elapsed, output = timed(make + ([f"-j{jobs}"] if jobs else []) + ["report"], env=env)
            return elapsed, sum(line.startswith("notebook") for line in output.splitlines())

        def clean() -> None:
            shutil.rmtree(copy / "report" / "build", ignore_errors=True)
            for sub in (copy / "figures").iterdir():
                if sub.is_dir():
                    shutil.rmtree(sub)

        essay = sorted((copy / "report" / "commentary").glob("*.md"))
        essay = [p for p in essay if p.name != "README.md"][0]
        # One finding's own input: its commentary template, which re-runs that finding alone (the shared notebook
        # runs all eight).
        notebook = sorted((copy / "report" / "findings").glob("0[1-9]_*.md.j2"))[2]
        lower = []
        for name, jobs in (("cold", None), ("cold_j1", 1), ("cold_j2", 2)):
            times = []
            for _ in range(runs):
                clean()
                elapsed, executed = report(jobs)
                times.append(elapsed)
                if name == "cold":
                    # The in-process lower bound, alternating with the cold build (lower_bound.py).
                    shutil.rmtree(copy / "lb-build", ignore_errors=True)
                    shutil.rmtree(copy / "lb-figures", ignore_errors=True)
                    lower.append(timed([str(PY), "-c", LOWER_BOUND, "2014"], cwd=copy, env=env)[0])
            results[name] = {
                **median_of(times),
                "notebooks_executed": executed,
                "jobs": jobs or f"make's default here (-j{os.cpu_count()})",
            }
        results["lower_bound"] = median_of(lower)
        # Peak memory in one more cold build, untimed (the sampling takes a few per cent of a core).
        clean()
        measured = run_measured(make + ["report"], cwd=ROOT, env=env, sample=True)
        if measured["returncode"] != 0:
            raise SystemExit(f"bench: the cold build for memory failed:\n{measured['output'][-3000:]}")
        results["cold_memory"] = {"peak_pss_mib": measured["peak_pss_mib"], "seconds": measured["seconds"]}
        original = essay.read_text(encoding="utf-8")

        def edit_essay(run: int) -> None:
            # A real edit, as a researcher makes one: a sentence added, then taken out again, and so on.
            added = "\n\nThis sentence was added while the essay was being edited.\n"
            essay.write_text(original + (added if run % 2 == 0 else ""), encoding="utf-8")

        for name, change in (
            ("noop", None),
            ("essay_edit", edit_essay),
            ("notebook_edit", lambda run: notebook.touch()),
        ):
            times, executed = [], []
            for run in range(runs):
                if change is not None:
                    change(run)
                elapsed, count = report()
                times.append(elapsed)
                executed.append(count)
            changed = {
                "essay_edit": f"a sentence added to or removed from {essay.relative_to(copy)}",
                "notebook_edit": f"touched {notebook.relative_to(copy)}",
            }.get(name)
            results[name] = {**median_of(times), "notebooks_executed": max(executed), "change": changed}
    return results


def preview(runs: int) -> dict:
    """`make preview` on a scratch copy: seconds from saving a file to the server giving the new page, for an
    essay (budget 1 s) and a finding's commentary template (budget 3 s)."""
    import re
    import signal
    import urllib.request

    def page(url: str) -> str:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read().decode("utf-8")

    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="cc-bench-preview-") as tmp:
        copy = scratch_copy(Path(tmp))
        env = dict(os.environ, PYTHONPATH=str(copy / "src"), MAKEFLAGS="")
        log = open(Path(tmp) / "preview.log", "w+")
        process = subprocess.Popen(
            ["make", "-s", "-C", str(copy), "preview"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        try:
            url = None
            deadline = time.monotonic() + 120
            while url is None and time.monotonic() < deadline:
                time.sleep(0.2)
                log.seek(0)
                found = re.search(r"serving (http://127\.0\.0\.1:\d+/)", log.read())
                url = found.group(1) if found else None

            def settled() -> None:
                # As a researcher saves: once the preview has finished with the last change (the first build,
                # and after a save the whole-page check and the write that follow serving the page).
                while (state := json.loads(page(url + "__preview/state")))["version"] < 1 or state["busy"]:
                    time.sleep(0.05)

            essay = sorted(p for p in (copy / "report" / "commentary").glob("*.md") if p.name != "README.md")[0]
            template = sorted((copy / "report" / "findings").glob("0[1-9]_*.md.j2"))[0]
            for name, path, line in (
                ("preview_essay", essay, "\nA sentence saved while previewing, {}.\n"),
                ("preview_template", template, "- A bullet saved while previewing, {}.\n"),
            ):
                original, times = path.read_text(encoding="utf-8"), []
                for run in range(runs):
                    settled()
                    marker = f"run {name} {run}"
                    started = time.perf_counter()
                    path.write_text(original + line.format(marker), encoding="utf-8")
                    deadline = time.monotonic() + 60
                    while marker not in page(url):
                        if time.monotonic() > deadline:
                            raise SystemExit(f"bench: {name}: the saved change was not served within 60 s")
                        time.sleep(0.02)
                    times.append(time.perf_counter() - started)
                path.write_text(original, encoding="utf-8")
                # The restored file served before the next measure starts (else both saves are one change).
                while f"run {name} " in page(url):
                    time.sleep(0.05)
                results[name] = {**median_of(times), "budget_seconds": 1.0 if name == "preview_essay" else 3.0}
        finally:
            os.killpg(process.pid, signal.SIGINT)
            process.wait(timeout=30)
    return results


def bootstrap() -> dict:
    """A machine with the project but no environment yet: `make report` creates .venv, installs pyproject.toml's
    packages (from pip's configured index and whatever it has cached) and builds the report."""
    with tempfile.TemporaryDirectory(prefix="cc-bench-bootstrap-") as tmp:
        copy = scratch_copy(Path(tmp))
        (copy / ".venv").unlink()
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
        env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p)
        elapsed, output = timed(["make", "--no-print-directory", "-C", str(copy), "report"], env=env)
        return {
            "seconds": elapsed,
            "runs": [elapsed],
            "notebooks_executed": sum(line.startswith("notebook") for line in output.splitlines()),
        }


def tables(sizes, runs: int) -> dict:
    results = {}
    for n in sizes:
        _, output = timed([str(PY), "-c", TABLES_CHILD, str(ROOT / "benchmarks"), str(n), str(runs)])
        results[f"tables_{n}"] = json.loads(output.strip().splitlines()[-1])
    return results


def budgets(result: dict) -> dict:
    """Issue 20's budgets, each (value, limit, met), for the measures this run made."""
    found = {}

    def check(name: str, value: float, limit: float) -> None:
        found[name] = (value, limit, value <= limit)

    for name, limit in (("preview_essay", 1.0), ("preview_template", 3.0), ("essay_edit", 2.0), ("noop", 0.1)):
        if name in result:
            check(f"{name} (s)", result[name]["seconds"], limit)
    if "lower_bound" in result:
        check("cold / in-process lower bound", result["cold"]["seconds"] / result["lower_bound"]["seconds"], 2.0)
    if "cold_memory" in result:
        check("cold peak memory, summed PSS (MiB)", result["cold_memory"]["peak_pss_mib"], 500)
    if "tables_1000000" in result:
        check("tables of 1,000,000 respondents (s)", result["tables_1000000"]["seconds"], 4.0)
        check("tables of 1,000,000 respondents, peak RSS (MiB)", result["tables_1000000"]["peak_rss_mib"], 1024)
        # Linear growth: ten times the respondents, at most about ten times the time.
        check("tables: 1,000,000 / 100,000 time", ratios_of(result), 12.0)
    return found


def ratios_of(result: dict) -> float:
    return result["tables_1000000"]["seconds"] / result["tables_100000"]["seconds"]


def _font_subsetter() -> str:
    """HarfBuzz's version, as the PDF step finds its subsetter, or "absent"."""
    from collaborative_citizen.publish.pdf_layout import font_subsetter

    return font_subsetter()


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--runs", type=int, default=3)
    options.add_argument("--quick", action="store_true")
    options.add_argument("--skip-builds", action="store_true")
    options.add_argument("--skip-bootstrap", action="store_true")
    options.add_argument("--skip-preview", action="store_true")
    args = options.parse_args()
    sizes = SIZES[:3] if args.quick else SIZES
    result = {
        "machine": {
            "cores": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "processor": platform.processor() or platform.machine(),
            # WeasyPrint subsets the PDF's fonts with HarfBuzz when its library is there, else (slower) fontTools.
            "font_subsetter": _font_subsetter(),
        },
        "runs": args.runs,
    }
    result["floor"] = floor(args.runs)
    if not args.skip_builds:
        result.update(builds(1 if args.quick else args.runs))
        if not (args.quick or args.skip_bootstrap):
            result["bootstrap"] = bootstrap()
    if not args.skip_preview:
        result.update(preview(args.runs))
    result.update(tables(sizes, args.runs))
    ratios = {}
    for name in ("preview_essay", "preview_template"):
        if name in result:
            ratios[f"{name}/budget"] = result[name]["seconds"] / result[name]["budget_seconds"]
    if "cold" in result:
        ratios["cold/floor"] = result["cold"]["seconds"] / result["floor"]["seconds"]
        ratios["cold_j1/cold_j2"] = result["cold_j1"]["seconds"] / result["cold_j2"]["seconds"]
    if "tables_1000000" in result:
        ratios["tables_1000000/tables_100000"] = (
            result["tables_1000000"]["seconds"] / result["tables_100000"]["seconds"]
        )
    result["ratios"] = ratios
    result["budgets"] = budgets(result)
    out = ROOT / "benchmarks" / "results" / "latest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"bench: {result['machine']['cores']} cores, {result['machine']['platform']}, median of {args.runs} run(s)")
    if result["machine"]["font_subsetter"] == "absent":
        print("bench: no HarfBuzz subsetter (Debian's libharfbuzz-subset0): fontTools subsets the PDF's fonts, slower")
    print(f"{'measure':<30}{'seconds':>10}  notes")
    for name, value in result.items():
        if isinstance(value, dict) and "seconds" in value:
            notes = []
            if "notebooks_executed" in value:
                notes.append(f"{value['notebooks_executed']} notebooks executed")
            if "peak_pss_mib" in value:
                notes.append(f"peak summed PSS {value['peak_pss_mib']:.0f} MiB (an untimed run)")
            if "peak_rss_mib" in value:
                notes.append(f"peak RSS {value['peak_rss_mib']:.0f} MiB, {value['cells']} cells")
            print(f"{name:<30}{value['seconds']:>10.3f}  {', '.join(notes)}")
    for name, value in ratios.items():
        print(f"{name:<30}{value:>10.2f}")
    for name, (value, limit, met) in result["budgets"].items():
        print(f"budget {name:<40} {value:>10.2f} (at most {limit:g}): {'met' if met else 'NOT MET'}")
    print(f"bench: wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
