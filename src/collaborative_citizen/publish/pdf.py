"""The PDF edition: WeasyPrint lays out the report's HTML with the print rules of its style sheet, as one tagged
PDF/UA-1 document.

WeasyPrint (`pdf_variant="pdf/ua-1"`) writes the structure tree from the HTML: headings, paragraphs, lists, tables
with their header cells, figures with their text alternative, links, the language and the title, and XMP metadata
naming the PDF/UA part. What it leaves to the caller is the page furniture: the running head, the title at the top
right and the page number are marked content of structure elements that the tree never reaches (see WeasyPrint's
`pdf/tags.py`, "Build tree for margin boxes but don't link it to main tree"). `furniture_as_artifacts`, given to
WeasyPrint as its documented `finisher`, marks them as artifacts, as PDF/UA-1 asks, before the file is written.

The whole report is laid out at once: a structure tree spans the document, and a document joined from parts laid
out separately would lose it (docs/performance.md has the cost, about 5 s here).
"""

from __future__ import annotations

import logging
import re

from ..fonts import with_truetype_fonts

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
        pdf = document.write_pdf(pdf_variant=PDF_VARIANT, pdf_identifier=False, finisher=furniture_as_artifacts)
    finally:
        logger.removeHandler(collect)
        logger.propagate = propagate
        # The font configuration removes the folder it unpacked the fonts into when it is collected.
        document = sheets = fonts = None
    return pdf, pages, collect.messages


def furniture_as_artifacts(document, pdf) -> None:
    """WeasyPrint's `finisher` (`Document.write_pdf`, called with the pydyf PDF before it is written): mark the
    content of structure elements the structure tree never reaches (the page furniture) as /Artifact, and take
    their entries out of the parent tree."""
    objects = pdf.objects

    def resolve(reference):
        return objects[int(bytes(reference).split()[0])]

    root = resolve(pdf.catalog["StructTreeRoot"])
    reachable, stack = set(), [root]
    while stack:
        for kid in stack.pop().get("K", []) or []:
            if isinstance(kid, bytes) and kid.endswith(b" R") and kid not in reachable:
                element = resolve(kid)
                if isinstance(element, dict) and element.get("Type") == "/StructElem":
                    reachable.add(kid)
                    stack.append(element)
    numbers = resolve(root["ParentTree"])["Nums"]
    parents = {numbers[i]: numbers[i + 1] for i in range(0, len(numbers), 2) if isinstance(numbers[i + 1], list)}
    for reference in pdf.page_references:
        page = resolve(reference)
        by_mcid = parents.get(page.get("StructParents"))
        if by_mcid is None:
            continue
        furniture = {mcid for mcid, element in enumerate(by_mcid) if element not in reachable}
        if not furniture:
            continue
        # A marked-content sequence is three operations in pydyf's stream: "/Span", {"MCID": n}, b"BDC".
        operations, marked, n = resolve(page["Contents"]).stream, [], 0
        while n < len(operations):
            ahead = operations[n : n + 3]
            if (
                len(ahead) == 3
                and ahead[2] == b"BDC"
                and isinstance(ahead[1], dict)
                and ahead[1].get("MCID") in furniture
            ):
                marked += ["/Artifact", b"BMC"]
                n += 3
            else:
                marked.append(operations[n])
                n += 1
        operations[:] = marked
        for mcid in furniture:
            by_mcid[mcid] = "null"
