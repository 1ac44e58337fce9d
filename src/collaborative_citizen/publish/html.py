"""One self-contained HTML report: the executed notebooks and the rendered essays merged into a single notebook,
exported once by nbconvert with the project's own template."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from html import escape, unescape
from pathlib import Path

import jinja2
import nbformat

from ..fonts import uncovered_characters
from ..typography import smarten_html
from .essays import PublishError
from .kept import KeptResults
from .sanitise import CONTENT_SECURITY_POLICY, document_problems, sanitise_fragment
from .style import TEMPLATES


@dataclass
class Cell:
    html: str
    where: str  # the file it came from, for error messages
    source: str | None = None  # the code of a notebook cell, kept (hidden) for the audit trail


@dataclass
class Part:
    id: str
    kind: str
    title: str
    cells: list[Cell] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------------
# Fragments from notebooks


def notebook_output(path: Path) -> tuple[str, str]:
    """(code, html) of the last code cell that displays HTML: by the notebooks' contract, the finding itself.
    Earlier outputs are working steps, not report content."""
    if not path.is_file():
        raise PublishError(f"{path}: executed notebook missing (run the notebooks step first)")
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as error:  # nbformat raises several types for unreadable files
        raise PublishError(f"{path}: not a readable notebook ({error})") from None
    for cell in reversed(notebook.cells):
        if cell.cell_type != "code":
            continue
        html = [
            o["data"]["text/html"]
            for o in cell.get("outputs", [])
            if o.get("output_type") in ("display_data", "execute_result") and "text/html" in o.get("data", {})
        ]
        if html:
            return cell.source, "".join(h if isinstance(h, str) else "".join(h) for h in html)
    raise PublishError(f"{path}: no code cell displays HTML (expected the finding as a text/html output)")


# XML furniture of matplotlib's SVG: inside HTML it is not needed, and it would be the only http reference.
_SVG_CRUFT = [
    (re.compile(r"<\?xml[^>]*\?>\s*"), ""),
    (re.compile(r"<!DOCTYPE[^>]*>\s*", re.I), ""),
    (re.compile(r"<metadata\b.*?</metadata>\s*", re.S), ""),
    (re.compile(r'\s+xmlns(?::\w+)?="[^"]*"'), ""),
    (re.compile(r"\bxlink:href="), "href="),
    # matplotlib's one style rule for its SVG, which report.css gives every inline chart instead: a <style>
    # element is not allowed in the report's parts, where it could only have come from an input.
    (re.compile(r'<style type="text/css">\*\{stroke-linejoin: round; stroke-linecap: butt\}</style>\s*'), ""),
]
ID = r'(?<![\w-])id="([^"]+)"'


def clean_fragment(html: str) -> str:
    """A part as the report may show it: matplotlib's XML furniture removed, then parsed and written out with
    only the report's own elements and attributes (sanitise.py), so that nothing from an input can run or load."""
    for pattern, replacement in _SVG_CRUFT:
        html = pattern.sub(replacement, html)
    return sanitise_fragment(html)


def _prefix_ids(svg: str, prefix: str) -> str:
    ids = set(re.findall(ID, svg))
    if not ids:
        return svg
    svg = re.sub(ID, lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})" if m.group(1) in ids else m.group(0), svg)
    return re.sub(
        r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m.group(1)}"' if m.group(1) in ids else m.group(0), svg
    )


def prefix_svg_ids(html: str, prefix: str) -> str:
    """Every matplotlib SVG uses the same ids (patch_1, axes_1, ...); inline in one page they must not collide."""
    count = iter(range(1, 10_000))
    return re.sub(r"<svg\b.*?</svg>", lambda m: _prefix_ids(m.group(0), f"{prefix}-svg{next(count)}"), html, flags=re.S)


def slug(text: str, words: int = 6) -> str:
    plain = re.sub(r"<[^>]+>", "", text).lower()
    return "-".join(re.findall(r"[a-z0-9]+", plain)[:words]) or "section"


HEADING = re.compile(r"<h([1-6])\b([^>]*)>(.*?)</h\1>", re.S)


class Ids:
    """Ids of the whole document: headings get one from their part and text, and none may repeat."""

    def __init__(self):
        self.used: set[str] = set()

    def claim(self, wanted: str) -> str:
        candidate, n = wanted, 2
        while candidate in self.used:
            candidate, n = f"{wanted}-{n}", n + 1
        self.used.add(candidate)
        return candidate

    def headings(self, html: str, prefix: str) -> str:
        self.used.update(re.findall(ID, html))

        def one(match: re.Match) -> str:
            level, attrs, text = match.groups()
            if re.search(ID, attrs):
                return match.group(0)
            return f'<h{level} id="{self.claim(f"{prefix}-{slug(text)}")}"{attrs}>{text}</h{level}>'

        return HEADING.sub(one, html)


def shift_headings(html: str, by: int) -> str:
    def one(match: re.Match) -> str:
        level = min(max(int(match.group(1)) + by, 1), 6)
        return f"<h{level}{match.group(2)}>{match.group(3)}</h{level}>"

    return HEADING.sub(one, html)


def set_first_heading(html: str, **attrs: str) -> str:
    """Give the fragment's first heading these attributes (an id, the running header's text)."""
    match = HEADING.search(html)
    if not match:
        return html
    level, old, text = match.groups()
    old = re.sub(r'\s(id|data-running)="[^"]*"', "", old)
    new = "".join(f' {k.replace("_", "-")}="{escape(v, quote=True)}"' for k, v in attrs.items())
    return html[: match.start()] + f"<h{level}{new}{old}>{text}</h{level}>" + html[match.end() :]


def heading_text(html: str) -> str:
    match = HEADING.search(html)
    return " ".join(re.sub(r"<[^>]+>", "", match.group(3)).split()) if match else ""


def prepare_fragment(html: str, prefix: str, ids: Ids, kept: KeptResults | None = None) -> str:
    """A part's fragment cleaned, its typography set and its charts' ids made its own (kept between builds in
    `kept`), then its headings given ids unique in the report."""
    kept = kept or KeptResults(None)
    cleaned = kept.get("fragment", [html, prefix], lambda: prefix_svg_ids(smarten_html(clean_fragment(html)), prefix))
    return ids.headings(cleaned, prefix)


# ---------------------------------------------------------------------------------------------------------
# Checks on the finished document


def check_document(html: str) -> list[str]:
    """Problems a reader would meet: a chart without alt text, a broken contents link, a duplicate id, a
    reference to the network."""
    problems = []
    for svg in re.findall(r"<svg\b[^>]*>", html):
        if not re.search(r'\baria-label="[^"]+"', svg):
            problems.append(f"a chart has no alt text (aria-label): {svg[:80]}")
    ids = Counter(re.findall(ID, html))
    duplicates = sorted(i for i, n in ids.items() if n > 1)
    if duplicates:
        problems.append(f"ids used more than once: {', '.join(duplicates[:10])}")
    for target in re.findall(r'href="#([^"]*)"', html):
        if target not in ids:
            problems.append(f"a link points to #{target}, which does not exist")
    # (Charts' text included: it is text, drawn with the embedded chart font.)
    text = re.sub(r"<(style|script|title)\b.*?</\1>", "", html, flags=re.S)
    missing = uncovered_characters(unescape(re.sub(r"<[^>]+>", "", text)))
    if missing:
        problems.append(
            "characters outside the embedded fonts (add them to fonts.FONT_UNICODES and vendor the "
            f"fonts again): {' '.join(f'U+{ord(c):04X}' for c in missing)}"
        )
    problems += document_problems(html)
    without_css_comments = re.sub(r"/\*.*?\*/", "", html, flags=re.S)
    for url in re.findall(r"https?://[^\s\"'<>)]*", without_css_comments, flags=re.I):
        problems.append(f"the report refers to the network: {url}")
    return problems


# ---------------------------------------------------------------------------------------------------------
# Templates, fonts, the merged notebook and its export


def compiled_templates(folder: Path | None) -> jinja2.BytecodeCache | None:
    """Templates compiled by one build, for the next (Jinja compiles a template again when its source changed)."""
    if folder is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    return jinja2.FileSystemBytecodeCache(str(folder))


def parts_environment(compiled: Path | None = None) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES / "parts"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=compiled_templates(compiled),
    )


def merge_notebook(parts: list[Part], title: str, language: str) -> nbformat.NotebookNode:
    """One notebook holding the whole report in reading order. Report content from notebooks stays a code cell
    with its HTML output; generated and essay content is raw HTML. Cell ids are renumbered so that the same
    report always gets the same ids."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata = {"title": title, "language_info": {"name": "python"}, "report": {"language": language}}
    for part in parts:
        for cell in part.cells:
            meta = {"report": {"part": part.id, "kind": part.kind, "title": part.title, "from": cell.where}}
            if cell.source is None:
                new = nbformat.v4.new_raw_cell(cell.html, metadata={**meta, "raw_mimetype": "text/html"})
            else:
                new = nbformat.v4.new_code_cell(cell.source, metadata=meta)
                new.outputs = [nbformat.v4.new_output("display_data", data={"text/html": cell.html})]
            notebook.cells.append(new)
    for n, cell in enumerate(notebook.cells, 1):
        cell.id = f"cell-{n:03d}"
    nbformat.validate(notebook)
    return notebook


def predicted_page(notebook: nbformat.NotebookNode, last_notebook: Path, last_page: Path) -> str | None:
    """The page `export_html` will make of `notebook`, told without nbconvert when only raw cells' HTML changed
    since the last build wrote `last_notebook` and `last_page` (an edited essay): the last page with those cells'
    HTML replaced. None when it cannot be told so. (The PDF's worker lays the edited piece out from it while this
    process imports nbconvert; the page nbconvert makes is the one published, and any piece of it that the
    prediction got wrong is laid out from it.)"""
    try:
        cells = nbformat.reads(last_notebook.read_text(encoding="utf-8"), as_version=4).cells
        page = last_page.read_text(encoding="utf-8")
    except Exception:  # noqa: BLE001 (whatever is wrong with the last build's files, nothing is told from them)
        return None
    if len(cells) != len(notebook.cells):
        return None
    changed = False
    for last, cell in zip(cells, notebook.cells):
        if last.cell_type != cell.cell_type or last.metadata != cell.metadata:
            return None
        if cell.cell_type == "code" and (last.source != cell.source or last.outputs != cell.outputs):
            return None
        if last.source != cell.source:
            if cell.cell_type != "raw" or page.count(last.source) != 1:
                return None
            page, changed = page.replace(last.source, cell.source), True
    return page if changed else None


def export_html(notebook: nbformat.NotebookNode, page: dict, compiled: Path | None = None) -> str:
    """`page` holds what the template's head needs: title, lang, css, date, publisher, description; `compiled`: a
    folder keeping the compiled templates between builds."""
    if re.search(
        r"<img\b(?![^>]*\balt=)", "".join(str(c.get("source", "")) + str(c.get("outputs", "")) for c in notebook.cells)
    ):
        raise PublishError(
            "an <img> without alt text would reach the report (expected every image to say what it shows)"
        )
    # nbconvert's TemplateExporter with the two filters its basic HTML template needs, rather than its
    # HTMLExporter, whose last pass re-serialises the whole page with BeautifulSoup to give <img> elements alt text
    # and notebook cells a tabindex: the report has neither (charts are inline SVG with their own label, cells are
    # not shown), and the pass was a third of the HTML step's time. (Imported here: the workbook step, which
    # imports this module, has no use for nbconvert.)
    from nbconvert import TemplateExporter
    from nbconvert.filters import DataTypeFilter, Highlight2HTML

    exporter = TemplateExporter(
        filters={"highlight_code": Highlight2HTML(), "filter_data_type": DataTypeFilter()},
        template_name="collaborative",
        template_file="index.html.j2",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    exporter.environment.bytecode_cache = compiled_templates(compiled)
    html, _ = exporter.from_notebook_node(notebook, resources={"report": {**page, "csp": CONTENT_SECURITY_POLICY}})
    return html
