"""Execute the report's parameterised notebooks with papermill, strictly and reproducibly.

`run_notebook` runs one notebook in a kernel of its own. `run_notebooks` runs many at once: one worker thread per
core, each keeping one kernel for all the notebooks it is given (papermill hands it to nbclient, which then
neither starts nor stops it: nbclient's documented `km` argument), so a build pays for starting a kernel and
importing pandas and matplotlib once per core, not once per notebook.
Between two notebooks the kernel's namespace is cleared; charts never depend on global matplotlib state
(`charts._house_style`), and execution counts are renumbered, so an executed notebook is byte for byte what a
fresh kernel gives. Kernels talk to their worker over Unix sockets in a private folder, not TCP ports: parallel
builds cannot race for a port, and a build without a network still runs."""

from __future__ import annotations

import os
import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import available_cores
from .errors import NotebookError
from .kernels import (
    KERNEL_ARGUMENTS,
    RESET_KERNEL,
    RESET_TAG,
    START_TIMEOUT,
    Kernel,
    KernelStartError,
    stop_kernels,
)

# Papermill stamps these with wall-clock times; they would make two builds of the same inputs differ.
VOLATILE_METADATA = ("start_time", "end_time", "duration", "exception")


def declared_parameters(notebook: Path) -> dict:
    import papermill  # (imported when needed: kernels can be starting meanwhile, see run_notebooks)

    return papermill.inspect_notebook(str(notebook))


def check_parameters(notebook: Path, parameters: dict, known: dict | None = None) -> None:
    """Papermill only warns about parameters a notebook does not declare; a typo should stop the build.
    `known`: the notebook's declared parameters, if already read."""
    known = declared_parameters(notebook) if known is None else known
    unknown = sorted(set(parameters) - set(known))
    if unknown:
        raise NotebookError(
            f"{notebook}: unknown parameter{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(unknown)} (the notebook's parameters cell declares: "
            f"{', '.join(sorted(known))})"
        )


def strip_volatile(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    papermill_meta = notebook.metadata.get("papermill", {})
    for key in VOLATILE_METADATA:
        papermill_meta.pop(key, None)
    # The environment papermill records holds absolute paths of this machine.
    papermill_meta.pop("environment_variables", None)
    papermill_meta.pop("input_path", None)
    papermill_meta.pop("output_path", None)
    notebook.cells = [c for c in notebook.cells if RESET_TAG not in c.get("metadata", {}).get("tags", [])]
    count = 0
    for number, cell in enumerate(notebook.cells):
        # Papermill gives its injected cell a random id.
        cell.id = f"cell-{number}"
        if cell.cell_type == "code" and cell.get("execution_count") is not None:
            # A reused kernel keeps counting from the notebook before: number as a fresh kernel would.
            count += 1
            cell.execution_count = count
            for output in cell.get("outputs", []):
                if "execution_count" in output:
                    output.execution_count = count
        cell.metadata.pop("execution", None)
        for key in VOLATILE_METADATA:
            cell.metadata.get("papermill", {}).pop(key, None)
    return notebook


def _failure(error: Exception, notebook: Path) -> str:
    name = getattr(error, "ename", type(error).__name__)
    value = str(getattr(error, "evalue", error)).strip().splitlines()
    cell = getattr(error, "exec_count", None)
    where = f" in cell {cell}" if cell else ""
    return f"{notebook}: failed{where}: {name}: {value[0] if value else ''}"


def run_notebook(
    notebook: str | Path,
    output: str | Path,
    parameters: dict,
    cwd: str | Path = ".",
    kernel=None,
    reset: bool = False,
    known: dict | None = None,
    source: str | Path | None = None,
) -> Path:
    """Execute `notebook` with `parameters` into `output`; `source`, when given, is the file that runs under the
    name `notebook` (the shared finding notebook, run for one finding). The output only appears when every cell
    ran; a failed run is kept beside it as `<name>.failed.ipynb` for inspection. `kernel`: a running kernel
    manager to use (see `Kernel`); without it the notebook gets a fresh kernel of its own. `reset`: the kernel has
    run another notebook, whose names are cleared first (by a cell run ahead of the notebook's own and removed
    from the output: a second client to the kernel would cost more than the notebook). `known`: the notebook's
    declared parameters, if already read."""
    import papermill

    notebook, output = Path(notebook), Path(output)
    path = Path(source or notebook)
    check_parameters(notebook, parameters, declared_parameters(path) if known is None else known)
    _quiet_papermill()
    source = str(path)
    if reset:
        source = nbformat.read(path, as_version=4)
        source.cells.insert(0, nbformat.v4.new_code_cell(RESET_KERNEL, metadata={"tags": [RESET_TAG]}))
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.stem + ".partial.ipynb")
    env_before = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "Agg"  # the kernel inherits it: no display is ever needed
    engine = {"km": kernel} if kernel is not None else {}
    try:
        papermill.execute_notebook(
            source,
            str(partial),
            parameters=parameters,
            cwd=str(cwd),
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            report_mode=False,
            extra_arguments=KERNEL_ARGUMENTS,
            # Written once at the end (or on failure), not after every cell: the saves
            # cost the build more than some notebooks' own work.
            request_save_on_cell_execute=False,
            start_timeout=START_TIMEOUT,
            **engine,
        )
    except Exception as error:  # papermill wraps every kernel failure; the first line says what went wrong
        failed = output.with_name(output.stem + ".failed.ipynb")
        kept = ""
        if partial.exists():
            partial.replace(failed)
            kept = f" (traceback in {failed})"
        raise NotebookError(_failure(error, notebook) + kept) from None
    finally:
        if env_before is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = env_before
    executed = strip_volatile(nbformat.read(partial, as_version=4))
    nbformat.write(executed, partial)
    partial.replace(output)
    failed = output.with_name(output.stem + ".failed.ipynb")
    if failed.exists():
        failed.unlink()
    return output


@dataclass
class NotebookJob:
    notebook: Path  # what messages call it: a notebook of notebooks/, or a finding run by the shared notebook
    output: Path
    parameters: dict
    # Given only to a notebook that declares them (e.g. figures_dir, which only the findings have).
    if_declared: dict = field(default_factory=dict)
    source: Path | None = None  # the file that runs, when it is not `notebook` (the shared finding notebook)

    @property
    def file(self) -> Path:
        return self.source or self.notebook


# The one notebook every finding runs (papermill's parameters say which finding), unless notebooks/ holds a
# notebook of the finding's own name, for a finding that needs analysis of its own.
FINDING_NOTEBOOK = Path("notebooks/finding.ipynb")


def resolve_notebook(notebook: Path, report_config: Path = Path("report/report.yml")) -> tuple[Path | None, dict]:
    """(the file to run, or None for `notebook` itself; the parameters that choose the finding) for a notebook
    named on the command line: a notebook of notebooks/, or a finding that report.yml names, run by the shared
    finding notebook."""
    if notebook.is_file():
        return None, {}
    from .inputs.yaml_files import load_yaml

    try:
        findings = (load_yaml(report_config.read_text(encoding="utf-8")) or {}).get("findings") or []
    except OSError:
        findings = []
    for finding in findings:
        if isinstance(finding, dict) and finding.get("notebook") == notebook.stem:
            if not FINDING_NOTEBOOK.is_file():
                raise NotebookError(f"{FINDING_NOTEBOOK}: the shared finding notebook is missing")
            return FINDING_NOTEBOOK, {"finding": finding["number"]}
    raise NotebookError(f"{notebook}: notebook not found (nor a finding that {report_config} names)")


def notebook_job(notebook: Path, wave: str, data_dir: str, build_dir: str, figures_dir: str | None) -> NotebookJob:
    """The run of a notebook the notebooks step names (a notebook of notebooks/, or a finding report.yml names,
    run by the shared finding notebook), its executed copy in <build_dir>/<wave>/notebooks/."""
    source, choice = resolve_notebook(notebook)
    return NotebookJob(
        notebook,
        Path(build_dir) / wave / "notebooks" / notebook.name,
        {"wave": wave, "data_dir": data_dir, "build_dir": build_dir, **choice},
        if_declared={"figures_dir": figures_dir} if figures_dir else {},
        source=source,
    )


def check_source_date_epoch() -> None:
    """Charts stamp SOURCE_DATE_EPOCH into their SVG; a value that is not a number leaves the kernels unable to
    answer, which would otherwise surface as a kernel start-up timeout per notebook."""
    from .errors import InputError
    from .errors import check_source_date_epoch as check

    try:
        check(os.environ.get("SOURCE_DATE_EPOCH"))
    except InputError as error:
        raise NotebookError(str(error)) from None


def _quiet_papermill() -> None:
    """Papermill and nbclient log kernel failures themselves; the build's one-line errors say it already."""
    import logging

    for name in ("papermill", "nbclient"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def default_workers() -> int:
    """One kernel per core; NOTEBOOK_WORKERS overrides (1 runs the notebooks one after another)."""
    text = os.environ.get("NOTEBOOK_WORKERS", "").strip()
    if text:
        if not text.isdigit() or int(text) < 1:
            raise NotebookError(
                f"NOTEBOOK_WORKERS={text!r}: not a number of workers (expected a whole number, 1 or more)"
            )
        return int(text)
    return available_cores()


def run_notebooks(
    jobs: list[NotebookJob],
    cwd: str | Path = ".",
    workers: int | None = None,
    done=None,
) -> list[str]:
    """Execute every job, `workers` at a time, each worker reusing one kernel; returns one error line per
    notebook that failed (the others are written all the same). `done(job)` is called after each success.
    The kernels start at once; meanwhile the parameters of every notebook are checked, and no notebook runs
    unless they are right (the error is raised)."""
    if not jobs:
        return []
    pending: queue.Queue = queue.Queue()
    for job in jobs:
        pending.put(job)
    errors: list[str] = []
    lock = threading.Lock()
    cwd = Path(cwd)
    # Set when a kernel fails to start: the next would fail the same way, after the same wait.
    broken: list[str] = []
    skipped: list[NotebookJob] = []

    # Workers start their kernels, then wait until the parameters are checked (`checked`), unless they are wrong.
    checked, wrong = threading.Event(), threading.Event()
    declared: dict[Path, dict] = {}  # each notebook's parameters, as read for the check

    def work() -> None:
        kernel, start_error = None, None
        try:
            # Started before the parameters are checked: papermill, needed for the check, takes a second to import.
            kernel = Kernel(cwd)
        except Exception as error:
            start_error = error
        try:
            checked.wait()
            while not wrong.is_set():
                try:
                    job = pending.get_nowait()
                except queue.Empty:
                    return
                if broken:
                    with lock:
                        skipped.append(job)
                    continue
                try:
                    if start_error is not None:
                        error, start_error = start_error, None
                        raise KernelStartError(error)
                    if kernel is None:
                        try:
                            kernel = Kernel(cwd)
                        except Exception as error:
                            raise KernelStartError(error) from None
                    run_notebook(
                        job.notebook,
                        job.output,
                        job.parameters,
                        cwd=cwd,
                        kernel=kernel.manager,
                        reset=kernel.notebooks_run > 0,
                        known=declared[job.file],
                        source=job.source,
                    )
                    kernel.notebooks_run += 1
                except Exception as error:  # a cell that raised (NotebookError), or a kernel that did not start
                    with lock:
                        if isinstance(error, KernelStartError):
                            errors.append(_failure(error.cause, job.notebook))
                            broken.append(str(error.cause))
                        elif isinstance(error, NotebookError):
                            errors.append(str(error))
                        else:
                            errors.append(_failure(error, job.notebook))
                    # A notebook that failed may have left its kernel in any state: the next one gets a new one.
                    if kernel is not None:
                        kernel.shutdown()
                        kernel = None
                    continue
                if done is not None:
                    with lock:
                        done(job)
        finally:
            if kernel is not None:
                kernel.shutdown()

    count = max(1, min(workers or default_workers(), len(jobs)))
    # Imported here, before the workers start: threads importing jupyter_client's circular modules at once (the
    # workers for their kernels, this thread for papermill) can see them half made.
    import jupyter_client.manager  # noqa: F401

    # (Daemon threads: an interrupted command does not wait for a notebook it has stopped.)
    threads = [threading.Thread(target=work, name=f"notebook-worker-{n}", daemon=True) for n in range(count)]
    for thread in threads:
        thread.start()
    try:
        for job in jobs:
            if job.file not in declared:  # the shared finding notebook is read once
                declared[job.file] = declared_parameters(job.file)
            known = declared[job.file]
            job.parameters.update({k: v for k, v in job.if_declared.items() if k in known})
            check_parameters(job.notebook, job.parameters, known)
        _quiet_papermill()
    except BaseException:
        wrong.set()
        raise
    finally:
        checked.set()
        try:
            for thread in threads:
                thread.join()
        except KeyboardInterrupt:
            wrong.set()  # no worker starts another notebook
            stop_kernels()
            raise
    order = {str(job.notebook): n for n, job in enumerate(jobs)}
    errors = sorted(errors, key=lambda line: order.get(line.split(": ", 1)[0], len(order)))
    if skipped:
        names = ", ".join(job.notebook.name for job in sorted(skipped, key=lambda j: order[str(j.notebook)]))
        errors.append(f"notebooks: {len(skipped)} not run, as no kernel could start: {names}")
    return errors
