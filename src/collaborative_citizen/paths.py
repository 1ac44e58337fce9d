"""Where a wave's report is built and what its outputs are called: one place for every step to ask."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class Paths:
    root: Path
    data: Path
    report: Path
    build: Path
    wave: str

    @property
    def out(self) -> Path:
        return self.build / self.wave

    @property
    def html(self) -> Path:
        return self.out / f"collaborative-citizen-{self.wave}.html"

    @property
    def pdf(self) -> Path:
        return self.out / f"collaborative-citizen-{self.wave}.pdf"

    @property
    def notebook(self) -> Path:
        return self.out / f"collaborative-citizen-{self.wave}.ipynb"

    @property
    def kept(self) -> Path:
        """What one build keeps for the next (compiled templates, the PDF's pieces): beside the waves' folders,
        not in the wave's, which is published."""
        return self.build / ".kept"

    @property
    def pdf_pieces(self) -> Path:
        """The PDF's pieces laid out by the last build (publish/pdf.py)."""
        return self.kept / "pdf-pieces" / self.wave

    @property
    def xlsx(self) -> Path:
        return self.out / f"collaborative-citizen-{self.wave}-tables.xlsx"

    def show(self, path: Path) -> str:
        """A path as the colophon and messages print it: relative to the project, never this machine's layout."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.name
