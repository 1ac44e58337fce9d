"""`make bench-peers`: the project against its peers doing the same work from the same notebooks, in one run.

Contenders, each on a scratch copy of its own, timed alternately (the order rotates run by run, so a slow minute
of the machine falls on each of them in turn):
  project         `make report`: the tables, the nine notebooks, the HTML, the tagged PDF and the workbook
  project_html    `make html`: the same up to the HTML page (what Jupyter Book's content build is set beside)
  papermill_1     the same notebooks run by papermill's command line one at a time after the tables step, merged with
                  the essays, exported by nbconvert's HTML exporter and printed to PDF by WeasyPrint's command line
  papermill_2     the same, two notebooks at a time
  jupyter_book    Jupyter Book 2 (installed into a scratch environment of its own) executing the same notebooks
                  (papermill's parameters injected beforehand) through a Jupyter server, with the essays as pages;
                  its site theme is fetched from api.mystmd.org at build time, which this machine cannot reach, so
                  only its content build (execution included) is timed, and it writes no PDF
  lower_bound     one Python process with the package imported once: the tables, every notebook's code run in
                  that process, the HTML, the tagged PDF and the workbook (the least any build of this report costs)
Quarto is recorded, not run: it installs by downloading its own binary, which this machine cannot do.

Measures: cold (no outputs), noop (again, nothing changed), essay_edit (a sentence added to an essay) and
notebook_edit (one finding's input changed: for the project and the lower bound its commentary template, for Jupyter
Book a code cell of that finding's notebook; the papermill peers have no notion of what changed and redo all).
Peak memory: one more cold run each, untimed, the largest sum of PSS over the contender's process tree.
Writes benchmarks/results/peers.json and the table in docs/performance.md (between its peers markers).
Nothing here asserts a time."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import PY, ROOT, scratch_copy  # noqa: E402
from lower_bound import LOWER_BOUND  # noqa: E402
from memory import run_measured  # noqa: E402

VENV_BIN = ROOT / ".venv" / "bin"
WAVE = "2014"
JUPYTER_BOOK = "jupyter-book==2.1.7"
MEASURES = ("cold", "noop", "essay_edit", "notebook_edit")
ESSAY_LINE = "\n\nA sentence added for the side-by-side measure, run {}.\n"

# The merge step of the papermill peers: essays as Markdown cells, then each executed notebook's cells.
MERGE = r"""
import sys, nbformat
from pathlib import Path
essays, executed, target = Path(sys.argv[1]), sys.argv[2:-1], sys.argv[-1]
merged = nbformat.v4.new_notebook()
for essay in sorted(essays.glob("*.md")):
    if essay.name != "README.md":
        text = essay.read_text(encoding="utf-8").split("---", 2)[-1]
        merged.cells.append(nbformat.v4.new_markdown_cell(text))
for path in executed:
    merged.cells.extend(nbformat.read(path, as_version=4).cells)
nbformat.write(merged, target)
"""


def median(values: list[float]) -> float:
    return statistics.median(values)


class Contender:
    name = ""

    def __init__(self, where: Path):
        self.copy = scratch_copy(where / self.name)
        self.env = dict(os.environ, PYTHONPATH=str(self.copy / "src"), MAKEFLAGS="", SOURCE_DATE_EPOCH="1417392000")
        self.essay = self.copy / "report" / "commentary" / "response-unwin.md"
        self.essay_text = self.essay.read_text(encoding="utf-8")
        self.template = sorted((self.copy / "report" / "findings").glob("0[1-9]_*.md.j2"))[2]

    sample = False  # set for the one cold run whose memory is measured

    def run(self, command: list[str] | str) -> dict:
        measured = run_measured(
            command, cwd=self.copy, env=self.env, shell=isinstance(command, str), sample=self.sample
        )
        if measured["returncode"] != 0:
            raise SystemExit(f"bench-peers: {self.name}: {command} failed:\n{measured['output'][-3000:]}")
        return measured

    def clean(self) -> None:
        for name in ("report/build", "figures", "peer-build", "peer-figures", "lb-build", "lb-figures", "_build"):
            shutil.rmtree(self.copy / name, ignore_errors=True)
        (self.copy / "figures").mkdir(exist_ok=True)

    def edit(self, measure: str, run: int) -> None:
        if measure == "essay_edit":
            self.essay.write_text(self.essay_text + (ESSAY_LINE.format(run) if run % 2 == 0 else ""), "utf-8")
        elif measure == "notebook_edit":
            self.template.touch()

    def findings(self) -> list[dict]:
        return yaml.safe_load((self.copy / "report" / "report.yml").read_text(encoding="utf-8"))["findings"]

    def build(self) -> dict:
        raise NotImplementedError


class Project(Contender):
    name = "project"

    def build(self) -> dict:
        return self.run(["make", "-s", "report", f"WAVE={WAVE}"])


class ProjectHtml(Contender):
    """The project's HTML alone (`make html`: tables, notebooks, page), to set beside Jupyter Book's site content."""

    name = "project_html"

    def build(self) -> dict:
        return self.run(["make", "-s", "html", f"WAVE={WAVE}"])


class Papermill(Contender):
    def __init__(self, where: Path, workers: int):
        self.name, self.workers = f"papermill_{workers}", workers
        super().__init__(where)

    def build(self) -> dict:
        build, figures = "peer-build", "peer-figures"
        common = f"-p wave {WAVE} -p data_dir data -p build_dir {build} -k python3 --no-progress-bar --log-level ERROR"
        lines = [f"{VENV_BIN}/papermill notebooks/00_about_the_survey.ipynb {build}/00.ipynb {common}"]
        executed = [f"{build}/00.ipynb"]
        for finding in self.findings():
            out = f"{build}/{finding['number']:02d}.ipynb"
            lines.append(
                f"{VENV_BIN}/papermill notebooks/finding.ipynb {out} {common} -p finding {finding['number']} "
                f"-p figures_dir {figures}"
            )
            executed.append(out)
        script = (
            f"set -e; {PY} -m collaborative_citizen --build-dir {build} tables --wave {WAVE} >/dev/null; "
            f"printf '%s\\n' {' '.join(map(shlex.quote, lines))} | xargs -P {self.workers} -I CMD sh -c CMD; "
            f"{PY} -c {shlex.quote(MERGE)} report/commentary {' '.join(executed)} {build}/merged.ipynb; "
            f"{VENV_BIN}/jupyter-nbconvert --to html --no-input --log-level ERROR {build}/merged.ipynb; "
            f"{VENV_BIN}/weasyprint -q {build}/merged.html {build}/merged.pdf"
        )
        return self.run(script)


class LowerBound(Contender):
    name = "lower_bound"

    def build(self) -> dict:
        return self.run([str(PY), "-c", LOWER_BOUND, WAVE])


class JupyterBook(Contender):
    """Jupyter Book 2 on the same notebooks (parameters injected by papermill's --prepare-only)."""

    name = "jupyter_book"

    def __init__(self, where: Path, environment: Path):
        super().__init__(where)
        self.bin = environment / "bin"
        self.book = self.copy / "book"
        self.kernels = self.copy / "jupyter"
        spec = self.kernels / "kernels" / "python3"
        spec.mkdir(parents=True)
        # The kernel runs in the project's environment, where the package and its libraries are.
        spec.joinpath("kernel.json").write_text(
            json.dumps(
                {
                    "argv": [str(PY), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                    "display_name": "Python 3",
                    "language": "python",
                }
            )
        )
        self.env["JUPYTER_PATH"] = str(self.kernels)
        self.env["PATH"] = f"{self.bin}{os.pathsep}{self.env['PATH']}"

    def clean(self) -> None:
        super().clean()
        shutil.rmtree(self.book, ignore_errors=True)

    def prepare(self) -> None:
        if (self.book / "myst.yml").is_file():
            return
        self.book.mkdir(parents=True)
        findings = self.findings()
        toc = []
        for essay in sorted((self.copy / "report" / "commentary").glob("*.md")):
            if essay.name != "README.md":
                (self.book / essay.name).write_text(essay.read_text(encoding="utf-8").split("---", 2)[-1])
                toc.append(essay.name)
        build = self.copy / "peer-build"
        common = [
            "-p",
            "wave",
            WAVE,
            "-p",
            "data_dir",
            "../data",
            "-p",
            "build_dir",
            str(build),
            "--prepare-only",
            "-k",
            "python3",
            "--log-level",
            "ERROR",
        ]
        subprocess.run(
            [f"{VENV_BIN}/papermill", "notebooks/00_about_the_survey.ipynb", "book/00.ipynb", *common],
            cwd=self.copy,
            check=True,
            env=self.env,
            capture_output=True,
        )
        toc.append("00.ipynb")
        for f in findings:
            name = f"{f['number']:02d}.ipynb"
            subprocess.run(
                [
                    f"{VENV_BIN}/papermill",
                    "notebooks/finding.ipynb",
                    f"book/{name}",
                    *common,
                    "-p",
                    "finding",
                    str(f["number"]),
                    "-p",
                    "figures_dir",
                    str(self.copy / "peer-figures"),
                    "-p",
                    "report_config",
                    "../report/report.yml",
                ],
                cwd=self.copy,
                check=True,
                env=self.env,
                capture_output=True,
            )
            toc.append(name)
        (self.book / "myst.yml").write_text(
            "version: 1\nproject:\n  title: The Collaborative Citizen\n  toc:\n"
            + "".join(f"    - file: {name}\n" for name in toc)
            + "site:\n  title: The Collaborative Citizen\n"
        )

    def edit(self, measure: str, run: int) -> None:
        if measure == "essay_edit":
            page = self.book / self.essay.name
            text = self.essay_text.split("---", 2)[-1]
            page.write_text(text + (ESSAY_LINE.format(run) if run % 2 == 0 else ""), encoding="utf-8")
        elif measure == "notebook_edit":
            path = self.book / "03.ipynb"
            notebook = json.loads(path.read_text())
            cell = next(c for c in notebook["cells"] if c["cell_type"] == "code" and "draw" in "".join(c["source"]))
            cell["source"] = "".join(cell["source"]).split("\n# run")[0] + f"\n# run {run}"
            path.write_text(json.dumps(notebook))

    def build(self) -> dict:
        self.prepare()
        # The tables first (the notebooks read them); then a Jupyter server, which Jupyter Book would start itself
        # were it not refused as root here, then the book. Its exit status is its theme's failure to download.
        script = (
            f"set -e; mkdir -p peer-build; {PY} -m collaborative_citizen --build-dir peer-build tables --wave {WAVE}"
            f" >/dev/null; cd book; {self.bin}/jupyter-server --allow-root --no-browser --port=0 "
            f"--IdentityProvider.token=bench --ServerApp.ip=127.0.0.1 > ../server.log 2>&1 & server=$!; "
            f"trap 'kill $server' EXIT; "
            "until grep -q 'http://127.0.0.1:[0-9]*/' ../server.log; do sleep 0.05; done; "
            "url=$(grep -o 'http://127.0.0.1:[0-9]*/' ../server.log | head -1); "
            f"JUPYTER_BASE_URL=$url JUPYTER_TOKEN=bench {self.bin}/jupyter-book build --site --execute > ../book.log "
            "2>&1 || grep -q 'api.mystmd.org' ../book.log; "
            "! grep -q 'Could not load Jupyter\\|Error in notebook\\|Traceback' ../book.log"
        )
        return self.run(script)


def jupyter_book_environment(where: Path) -> tuple[Path | None, str]:
    """A scratch environment with Jupyter Book 2 (from the package index), or None and why not."""
    environment = where / "jupyter-book-env"
    done = subprocess.run([sys.executable, "-m", "venv", str(environment)], capture_output=True, text=True)
    if done.returncode == 0:
        done = subprocess.run(
            [
                str(environment / "bin" / "pip"),
                "install",
                "--quiet",
                "--disable-pip-version-check",
                JUPYTER_BOOK,
                "jupyter-server",
            ],
            capture_output=True,
            text=True,
        )
    if done.returncode != 0:
        return None, f"could not be installed: {(done.stderr or done.stdout).strip().splitlines()[-1:]}"
    return environment, JUPYTER_BOOK


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--runs", type=int, default=3)
    options.add_argument("--skip-jupyter-book", action="store_true")
    args = options.parse_args()
    results: dict = {"runs": args.runs, "not_run": {"quarto": "installs by downloading its binary: not possible here"}}
    with tempfile.TemporaryDirectory(prefix="cc-bench-peers-") as tmp:
        where = Path(tmp)
        contenders: list[Contender] = [
            Project(where),
            ProjectHtml(where),
            Papermill(where, 1),
            Papermill(where, 2),
            LowerBound(where),
        ]
        if not args.skip_jupyter_book:
            print("bench-peers: installing Jupyter Book 2 into a scratch environment", flush=True)
            environment, note = jupyter_book_environment(where)
            if environment is None:
                results["not_run"]["jupyter_book"] = note
            else:
                contenders.append(JupyterBook(where, environment))
        times = {c.name: {m: [] for m in MEASURES} for c in contenders}
        memory = {c.name: [] for c in contenders}
        for run in range(args.runs):
            order = contenders[run % len(contenders) :] + contenders[: run % len(contenders)]
            for contender in order:
                for measure in MEASURES:
                    if measure == "cold":
                        contender.clean()
                    contender.edit(measure, run)
                    measured = contender.build()
                    times[contender.name][measure].append(measured["seconds"])
                    print(
                        f"bench-peers: run {run + 1}: {contender.name} {measure} {measured['seconds']:.2f} s",
                        flush=True,
                    )
        # Memory in a cold run of its own (the sampling would slow the timed runs).
        for contender in contenders:
            contender.clean()
            contender.sample = True
            memory[contender.name].append(contender.build()["peak_pss_mib"])
            contender.sample = False
            print(f"bench-peers: {contender.name} cold peak {memory[contender.name][-1]:.0f} MiB PSS", flush=True)
    results["seconds"] = {n: {m: median(v) for m, v in t.items()} for n, t in times.items()}
    results["all_runs"] = times
    results["peak_pss_mib"] = {n: median(v) for n, v in memory.items()}
    out = ROOT / "benchmarks" / "results" / "peers.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    write_table(results)
    print(f"bench-peers: wrote {out.relative_to(ROOT)} and the table in docs/performance.md")


# What each contender is set against: the project's whole build, or its HTML alone for a peer that makes no PDF.
COMPARED_WITH = {"jupyter_book": "project_html"}


def write_table(results: dict) -> None:
    seconds, pss = results["seconds"], results["peak_pss_mib"]
    rows = ["| contender | " + " | ".join(MEASURES) + " | peak memory (PSS) |", "| --- |" + " ---: |" * 5]
    for name, values in seconds.items():
        reference = COMPARED_WITH.get(name, "project")
        ours = seconds.get(reference, seconds["project"])
        cells = [
            f"{values[m]:.2f} s" + ("" if name.startswith("project") else f" ({values[m] / ours[m]:.1f}x)")
            for m in MEASURES
        ]
        memory = f"{pss[name]:.0f} MiB" + (
            "" if name.startswith("project") else f" ({pss[name] / pss[reference]:.1f}x)"
        )
        rows.append(f"| {name} | " + " | ".join(cells) + f" | {memory} |")
    for name, why in results["not_run"].items():
        rows.append(f"| {name} | not run: {why} |" + " |" * 4)
    table = "\n".join(rows)
    path = ROOT / "docs" / "performance.md"
    text = path.read_text(encoding="utf-8")
    start, end = "<!-- peers: written by make bench-peers -->", "<!-- /peers -->"
    block = (
        f"{start}\n`make bench-peers`, {time.strftime('%Y-%m-%d')}, medians of {results['runs']} alternating "
        f"runs (in brackets: the contender's figure over the project's, over `make html`'s for Jupyter Book, which "
        f"makes no PDF):\n\n{table}\n{end}"
    )
    if start in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n## Side by side with the peers\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
