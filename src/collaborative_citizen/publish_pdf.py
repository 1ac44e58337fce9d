"""The PDF edition: WeasyPrint lays out the same HTML with the print rules of its style sheet."""
from __future__ import annotations

import logging
import re

from weasyprint import HTML
from weasyprint.urls import URLFetcher


# Inline SVG carries its presentation in style attributes, which WeasyPrint's SVG renderer reads but its HTML
# style engine also sees, and reports as unknown. They are not layout problems.
SVG_PROPERTY = re.compile(r"^Ignored `(fill|stroke|clip|font|opacity|stop|marker|paint|vector|mix-blend|"
                          r"dominant|text-anchor|alignment)[a-z-]*:")


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        message = record.getMessage()
        if not SVG_PROPERTY.match(message):
            self.messages.append(message)


def html_to_pdf(html: str) -> tuple[bytes, int, list[str]]:
    """(pdf, pages, warnings). No base URL: everything the page needs is inside it, and relative download links
    stay relative instead of becoming this machine's paths. The creation and modification dates come from the
    page's dcterms meta tags, which the build sets from SOURCE_DATE_EPOCH; no file identifier is written.
    Only data: URLs are fetched: a reference to the network or to a file, whatever put it there, loads nothing
    and is reported as a warning."""
    logger = logging.getLogger("weasyprint")
    collect = _Collect()
    logger.addHandler(collect)
    propagate, logger.propagate = logger.propagate, False
    try:
        fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=1)
        document = HTML(string=html, base_url=None, url_fetcher=fetcher).render()
        pdf = document.write_pdf(pdf_identifier=False)
    finally:
        logger.removeHandler(collect)
        logger.propagate = propagate
    return pdf, len(document.pages), collect.messages
