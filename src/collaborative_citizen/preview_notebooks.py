"""`make preview`'s own notebook runs: when the only change is the commentary template of one finding or a few,
those findings run again in one kernel the preview keeps (started once, its names cleared between notebooks as
run_notebooks clears a reused kernel), so a saved template reaches the page without starting a process and a
kernel. The executed notebooks, figures and key numbers go where the notebooks step puts them; the Makefile's
record of the notebooks is left as it was, so `make report` runs those findings again as usual."""

from __future__ import annotations

import re
from pathlib import Path

from .errors import NotebookError
from .notebooks import NotebookJob

FINDING_TEMPLATE = re.compile(r"\d\d_[A-Za-z0-9_-]+\.md\.j2")


class PreviewNotebooks:
    def __init__(self, root: Path, wave: str, data_dir: str, build_dir: Path):
        self.root, self.wave, self.data_dir, self.build_dir = root, wave, data_dir, build_dir
        self.kernel = None

    def jobs_for(self, changed: set[str]) -> list[NotebookJob] | None:
        """The findings to run again when every change is an existing finding template (None otherwise: make
        decides, as for any other input)."""
        from .notebooks import notebook_job

        templates = (self.root / "report" / "findings").resolve()
        names = []
        for path in map(Path, changed):
            if path.parent.resolve() != templates or not FINDING_TEMPLATE.fullmatch(path.name) or not path.is_file():
                return None
            names.append(path.name.removesuffix(".md.j2"))
        figures = str(self.build_dir.parent / "figures")  # where the Makefile's notebooks step puts them
        jobs = []
        for name in sorted(names):
            try:
                jobs.append(
                    notebook_job(
                        Path("notebooks") / f"{name}.ipynb", self.wave, self.data_dir, str(self.build_dir), figures
                    )
                )
            except NotebookError:
                return None  # a template of no finding report.yml names: make says what is wrong
        return jobs or None

    def start(self) -> None:
        from .kernels import Kernel

        if self.kernel is None:
            try:
                self.kernel = Kernel(self.root)
            except Exception:  # noqa: BLE001 (a kernel that cannot start says why when a notebook needs it)
                self.kernel = None

    def run(self, jobs: list[NotebookJob]) -> None:
        """Each job in the preview's kernel (started on first use); raises NotebookError as the notebooks step
        would. After a failure the kernel is replaced: a failed notebook may have left it in any state."""
        from .kernels import Kernel
        from .notebooks import declared_parameters, run_notebook

        try:
            for job in jobs:
                if self.kernel is None:
                    try:
                        self.kernel = Kernel(self.root)
                    except Exception as error:  # noqa: BLE001 (jupyter_client raises several kinds)
                        raise NotebookError(f"{job.notebook}: the kernel did not start: {error}") from None
                known = declared_parameters(job.file)
                parameters = {**job.parameters, **{k: v for k, v in job.if_declared.items() if k in known}}
                run_notebook(
                    job.notebook,
                    job.output,
                    parameters,
                    cwd=self.root,
                    kernel=self.kernel.manager,
                    reset=self.kernel.notebooks_run > 0,
                    known=known,
                    source=job.source,
                )
                self.kernel.notebooks_run += 1
        except Exception:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the kernel (when the package changes, its imports are out of date; and when the preview ends)."""
        kernel, self.kernel = self.kernel, None
        if kernel is not None:
            kernel.shutdown()
