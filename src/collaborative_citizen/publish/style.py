"""The report's style sheet: its faces (embedded) and report.css, for the page and for the PDF's layouts. (A module
of its own, light to import: the PDF's worker is started from it before the HTML step's libraries are loaded.)"""

from __future__ import annotations

from pathlib import Path

from ..fonts import CHART_FACES, REPORT_FACES, font_face_css

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def stylesheet() -> str:
    report_css = (TEMPLATES / "collaborative" / "report.css").read_text(encoding="utf-8")
    return font_face_css(REPORT_FACES + CHART_FACES) + "\n" + report_css
