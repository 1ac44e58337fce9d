"""Publish the report: one self-contained HTML file, an A4 PDF made from it and the workbook of the tables
(`collaborative-citizen publish xlsx|html|pdf --wave 2014`; the command line is cli.py).

`xlsx` writes the weighted tables of report/build/<wave>/results.csv as a workbook beside it (-tables.xlsx).
`html` reads report/report.yml, report/commentary/*.md, data/codebook.yml, the wave's respondent file and, from
report/build/<wave>/: results.csv, about.json, findings/F*.json and the executed notebooks. It writes, beside
them, collaborative-citizen-<wave>.html and the merged notebook it was exported from (.ipynb). `pdf` turns that
HTML into collaborative-citizen-<wave>.pdf. Each prints one line; bad input stops it with exit status 2 and
`error:` lines, and leaves the previous outputs in place.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
import yaml

from ..inputs.codebook import load_codebook
from ..inputs.waves import available_waves, load_wave, wave_folder
from ..inputs.yaml_files import load_yaml, yaml_problem
from ..paths import Paths
from .appendix import columns, question_tables
from .essays import (
    Figures,
    PublishError,
    load_essays,
    render_essay,
)
from .fact_check import fact_check
from .html import check_document, export_html, merge_notebook, predicted_page
from .kept import KeptResults, files_digest
from .parts import PartBuilder, active_parts
from .provenance import provenance
from .style import TEMPLATES, stylesheet
from .summary_parts import read_json

if TYPE_CHECKING:
    import pandas as pd

# (pandas and the statistics are imported by the steps that read results.csv, changes.csv and not_asked.csv: after
# an edited essay, what those steps made is kept from the last build, and this process does not import them.)


def read_config(paths: Paths) -> dict:
    path = paths.report / "report.yml"
    try:
        config = load_yaml(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PublishError(f"{path}: cannot be read ({error.strerror or error})") from None
    except yaml.YAMLError as error:
        raise PublishError(f"{path}: {yaml_problem(error)} (expected valid YAML)") from None
    for key in ("title", "findings", "parts"):
        if key not in config:
            raise PublishError(f"{path}: missing {key!r}")
    return config


def figures_context(paths: Paths, config: dict) -> dict:
    """F1..F8 as the essays see them: each finding's numbers by name, plus the aliases report.yml declares."""
    context = {}
    for finding in config["findings"]:
        n = finding["number"]
        path = paths.out / "findings" / f"F{n}.json"
        numbers = dict(read_json(path).get("numbers") or {})
        for alias, name in (finding.get("aliases") or {}).items():
            if alias not in numbers and name in numbers:
                numbers[alias] = numbers[name]
        context[f"F{n}"] = Figures(f"F{n}", numbers, paths.show(path))
    return context


def write_atomic(path: Path, data: bytes) -> None:
    """Write beside the target, then rename: a reader (or a failed build) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_bytes(data)
        partial.replace(path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise OSError(error.errno, f"could not be written ({error.strerror or error})", str(path)) from None


@dataclass
class ReportInputs:
    """What both the HTML and the workbook are made from."""

    config: dict
    wave: object
    codebook: object
    results_path: Path
    build: dict  # provenance
    title: str  # the report's title with its year
    titles: dict  # question key -> "Finding n: title"

    @cached_property
    def results(self) -> pd.DataFrame:
        """results.csv, read when a step needs its figures."""
        from ..analysis.results_file import read_results

        return read_results(self.results_path)


def questions_in(results_path: Path) -> set[str]:
    """The questions results.csv has figures for (its `question` column, as read_results reads it)."""
    with open(results_path, newline="", encoding="utf-8") as handle:
        return {row["question"] for row in csv.DictReader(handle)}


def report_inputs(paths: Paths) -> ReportInputs:
    config = read_config(paths)
    wave = load_wave(wave_folder(paths.data, paths.wave))
    codebook_path = paths.data / "codebook.yml"
    codebook = load_codebook(codebook_path).for_wave(wave)
    if wave.data_file is None:
        raise PublishError(f"{wave.folder / 'wave.yml'}: wave {wave.id} has no respondent data to report on")
    results_path = paths.out / "results.csv"
    if not results_path.is_file():
        raise PublishError(f"{results_path}: missing (run the tables step first)")
    return ReportInputs(
        config=config,
        wave=wave,
        codebook=codebook,
        results_path=results_path,
        build=provenance(paths, wave, codebook_path, questions_in(results_path)),
        title=f"{config['title']} {wave.year}",
        titles={f["question"]: f"Finding {f['number']}: {f['title']}" for f in config["findings"]},
    )


@dataclass
class RenderedReport:
    """The report's page and merged notebook, rendered and fact-checked, not yet checked as a whole page."""

    html: str
    notebook: nbformat.NotebookNode
    parts: int
    essays: int
    figures: int  # figures fact-checked


def build_html(paths: Paths, pdf_layouts=None) -> dict:
    """Render, check and write the report (with `pdf_layouts` from `pdf.start_pdf`, the PDF's first new piece laid
    out meanwhile). Returns what was built, for the progress line."""
    told = (lambda page: pdf_layouts.begin(page, told=True)) if pdf_layouts is not None else None
    rendered = render_html(paths, told)
    if pdf_layouts is not None:
        pdf_layouts.begin(rendered.html)
    check_html(paths, rendered.html)
    return write_html(paths, rendered)


def check_html(paths: Paths, html: str) -> None:
    """The whole page against the allowlists and the reader's checks (alt text, links, ids, fonts, network)."""
    problems = check_document(html)
    if problems:
        raise PublishError([f"{paths.show(paths.html)}: {p}" for p in problems])


def write_html(paths: Paths, rendered: RenderedReport) -> dict:
    write_atomic(paths.notebook, nbformat.writes(rendered.notebook).encode("utf-8") + b"\n")
    data = rendered.html.encode("utf-8")
    write_atomic(paths.html, data)
    return {
        "html": paths.html,
        "parts": rendered.parts,
        "essays": rendered.essays,
        "figures": rendered.figures,
        "size": len(data),
    }


def render_html(paths: Paths, predicted=None) -> RenderedReport:
    """The essays, findings, methods and tables merged into one page, every figure fact-checked; `predicted` is
    given the page `html.predicted_page` tells before it is made, if it can."""
    report = report_inputs(paths)
    from .input_text import file_problems, text_problems

    problems = text_problems(
        report.codebook,
        report.wave,
        report.config,
        paths.show(paths.data / "codebook.yml"),
        paths.show(report.wave.folder / "wave.yml"),
        paths.show(paths.report / "report.yml"),
    )
    for path in sorted((paths.report / "commentary").glob("*.md")) + sorted((paths.report / "findings").glob("*.j2")):
        problems += file_problems(path, paths.show(path))
    if problems:
        raise PublishError(problems)
    config, wave, codebook, results_path, build, title, titles = (
        report.config,
        report.wave,
        report.codebook,
        report.results_path,
        report.build,
        report.title,
        report.titles,
    )
    about = read_json(paths.out / "about.json")
    wave_info = {
        "id": wave.id,
        "year": wave.year,
        "title": wave.title,
        "base": int(about["wave"]["base"]),
        "population": wave.population,
        "agency": wave.agency,
        "mode": wave.mode,
        "fieldwork": wave.fieldwork_prose,
        "reconstructed": wave.reconstructed,
        "sample": wave.sample,
        "weighted": wave.weighted,
        "weighting": wave.weighting_text,
        "notes": wave.notes,
        "preparation": wave.preparation,
        "design": wave.design_text,
    }
    figures = figures_context(paths, config)
    # Only the essays this wave's report shows are rendered: another wave may lack the figures they cite.
    kinds = {p.get("essay_kind") for p in active_parts(config, wave.id) if p.get("kind") == "essays"}
    essays = [
        render_essay(e, {**figures, "wave": wave_info})
        for e in load_essays(paths.report / "commentary")
        if e.kind in kinds
    ]

    @cache
    def methods() -> dict:
        from ..analysis.changes import read_not_asked
        from .methods import methods_context, not_asked_list, reconstruction_choices

        return {
            **methods_context(report.results, about, codebook, config, complex_design=bool(wave.sample_design)),
            **reconstruction_choices(wave),
            "not_asked": not_asked_list(read_not_asked(paths.out / "not_asked.csv"), codebook, titles),
        }

    @cache
    def changes():
        from ..analysis.changes import read_changes

        return read_changes(paths.out / "changes.csv")

    wave_order = [w.id for w in available_waves(paths.data)]
    build_of_data = {key: value for key, value in build.items() if key not in BUILD_STATE}
    inputs = {
        "wave": wave_info,
        "build": build,
        "essays": essays,
        "codebook": codebook,
        "downloads": {"csv": results_path.name, "xlsx": paths.xlsx.name},
        "methods": methods,
        "changes": changes,
        "wave_order": wave_order,
        "tables": lambda cols: question_tables(report.results, codebook, cols, titles),
        # Everything the parts made from the data alone read (parts.KEPT_KINDS), for keeping them: the build's
        # commit and whether the checkout has local changes aside (only the colophon, made every build, shows them;
        # an edited essay makes the checkout's state change, which would make these parts again).
        "data": data_digest(paths, wave, [repr(codebook), config, build_of_data, wave_info, titles, wave_order]),
    }
    # The parts made from the tables, each fragment cleaned and each part fact-checked, kept from the last build.
    kept = KeptResults(paths.kept / "html-steps" / paths.wave)
    parts = PartBuilder(paths, config, inputs, kept).build()
    fact_check([(cell.where, cell.html) for part in parts for cell in part.cells], kept)
    kept.forget_others()

    notebook = merge_notebook(parts, title, config.get("language", "en"))
    page = {
        "title": title,
        "lang": config.get("language", "en"),
        "publisher": config.get("publisher", ""),
        "description": config.get("subtitle", ""),
        "date": build["date_iso"],
        "css": stylesheet(),
    }
    if predicted is not None:
        early = predicted_page(notebook, paths.notebook, paths.html)
        if early is not None:
            predicted(early)
    html = export_html(notebook, page, paths.kept / "templates")
    checked = sum(c.html.count('class="num"') + c.html.count("data-cite=") for p in parts for c in p.cells)
    return RenderedReport(html=html, notebook=notebook, parts=len(parts), essays=len(essays), figures=checked)


# What the build info says of the checkout, shown by the colophon alone (not by any part kept between builds).
BUILD_STATE = ("commit", "dirty")


def data_digest(paths: Paths, wave, values: list) -> str:
    """A digest of the wave's tables and summaries (results.csv, changes.csv, not_asked.csv, about.json, the
    findings' summaries), the wave's folder but its respondent file (whose digest `build` has), the part templates
    and `values`."""
    out = paths.out
    files = sorted(out.glob("*.csv")) + sorted(out.glob("*.json")) + sorted((out / "findings").glob("*.json"))
    files += sorted(p for p in wave.folder.iterdir() if p.is_file() and p != wave.data_file)
    files += sorted(p for p in (TEMPLATES / "parts").rglob("*") if p.is_file())
    return files_digest(files) + json.dumps(values, sort_keys=True, default=str)


def build_workbook(paths: Paths) -> dict:
    """The tables as a workbook beside the report: its own step, as it needs only results.csv (an edited essay
    does not rebuild it, and it can be written while the notebooks run)."""
    report = report_inputs(paths)
    codebook, titles = report.codebook, report.titles
    # The workbook has every breakdown, not only the appendix's columns.
    all_cols = columns(codebook, [{"key": k, "label": v.wording} for k, v in codebook.demographics.items()])
    from .workbook import write_accessible_workbook

    partial_xlsx = paths.xlsx.with_name(f".{paths.xlsx.name}.partial")
    wave, build = report.wave, report.build
    about = {
        "title": f"{report.title}: weighted tables",
        "publisher": report.config.get("publisher", ""),
        "source": f"{wave.agency}, {wave.title} ({wave.fieldwork_text})",
        "scope": wave.population,
        "intro": [
            f"The weighted tables of {report.title}: every answer and net of every question, for the whole "
            "sample and every group of every breakdown, one table per sheet.",
            f"Every cell, unrounded, with standard errors, intervals and significance tests, is in "
            f"{report.results_path.name}, beside the report.",
        ],
        "about": [
            f"Survey: {wave.agency}, {wave.fieldwork_text}, {wave.population} ({wave.mode}).",
            wave.weighting_text,
            f"Built {build['date_text']} from {build['data_file']} (SHA-256 {build['data_sha256']}).",
        ]
        + (
            ["The respondent data of this wave is a reconstruction: see the report's Methods."]
            if wave.reconstructed
            else []
        ),
        "contact": [f"{report.config.get('publisher', '')}, who published the report."],
    }
    try:
        write_accessible_workbook(
            question_tables(report.results, codebook, all_cols, titles),
            all_cols,
            about,
            build["date"].replace(tzinfo=None),
            partial_xlsx,
        )
        partial_xlsx.replace(paths.xlsx)
    except OSError as error:
        partial_xlsx.unlink(missing_ok=True)
        raise OSError(error.errno, f"could not be written ({error.strerror or error})", str(paths.xlsx)) from None
    return {"xlsx": paths.xlsx, "tables": len(titles), "size": paths.xlsx.stat().st_size}


def build_pdf(paths: Paths, workers: int | None = None, keep_pieces: bool = True, layouts=None) -> dict:
    """The PDF from the HTML step's page; `workers`: processes laying out its pieces (default: publish/pdf.py's);
    `keep_pieces`: keep them for the next build, and take the ones an earlier build kept; `layouts`: from
    `pdf.start_pdf`."""
    from .pdf import html_to_pdf

    if not paths.html.is_file():
        raise PublishError(f"{paths.show(paths.html)}: missing (run `publish html --wave {paths.wave}` first)")
    cache = paths.pdf_pieces if keep_pieces else None
    pdf, pages, warnings = html_to_pdf(
        paths.html.read_text(encoding="utf-8"), cache=cache, workers=workers, layouts=layouts
    )
    write_atomic(paths.pdf, pdf)
    return {"pdf": paths.pdf, "pages": pages, "warnings": len(warnings), "size": len(pdf)}


def publish_step(command: str, paths: Paths, wave: str, pdf_layouts=None) -> None:
    """Build one output (xlsx, html or pdf) and print its progress line (the HTML and the PDF with `pdf_layouts`
    from `pdf.start_pdf`, if given: the PDF's layouts then start as soon as the page is rendered)."""
    if command == "html":
        done = build_html(paths, pdf_layouts)
        print(
            f"publish html: {wave}: {done['parts']} parts, {done['essays']} essays, {done['figures']} "
            f"figures fact-checked -> {paths.show(done['html'])} ({done['size'] // 1024} kB)",
            flush=True,
        )
    elif command == "xlsx":
        done = build_workbook(paths)
        print(
            f"publish xlsx: {wave}: every weighted table -> {paths.show(done['xlsx'])} ({done['size'] // 1024} kB)",
            flush=True,
        )
    else:
        done = build_pdf(paths, layouts=pdf_layouts)
        warned = f", {done['warnings']} layout warnings" if done["warnings"] else ""
        print(
            f"publish pdf: {wave}: {done['pages']} A4 pages{warned} -> {paths.show(done['pdf'])} "
            f"({done['size'] // 1024} kB)",
            flush=True,
        )
