"""Execute the report's parameterised notebooks with papermill, strictly and reproducibly."""
from __future__ import annotations

import os
from pathlib import Path

import nbformat
import papermill

# Papermill stamps these with wall-clock times; they would make two builds of the same inputs differ.
VOLATILE_METADATA = ("start_time", "end_time", "duration", "exception")


class NotebookError(RuntimeError):
    """A notebook could not be run: unknown parameter, or a cell raised."""


def check_parameters(notebook: Path, parameters: dict) -> None:
    """Papermill only warns about parameters a notebook does not declare; a typo should stop the build."""
    known = papermill.inspect_notebook(str(notebook))
    unknown = sorted(set(parameters) - set(known))
    if unknown:
        raise NotebookError(f"{notebook}: unknown parameter{'s' if len(unknown) > 1 else ''} "
                            f"{', '.join(unknown)} (the notebook's parameters cell declares: "
                            f"{', '.join(sorted(known))})")


def strip_volatile(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    papermill_meta = notebook.metadata.get("papermill", {})
    for key in VOLATILE_METADATA:
        papermill_meta.pop(key, None)
    # The environment papermill records holds absolute paths of this machine.
    papermill_meta.pop("environment_variables", None)
    papermill_meta.pop("input_path", None)
    papermill_meta.pop("output_path", None)
    for number, cell in enumerate(notebook.cells):
        # Papermill gives its injected cell a random id.
        cell.id = f"cell-{number}"
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


def run_notebook(notebook: str | Path, output: str | Path, parameters: dict, cwd: str | Path = ".") -> Path:
    """Execute `notebook` with `parameters` into `output`. The output only appears when every cell ran; a failed
    run is kept beside it as `<name>.failed.ipynb` for inspection."""
    notebook, output = Path(notebook), Path(output)
    check_parameters(notebook, parameters)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.stem + ".partial.ipynb")
    env_before = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "Agg"  # the kernel inherits it: no display is ever needed
    try:
        papermill.execute_notebook(str(notebook), str(partial), parameters=parameters, cwd=str(cwd),
                                   kernel_name="python3", progress_bar=False, log_output=False,
                                   report_mode=False,
                                   # The kernel logs a warning on every start and an error when papermill stops it after a failure;
                                   # neither says anything the one-line error does not.
                                   extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
                                   # A kernel starts in a few seconds; one that cannot start should fail soon.
                                   start_timeout=30)
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
