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

import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import nbformat
import pandas as pd
import yaml
from markupsafe import Markup

from ..analysis import publication_rules
from ..analysis.changes import read_changes, read_not_asked
from ..analysis.statistics import ALPHA
from ..analysis.tables import read_results
from ..findings.wording import points
from ..inputs.codebook import load_codebook, load_yaml, yaml_problem
from ..inputs.waves import available_waves, load_wave, wave_folder
from .appendix import LOW_BASE_BELOW, SUPPRESSED_BELOW, column_groups, column_widths, columns, question_tables
from .essays import (
    URL_SCHEME,
    Citations,
    Figure,
    Figures,
    PublishError,
    declared_citations,
    fact_check,
    load_essays,
    pct_html,
    render_essay,
    round_half_up,
)
from .html import (
    Cell,
    Ids,
    Part,
    check_document,
    export_html,
    heading_text,
    merge_notebook,
    notebook_output,
    parts_environment,
    prepare_fragment,
    set_first_heading,
    shift_headings,
    stylesheet,
)

EXIT_INVALID = 2
# Packages whose versions shape the output, named in the colophon.
PACKAGES = (
    "numpy",
    "pandas",
    "pyreadstat",
    "matplotlib",
    "papermill",
    "nbconvert",
    "nbformat",
    "Jinja2",
    "mistune",
    "weasyprint",
    "pydyf",
    "fonttools",
    "gptables",
    "XlsxWriter",
)
CONFIDENCE = 95
Z95 = 1.959963984540054


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
    def xlsx(self) -> Path:
        return self.out / f"collaborative-citizen-{self.wave}-tables.xlsx"

    def show(self, path: Path) -> str:
        """A path as the colophon and messages print it: relative to the project, never this machine's layout."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.name


# ---------------------------------------------------------------------------------------------------------
# Inputs


def read_json(path: Path) -> dict:
    if not path.is_file():
        raise PublishError(f"{path}: missing (the findings notebooks write it; run them first)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise PublishError(f"{path}: not valid JSON ({error})") from None


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


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "--no-optional-locks", "-C", str(root), *args], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def build_date(root: Path) -> tuple[dt.datetime, str]:
    """SOURCE_DATE_EPOCH if set, else the last commit's date: never the clock, so rebuilds are identical."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    source = "the date set for this edition"
    if not epoch:
        epoch, source = _git(root, "log", "-1", "--format=%ct"), "the date of the last change to the project's files"
    if not epoch:
        raise PublishError("no build date: set SOURCE_DATE_EPOCH (seconds since 1970) or build from a git checkout")
    try:
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc), source
    except ValueError:
        raise PublishError(f"SOURCE_DATE_EPOCH={epoch!r} is not a whole number of seconds") from None


def codebook_digest(path: Path, wave, asked: set) -> str:
    """SHA-256 of the codebook entries this wave's report used (the questions it asked, the demographics it
    collected, the design variables), in a canonical form: a question added for a later wave leaves it as it was."""
    raw = load_yaml(path.read_text(encoding="utf-8")) or {}
    used = {
        "questions": {k: v for k, v in (raw.get("questions") or {}).items() if k in asked},
        "demographics": {k: v for k, v in (raw.get("demographics") or {}).items() if k not in wave.not_collected},
        "design": raw.get("design") or {},
    }
    text = json.dumps(used, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def provenance(paths: Paths, wave, codebook_path: Path, asked: set) -> dict:
    date, source = build_date(paths.root)
    commit = _git(paths.root, "rev-parse", "HEAD")
    status = _git(paths.root, "status", "--porcelain")
    versions = [("Python", sys.version.split()[0])]
    for name in PACKAGES:
        try:
            versions.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            continue
    return {
        "date": date,
        "date_iso": date.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "date_text": f"{date.day} {date:%B %Y}",
        "date_source": source,
        "data_file": paths.show(wave.data_file),
        "data_sha256": sha256(wave.data_file),
        "codebook": paths.show(codebook_path),
        "codebook_sha256": codebook_digest(codebook_path, wave, asked),
        "commit": commit or "unknown",
        "dirty": bool(status),
        "versions": versions,
    }


# ---------------------------------------------------------------------------------------------------------
# Parts


def plain_url(text: str) -> str:
    return URL_SCHEME.sub("", str(text))


def essay_date(text: str) -> str:
    """'2014-03' -> 'March 2014'; a bare year stays as it is."""
    try:
        return dt.date.fromisoformat(f"{text}-01").strftime("%B %Y")
    except ValueError:
        return text


def margin_of_error(effective_base: float, key: str) -> Figure:
    """Half the width of the 95% interval of a 50% estimate, in points."""
    return Figure(100 * Z95 * (0.25 / effective_base) ** 0.5, key)


def methods_context(results, about: dict, codebook, config, complex_design: bool = False) -> dict:
    """The numbers Methods prints: the sample's from about.json (written by the about-the-survey notebook from
    the respondent file), the rest computed here from results.csv and the codebook. With strata, clusters or a
    design factor, margins of error follow the whole-sample figures' median design effect, not the weights'."""
    n, neff = int(about["wave"]["base"]), float(about["effective_base"])
    total = results[results.breakdown == "total"]
    design_deff = None
    if complex_design:
        design_deff = float(total[total.answer_type == "answer"].deff.median())
        neff = n / design_deff
    split = None
    for finding in config["findings"]:
        question = codebook.questions.get(finding["question"])
        asked = set(total[total.question == question.key]["item"]) if question else set()
        halves = [i for i in question.items if i.asked_of and i.key in asked] if question else []
        # A split sample needs two halves asked; a wave that put one statement to everyone has none.
        if len(halves) > 1:
            bases = [
                int(total[(total.question == question.key) & (total["item"] == i.key)].base_unweighted.iloc[0])
                for i in halves
            ]
            split = {
                "finding": finding["number"],
                "bases": [f"{b:,}" for b in bases],
                "moe": margin_of_error(neff * min(bases) / n, "methods.margin_of_error_split"),
            }
            break
    involve = total[
        (total.question == "provider_engagement")
        & (total["item"] == "involve_decisions")
        & (total.answer == "hardly_ever_never")
    ]
    targets = about.get("targets", {})
    # The questions this wave asked: one added to the codebook for a later wave changes nothing here.
    labels = [a for q in codebook.questions.values() if q.key in set(total.question) for a in q.answers]
    return {
        "n": n,
        "neff": round_half_up(float(about["effective_base"])),
        "deff": n / float(about["effective_base"]),
        "design_deff": design_deff,
        "efficiency": Figure(float(about["weighting_efficiency"]), "methods.weighting_efficiency"),
        "weight_min": float(about["weight_min"]),
        "weight_max": float(about["weight_max"]),
        "confidence": Figure(CONFIDENCE, "methods.confidence_level"),
        "moe_total": margin_of_error(neff, "methods.margin_of_error"),
        "split": split,
        "alpha": ALPHA,
        "claim_base": LOW_BASE_BELOW,
        "low_base": LOW_BASE_BELOW,
        "suppressed": SUPPRESSED_BELOW,
        "subgroup_tests": publication_rules.subgroup_family_size(results),
        "exact_cells": int((results.ci_method == "beta").sum()),
        "cells": len(results),
        "low_cells": int((results.flag == "low_base").sum()),
        "suppressed_cells": int((results.flag == "suppressed").sum()),
        "targets_total": targets.get("total", 0),
        "targets_met": targets.get("met", 0),
        "involve_rarely": Figure(
            float(involve.pct.iloc[0]), "results.provider_engagement.involve_decisions.hardly_ever_never"
        )
        if len(involve)
        else None,
        "assumed_labels": sum(1 for a in labels if a.label_source == "assumed"),
        "all_labels": len(labels),
    }


class PartBuilder:
    """Builds each kind of part named in report.yml's `parts`; `contents` comes last, from the others' headings."""

    def __init__(self, paths: Paths, config: dict, inputs: dict):
        self.paths, self.config, self.inputs = paths, config, inputs
        self.env = parts_environment()
        self.env.filters.update(pct=lambda v: Markup(pct_html(v)), points=points, plain_url=plain_url)
        self.ids = Ids()
        self.shown: set[str] = set()  # essays placed in a part

    def build(self) -> list[Part]:
        parts, toc = [], {}
        for spec in active_parts(self.config, self.inputs["wave"]["id"]):
            kind = spec.get("kind")
            make = getattr(self, f"part_{kind}", None)
            part = Part(
                id=spec.get("id") or slug_id(spec.get("title") or str(kind)),
                kind=str(kind),
                title=spec.get("title", ""),
            )
            if make is None:
                raise PublishError(f"report/report.yml: part {part.id!r}: unknown kind {kind!r}")
            children = make(part, spec)
            if not part.cells and kind != "contents":
                continue  # nothing to show for this wave (e.g. no earlier wave to compare with)
            if children is not None:
                toc[part.id] = {
                    "id": part.id,
                    "text": part.title,
                    "children": children if spec.get("contents", 1) > 1 else [],
                }
            parts.append(part)
        unused = [e.path.name for e in self.inputs["essays"] if e.slug not in self.shown]
        if unused:
            raise PublishError(
                f"report/report.yml: no part shows {', '.join(unused)} (add an essays part of their kind)"
            )
        for part in parts:
            if part.kind == "contents":
                self.add(part, self.env.get_template("contents.html.j2").render(part=part, entries=list(toc.values())))
        return parts

    def add(self, part: Part, html: str, where: str | None = None, code: str | None = None, prefix: str | None = None):
        part.cells.append(
            Cell(
                html=prepare_fragment(html, prefix or part.id, self.ids),
                where=where or f"{part.id} (report/report.yml)",
                source=code,
            )
        )

    def render(self, template: str, part: Part, **context) -> str:
        base = {
            "report": self.config,
            "wave": self.inputs["wave"],
            "build": self.inputs["build"],
            "downloads": self.inputs["downloads"],
        }
        return self.env.get_template(template).render(**base, part=part, **context)

    # Each returns the part's entries for the contents, or None when the part is not listed there.

    def part_cover(self, part, spec):
        self.add(part, self.render("cover.html.j2", part))

    def part_contents(self, part, spec):
        return None  # written once every other part exists

    def part_about(self, part, spec):
        path = self.paths.out / "notebooks" / f"{self.config['about']['notebook']}.ipynb"
        code, html = notebook_output(path)
        html = shift_headings(html, -1)  # its heading is the part's
        part.title = part.title or heading_text(html)
        html = set_first_heading(html, id=part.id, data_running=part.title)
        self.add(part, html, f"about the survey ({self.paths.show(path)})", code)
        return []

    def part_findings(self, part, spec):
        self.add(part, self.render("part_head.html.j2", part, lead=spec.get("lead", "")))
        children = []
        for finding in self.config["findings"]:
            n = finding["number"]
            summary = self.paths.out / "findings" / f"F{n}.json"
            if summary.is_file() and read_json(summary).get("asked") is False:
                continue  # not asked in this wave: Methods lists it with the wave that last asked it
            path = self.paths.out / "notebooks" / f"{finding['notebook']}.ipynb"
            code, html = notebook_output(path)
            title = heading_text(html) or finding["title"]
            html = set_first_heading(html, id=f"finding-{n}-title", data_running=f"Finding {n}: {title}")
            self.add(part, html, f"finding {n} ({self.paths.show(path)})", code, prefix=f"finding-{n}")
            children.append({"id": f"finding-{n}-title", "text": f"{n}. {title}"})
        return children

    def part_essays(self, part, spec):
        chosen = [e for e in self.inputs["essays"] if e.kind == spec.get("essay_kind")]
        if not chosen:
            raise PublishError(
                f"report/report.yml: part {part.id!r}: no essay of kind {spec.get('essay_kind')!r} in "
                f"{self.paths.show(self.paths.report / 'commentary')}"
            )
        self.add(part, self.render("part_head.html.j2", part, lead=spec.get("lead", "")))
        children = []
        for essay in chosen:
            names = " and ".join(a["name"] for a in essay.authors)
            running = part.title if len(chosen) == 1 else f"{part.title}: {names}"
            html = self.render("essay.html.j2", part, essay=essay, running=running, date=essay_date(essay.date))
            self.add(part, html, f"{essay.slug} ({self.paths.show(essay.path)})", prefix=essay.slug)
            self.shown.add(essay.slug)
            children.append({"id": f"{essay.slug}-title", "text": f"{names}: {essay.title}"})
        return children

    def part_methods(self, part, spec):
        where = f"{part.id} (report/report.yml)"
        citations = Citations(declared_citations(spec.get("citations"), where), part.id)

        def cite(cite_id):
            try:
                return Markup(citations.cite(cite_id))
            except PublishError as error:
                raise PublishError(f"{where}: {error}") from None

        # The notes at the end list what the text cited: Jinja renders in order, so the list is complete by then.
        self.add(part, self.render("methods.html.j2", part, cite=cite, notes=citations.notes, **self.inputs["methods"]))
        return []

    def part_appendix(self, part, spec):
        # One table per item for `breakdowns`, and a second for `more_breakdowns` (as many columns as fit a page).
        sets = []
        for breakdowns in (spec.get("breakdowns") or [], spec.get("more_breakdowns") or []):
            cols = columns(self.inputs["codebook"], breakdowns)
            if sets and len(cols) == 1:
                continue  # no further breakdown this wave collected
            questions = self.inputs["tables"](cols)
            sets.append(
                {
                    "columns": {**column_groups(cols), "widths": column_widths(questions, cols)},
                    "tables": {q["key"]: q["tables"] for q in questions},
                    "by": " and ".join(dict.fromkeys(c["heading"].lower() for c in cols[1:])),
                    "questions": questions,
                }
            )
        self.add(
            part,
            self.render(
                "appendix.html.j2",
                part,
                questions=sets[0]["questions"],
                sets=sets,
                low_base=LOW_BASE_BELOW,
                suppressed=SUPPRESSED_BELOW,
            ),
        )
        return []

    def part_changes(self, part, spec):
        """'What changed since <earlier waves>': for each earlier wave with respondent data, the figures it was the
        latest to ask and those of them that changed significantly, largest first, from changes.csv. Absent when
        no earlier wave has respondent data to test against."""
        changes = self.inputs["changes"]
        tested = changes[changes.latest & (changes.previous_source == "respondent data")]
        if tested.empty:
            return None
        codebook = self.inputs["codebook"]
        order = {w: n for n, w in enumerate(self.inputs["wave_order"])}
        previous_waves = sorted(set(tested.previous_wave), key=lambda w: (order.get(w, -1), w), reverse=True)
        named = sorted(previous_waves, key=lambda w: (order.get(w, -1), w))
        since = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
        part.title = f"{spec.get('title', 'What changed since')} {since}"
        groups = []
        for previous in previous_waves:
            these = tested[tested.previous_wave == previous]
            significant = these[these.significant == "True"].copy()
            significant["size"] = significant.change_pp.abs()
            rows = []
            for r in significant.sort_values(
                ["size", "question", "item", "answer"], ascending=[False, True, True, True]
            ).itertuples():
                question = codebook.questions[r.question]
                key = f"changes.{r.question}.{r.item}.{r.answer}"
                rows.append(
                    {
                        "question": question.wording,
                        "item": question.item(r.item).label if r.item else "",
                        "answer": question.label_of(r.answer),
                        "now": Figure(float(r.pct), key),
                        "before": Figure(float(r.previous_pct), f"{key}.{previous}"),
                        "change": Figure(float(r.change_pp), f"{key}.change"),
                        "p_value": float(r.p_value),
                        "p_adjusted": float(r.p_adjusted),
                    }
                )
            notes = sorted(set(these.design_note) - {""})
            groups.append({"previous": previous, "compared": len(these), "rows": rows, "note": "; ".join(notes)})
        self.add(part, self.render("changes.html.j2", part, groups=groups, lead=spec.get("lead", "")))
        return []

    def part_key_findings(self, part, spec):
        """The first point of every finding this wave asked, and how many figures changed since each earlier
        wave: generated from the findings' own summaries and changes.csv, so its numbers are theirs."""
        findings = []
        for finding in self.config["findings"]:
            summary_path = self.paths.out / "findings" / f"F{finding['number']}.json"
            summary = read_json(summary_path) if summary_path.is_file() else {}
            if summary.get("asked") and summary.get("bullets"):
                findings.append(
                    {"number": finding["number"], "title": finding["title"], "headline": Markup(summary["bullets"][0])}
                )
        if not findings:
            return None
        changes = self.inputs["changes"]
        tested = changes[changes.latest & (changes.previous_source == "respondent data")]
        summary = [
            {
                "previous": w,
                "compared": int((tested.previous_wave == w).sum()),
                "significant": int(((tested.previous_wave == w) & (tested.significant == "True")).sum()),
            }
            for w in sorted(set(tested.previous_wave), reverse=True)
        ]
        self.add(part, self.render("key_findings.html.j2", part, findings=findings, changes=summary))
        return []

    def part_front_matter(self, part, spec):
        """Acknowledgements, the publisher and the contributors, as report.yml's `front_matter` gives them."""
        self.add(part, self.render("front_matter.html.j2", part, matter=self.config.get("front_matter", {})))
        return []

    def part_publication(self, part, spec):
        """Publication date, copyright and licence, how to cite, contact (report.yml's `publication`)."""
        details = self.config.get("publication", {})
        wave, build = self.inputs["wave"], self.inputs["build"]
        citation = (
            f"{self.config.get('publisher', '')} ({wave['year']}). {self.config.get('title', '')} {wave['year']}: "
            f"{self.config.get('subtitle', '')}. Edition of {build['date_text']}."
        )
        self.add(part, self.render("publication.html.j2", part, details=details, citation=citation))
        return []

    def part_accessibility(self, part, spec):
        self.add(part, self.render("accessibility.html.j2", part))
        return []

    def part_colophon(self, part, spec):
        self.add(part, self.render("colophon.html.j2", part))
        return []


def not_asked_list(frame: pd.DataFrame, codebook, titles: dict) -> list[dict]:
    """Every question or grid item this wave did not ask, by finding, with the wave that last asked it."""
    found = []
    for r in frame.itertuples():
        question = codebook.questions.get(r.question)
        if question is None:
            continue
        what = titles.get(r.question, question.wording)
        if r.item:
            what = f"{what}: \u201c{question.item(r.item).label}\u201d"
        found.append({"what": what, "last_asked": r.last_asked})
    return found


def reconstruction_choices(wave) -> dict:
    """What Methods says about choices a reconstruction made, from the wave's targets.csv."""
    path = wave.folder / "targets.csv"
    if not wave.reconstructed or not path.is_file():
        return {"sample_note": "", "involve_choice": False}
    targets = pd.read_csv(path, dtype=str, keep_default_na=False).set_index("id")
    note = targets.note.get("sample_size", "")
    return {"sample_note": note, "involve_choice": "f4_involve_rarely" in targets.index}


def active_parts(config: dict, wave_id: str) -> list[dict]:
    """The parts of report.yml this wave's report has: a part may name the `waves` it belongs to."""
    return [p for p in config["parts"] if "waves" not in p or str(wave_id) in [str(w) for w in p["waves"]]]


def slug_id(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower())[:3]) or "part"


# ---------------------------------------------------------------------------------------------------------
# Build steps


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
    results: pd.DataFrame
    build: dict  # provenance
    title: str  # the report's title with its year
    titles: dict  # question key -> "Finding n: title"


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
    results = read_results(results_path)
    return ReportInputs(
        config=config,
        wave=wave,
        codebook=codebook,
        results_path=results_path,
        results=results,
        build=provenance(paths, wave, codebook_path, set(results.question)),
        title=f"{config['title']} {wave.year}",
        titles={f["question"]: f"Finding {f['number']}: {f['title']}" for f in config["findings"]},
    )


def build_html(paths: Paths) -> dict:
    """Render, check and export the report. Returns what was built, for the progress line."""
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
    config, wave, codebook, results_path, results, build, title, titles = (
        report.config,
        report.wave,
        report.codebook,
        report.results_path,
        report.results,
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
    inputs = {
        "wave": wave_info,
        "build": build,
        "essays": essays,
        "codebook": codebook,
        "downloads": {"csv": results_path.name, "xlsx": paths.xlsx.name},
        "methods": {
            **methods_context(results, about, codebook, config, complex_design=bool(wave.sample_design)),
            **reconstruction_choices(wave),
            "not_asked": not_asked_list(read_not_asked(paths.out / "not_asked.csv"), codebook, titles),
        },
        "changes": read_changes(paths.out / "changes.csv"),
        "wave_order": [w.id for w in available_waves(paths.data)],
        "tables": lambda cols: question_tables(results, codebook, cols, titles),
    }
    parts = PartBuilder(paths, config, inputs).build()
    fact_check([(cell.where, cell.html) for part in parts for cell in part.cells])

    notebook = merge_notebook(parts, title, config.get("language", "en"))
    page = {
        "title": title,
        "lang": config.get("language", "en"),
        "publisher": config.get("publisher", ""),
        "description": config.get("subtitle", ""),
        "date": build["date_iso"],
        "css": stylesheet(),
    }
    html = export_html(notebook, page)
    problems = check_document(html)
    if problems:
        raise PublishError([f"{paths.show(paths.html)}: {p}" for p in problems])

    write_atomic(paths.notebook, nbformat.writes(notebook).encode("utf-8") + b"\n")
    write_atomic(paths.html, html.encode("utf-8"))
    checked = sum(c.html.count('class="num"') + c.html.count("data-cite=") for p in parts for c in p.cells)
    return {
        "html": paths.html,
        "parts": len(parts),
        "essays": len(essays),
        "figures": checked,
        "size": len(html.encode("utf-8")),
    }


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


def build_pdf(paths: Paths) -> dict:
    from .pdf import html_to_pdf

    if not paths.html.is_file():
        raise PublishError(f"{paths.show(paths.html)}: missing (run `publish html --wave {paths.wave}` first)")
    pdf, pages, warnings = html_to_pdf(paths.html.read_text(encoding="utf-8"))
    write_atomic(paths.pdf, pdf)
    return {"pdf": paths.pdf, "pages": pages, "warnings": len(warnings), "size": len(pdf)}


def publish_step(command: str, paths: Paths, wave: str) -> None:
    """Build one output (xlsx, html or pdf) and print its progress line."""
    if command == "html":
        done = build_html(paths)
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
        done = build_pdf(paths)
        warned = f", {done['warnings']} layout warnings" if done["warnings"] else ""
        print(
            f"publish pdf: {wave}: {done['pages']} A4 pages{warned} -> {paths.show(done['pdf'])} "
            f"({done['size'] // 1024} kB)",
            flush=True,
        )
