"""The PDF edition: A4, a contents whose page numbers are right, embedded fonts, vector charts."""

import re
import shutil
import subprocess

import pytest
from pypdf import PdfReader
from test_publish_build import NAME, report_dir  # noqa: F401  (session fixture)


@pytest.fixture(scope="module")
def pdf(report_dir):
    return PdfReader(report_dir / f"{NAME}.pdf")


@pytest.fixture(scope="module")
def page_texts(pdf):
    return [" ".join((page.extract_text() or "").split()) for page in pdf.pages]


def outline(pdf) -> dict[str, int]:
    """Heading text -> page number (1-based), from the bookmarks WeasyPrint places at each heading."""
    found = {}

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                found.setdefault(" ".join(item.title.split()), pdf.get_destination_page_number(item) + 1)

    walk(pdf.outline)
    return found


def contents_entries(page_text: str) -> list[tuple[str, int]]:
    """(title, page) for each line of the contents: a title, a dotted leader, a page number."""
    body = page_text.split("Contents", 1)[1]
    return [
        (" ".join(title.split()), int(number)) for title, number in re.findall(r"\s*(.+?)\s*(?:\.\s*){3,}(\d+)", body)
    ]


def test_a4_pages_in_a_sensible_number(pdf):
    assert 20 <= len(pdf.pages) <= 60
    for page in pdf.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - 595.28) < 1 and abs(height - 841.89) < 1


def test_the_cover_has_no_running_header_or_page_number(page_texts):
    # Other pages carry the report's title in the header and end with their number.
    assert page_texts[0].count("The Collaborative Citizen") == 1 and not page_texts[0].endswith(" 1")
    assert page_texts[2].count("The Collaborative Citizen 2014") == 1 and page_texts[2].endswith(" 3")


def test_contents_page_numbers_match_where_headings_start(pdf, page_texts):
    contents_page = next(
        i for i, text in enumerate(page_texts) if text.startswith("Contents") or " Contents " in text[:80]
    )
    entries = contents_entries(page_texts[contents_page])
    assert len(entries) == 20, entries
    headings = outline(pdf)
    for title, number in entries:
        key = re.sub(r"^\d+\.\s*", "", title)
        key = key.split(": ", 1)[1] if key not in headings and ": " in key else key
        assert key in headings, f"no heading {key!r} in the PDF outline"
        assert headings[key] == number, f"{title!r}: contents say page {number}, heading is on page {headings[key]}"
        # The heading's own text is on that page, not only in a running header.
        assert key[:40] in page_texts[number - 1]


def test_each_finding_starts_a_page_that_holds_its_whole_figure(page_texts):
    for n in range(1, 9):
        pages = [i for i, text in enumerate(page_texts) if f"FINDING {n} " in text]
        assert len(pages) == 1, f"Finding {n} is labelled on pages {pages}"
        assert f"Figure {n}:" in page_texts[pages[0]], f"Figure {n} is not on its finding's first page"


def test_fonts_are_embedded_and_charts_are_vector(pdf):
    fonts = set()
    for page in pdf.pages:
        resources = page["/Resources"]
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font["/BaseFont"]
            fonts.add(str(font["/BaseFont"]).split("+")[-1])
        for xobject in (resources.get("/XObject") or {}).values():
            assert xobject.get_object().get("/Subtype") != "/Image", "a raster image in the PDF"
    assert fonts and all(name.startswith("Report-") for name in fonts), fonts
    # The charts' text is text, in the embedded chart font (not glyph outlines, not a font of this machine).
    assert {"Report-Chart-Sans", "Report-Chart-Sans-Bold"} <= fonts, fonts


@pytest.mark.skipif(not shutil.which("pdffonts"), reason="poppler-utils not installed")
def test_poppler_agrees_every_font_is_embedded(report_dir):
    listing = subprocess.run(["pdffonts", str(report_dir / f"{NAME}.pdf")], capture_output=True, text=True, check=True)
    rows = listing.stdout.splitlines()[2:]
    assert rows and all(row.split()[-5] == "yes" for row in rows), listing.stdout


def test_metadata_dates_come_from_the_build_date(pdf, report_dir):
    info = pdf.metadata
    assert info.title == "The Collaborative Citizen 2014"
    html = (report_dir / f"{NAME}.html").read_text(encoding="utf-8")
    created = re.search(r'name="dcterms.created" content="(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z"', html)
    assert created and info["/CreationDate"].startswith("D:" + "".join(created.groups()))
