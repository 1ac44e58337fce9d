"""The report's parts, in report.yml's order: each part kind rendered from its template in templates/parts/ with
what it needs (the essays, the executed finding notebooks, Methods, the appendix tables, the changes since
earlier waves, the key findings)."""

from __future__ import annotations

import datetime as dt
import json
import re

from markupsafe import Markup

from ..findings.wording import points
from ..paths import Paths
from .essays import (
    URL_SCHEME,
    Citations,
    PublishError,
    declared_citations,
    pct_html,
)
from .html import (
    Cell,
    Ids,
    Part,
    heading_text,
    notebook_output,
    parts_environment,
    prepare_fragment,
    set_first_heading,
    shift_headings,
)
from .kept import KeptResults, file_digest
from .summary_parts import SummaryParts, read_json


def plain_url(text: str) -> str:
    return URL_SCHEME.sub("", str(text))


def essay_date(text: str) -> str:
    """'2014-03' -> 'March 2014'; a bare year stays as it is."""
    try:
        return dt.date.fromisoformat(f"{text}-01").strftime("%B %Y")
    except ValueError:
        return text


# The parts made from the data alone (results.csv, changes.csv, not_asked.csv, the findings' summaries, the codebook,
# the wave and report.yml): kept whole between builds, so that after an edited essay the tables are not read again.
KEPT_KINDS = ("key_findings", "changes", "methods", "appendix")


class PartBuilder(SummaryParts):
    """Builds each kind of part named in report.yml's `parts`; `contents` comes last, from the others' headings."""

    def __init__(self, paths: Paths, config: dict, inputs: dict, kept: KeptResults | None = None):
        self.paths, self.config, self.inputs = paths, config, inputs
        self.kept = kept or KeptResults(None)
        self.env = parts_environment(paths.kept / "templates")
        self.env.filters.update(pct=lambda v: Markup(pct_html(v)), points=points, plain_url=plain_url)
        self.ids = Ids()
        self.shown: set[str] = set()  # essays placed in a part
        self.recording: list | None = None  # what a kept part adds, while it is made (kept_part)

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
            children = self.kept_part(make, part, spec) if kind in KEPT_KINDS else make(part, spec)
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

    def kept_part(self, make, part: Part, spec: dict):
        """A part made from the data alone (KEPT_KINDS), as the last build made it if the data, report.yml and the
        templates are the same (`kept`): its title, its entries for the contents and its fragments, which are then
        given their ids."""

        def made() -> dict:
            self.recording = []
            try:
                children = make(part, spec)
                return {"title": part.title, "children": children, "cells": self.recording}
            finally:
                self.recording = None

        inputs = [part.id, json.dumps(spec, sort_keys=True, default=str), self.inputs["data"]]
        part_made = self.kept.get(f"part {part.kind}", inputs, made)
        part.title = part_made["title"]
        for html, where, code, prefix in part_made["cells"]:
            self.add(part, html, where, code, prefix)
        return part_made["children"]

    def add(self, part: Part, html: str, where: str | None = None, code: str | None = None, prefix: str | None = None):
        if self.recording is not None:
            self.recording.append([html, where, code, prefix])
            return
        part.cells.append(
            Cell(
                html=prepare_fragment(html, prefix or part.id, self.ids, self.kept),
                where=where or f"{part.id} (report/report.yml)",
                source=code,
            )
        )

    def notebook_output(self, path) -> tuple[str, str]:
        """(code, html) of an executed notebook's finding (html.notebook_output), kept between builds."""
        if not path.is_file():
            return notebook_output(path)  # (its error)
        return tuple(self.kept.get("notebook_output", [file_digest(path)], lambda: notebook_output(path)))

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
        code, html = self.notebook_output(path)
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
            code, html = self.notebook_output(path)
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
        methods = self.inputs["methods"]()
        self.add(part, self.render("methods.html.j2", part, cite=cite, notes=citations.notes, **methods))
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


def active_parts(config: dict, wave_id: str) -> list[dict]:
    """The parts of report.yml this wave's report has: a part may name the `waves` it belongs to."""
    return [p for p in config["parts"] if "waves" not in p or str(wave_id) in [str(w) for w in p["waves"]]]


def slug_id(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower())[:3]) or "part"
