"""The PDF edition: WeasyPrint lays out the report's HTML with the print rules of its style sheet, as one tagged
PDF/UA-1 document.

WeasyPrint (`pdf_variant="pdf/ua-1"`) writes the structure tree from the HTML: headings, paragraphs, lists, tables
with their header cells, figures with their text alternative, links, the language and the title, and XMP metadata
naming the PDF/UA part. What it leaves to the caller is the page furniture: the running head, the title at the top
right and the page number are marked content of structure elements that the tree never reaches (see WeasyPrint's
`pdf/tags.py`, "Build tree for margin boxes but don't link it to main tree"). `furniture_as_artifacts` marks them
as artifacts, as PDF/UA-1 asks, with pypdf's public API.

The whole report is laid out at once: a structure tree spans the document, and a document joined from parts laid
out separately would lose it (docs/performance.md has the cost, about 5 s here).
"""

from __future__ import annotations

import io
import logging
import re
from importlib import metadata

from .fonts import with_truetype_fonts

WEASYPRINT_VERSION = metadata.version("weasyprint")
PDF_VARIANT = "pdf/ua-1"

# Inline SVG carries its presentation in style attributes, which WeasyPrint's SVG renderer reads but its HTML
# style engine also sees, and reports as unknown. They are not layout problems.
SVG_PROPERTY = re.compile(
    r"^Ignored `(fill|stroke|clip|font|opacity|stop|marker|paint|vector|mix-blend|"
    r"dominant|text-anchor|alignment)[a-z-]*:"
)
STYLE = re.compile(r"<style>(.*?)</style>", re.S)


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        message = record.getMessage()
        if not SVG_PROPERTY.match(message):
            self.messages.append(message)


def html_to_pdf(html: str) -> tuple[bytes, int, list[str]]:
    """(pdf, pages, warnings) for the report's HTML.

    No base URL: everything the page needs is inside it, and relative download links stay relative instead of
    becoming this machine's paths. The creation and modification dates come from the page's dcterms meta tags,
    which the build sets from SOURCE_DATE_EPOCH; no file identifier is written. Only data: URLs are fetched: a
    reference to the network or to a file, whatever put it there, loads nothing and is reported as a warning."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher

    logger = logging.getLogger("weasyprint")
    collect = _Collect()
    logger.addHandler(collect)
    propagate, logger.propagate = logger.propagate, False
    fonts = FontConfiguration()
    try:
        # The style sheets go in as user style sheets, with the fonts unpacked by us (WeasyPrint would stamp the
        # time it unpacks them into the PDF); they rank below the page's own style attributes, as <style> does.
        sheets = [CSS(string=with_truetype_fonts(text), font_config=fonts) for text in STYLE.findall(html)]
        fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=1)
        document = HTML(string=STYLE.sub("", html), base_url=None, url_fetcher=fetcher).render(
            font_config=fonts, stylesheets=sheets, pdf_variant=PDF_VARIANT
        )
        pages = len(document.pages)
        pdf = document.write_pdf(pdf_variant=PDF_VARIANT, pdf_identifier=False)
    finally:
        logger.removeHandler(collect)
        logger.propagate = propagate
        # The font configuration removes the folder it unpacked the fonts into when it is collected.
        document = sheets = fonts = None
    return furniture_as_artifacts(pdf), pages, collect.messages


def _reachable_elements(root) -> set:
    """(object number, generation) of every structure element reachable from the structure tree's root."""
    from pypdf.generic import IndirectObject

    seen: set = set()
    stack = [root]
    while stack:
        node = stack.pop()
        kids = node.raw_get("/K") if "/K" in node else None  # (raw: the references, not the objects)
        for kid in kids if isinstance(kids, list) else [kids]:
            if not isinstance(kid, IndirectObject) or (kid.idnum, kid.generation) in seen:
                continue
            element = kid.get_object()
            if isinstance(element, dict) and element.get("/Type") == "/StructElem":
                seen.add((kid.idnum, kid.generation))
                stack.append(element)
    return seen


# A marked-content sequence with an identifier, as WeasyPrint writes it: `/Span <</MCID 7>> BDC` (its text is
# written as hexadecimal glyph strings, so the pattern cannot match inside text).
MARKED_CONTENT = re.compile(rb"/[A-Za-z0-9]+\s*<<\s*/MCID\s+(\d+)\s*>>\s*BDC")


def furniture_as_artifacts(pdf: bytes) -> bytes:
    """`pdf` with the marked content of structure elements outside the structure tree (the page furniture) marked
    as /Artifact instead, and their entries in the parent tree removed. Written as an incremental update: the
    pages' new content streams and the parent tree follow WeasyPrint's file, which pypdf need not rewrite."""
    from pypdf import PdfWriter
    from pypdf.generic import IndirectObject, NullObject

    writer = PdfWriter(io.BytesIO(pdf), incremental=True)
    tree = writer.root_object["/StructTreeRoot"].get_object()
    reachable = _reachable_elements(tree)
    numbers = tree["/ParentTree"].get_object()["/Nums"]
    parents = {int(numbers[i]): numbers[i + 1].get_object() for i in range(0, len(numbers), 2)}
    for page in writer.pages:
        key = page.get("/StructParents")
        by_mcid = parents.get(int(key)) if key is not None else None
        if by_mcid is None:
            continue
        furniture = {
            mcid
            for mcid, element in enumerate(by_mcid)
            if isinstance(element, IndirectObject) and (element.idnum, element.generation) not in reachable
        }
        if not furniture:
            continue
        content = page["/Contents"].get_object()
        content.set_data(
            MARKED_CONTENT.sub(
                lambda m: b"/Artifact BMC" if int(m.group(1)) in furniture else m.group(0), content.get_data()
            )
        )
        for mcid in furniture:
            by_mcid[mcid] = NullObject()
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
