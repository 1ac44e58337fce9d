"""The PDF edition (publish_pdf.py): a tagged PDF/UA-1 document whose structure follows the HTML, A4, a contents
whose page numbers and links are right, embedded fonts, vector charts, page furniture as artifacts."""

import io
import re
import shutil
import subprocess

import pytest
from conftest import NAME
from pypdf import PdfReader
from pypdf.generic import IndirectObject

import collaborative_citizen.publish.pdf as publish_pdf


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
    assert len(entries) == 22, entries
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
    # The charts' text is text, in the embedded sans serif the charts were measured with (not glyph outlines,
    # not a font of this machine): finding 4's page has its legend's "Hardly ever" as text (the bullets say it
    # in lower case).
    assert {"Report-Sans", "Report-Sans-Bold"} <= fonts, fonts
    finding_4 = [t for t in (page.extract_text() for page in pdf.pages) if "Figure 4:" in t]
    assert finding_4 and "Hardly ever" in finding_4[0]


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


def test_contents_links_land_on_the_pages_the_contents_give(pdf, page_texts):
    contents = next(n for n, text in enumerate(page_texts) if text.startswith("Contents"))
    links = [a.get_object() for a in pdf.pages[contents].get("/Annots", [])]
    assert len(links) >= 12
    numbers = [number for _, number in contents_entries(page_texts[contents])]
    targets = []
    for link in links:
        destination = link["/Dest"] if "/Dest" in link else link["/A"]["/D"]
        if isinstance(destination, str):  # a named destination
            targets.append(pdf.get_destination_page_number(pdf.named_destinations[destination]) + 1)
        else:
            targets.append(pdf.get_page_number(destination[0].get_object()) + 1)
    assert sorted(set(targets)) == sorted(set(numbers))
    for number, text in enumerate(page_texts[1:], 2):
        assert text.endswith(f" {number}"), (number, text[-60:])


# ---------------------------------------------------------------------------------------------------------
# PDF/UA-1: the structure tree, as a screen reader and a checker such as veraPDF read it


def _kids(element):
    kids = element.raw_get("/K") if "/K" in element else None  # (raw: the references themselves)
    return kids if isinstance(kids, list) else [] if kids is None else [kids]


def _elements(element):
    """The structure elements under `element`, depth first, in reading order."""
    for kid in _kids(element):
        if isinstance(kid, IndirectObject):
            child = kid.get_object()
            if isinstance(child, dict) and child.get("/Type") == "/StructElem":
                yield child
                yield from _elements(child)


@pytest.fixture(scope="module")
def structure(pdf):
    """(root, elements, text of a marked-content id on a page): the tagged structure, read with pypdf."""
    root = pdf.trailer["/Root"]["/StructTreeRoot"].get_object()
    page_of = {page.indirect_reference.idnum: n for n, page in enumerate(pdf.pages)}
    marked: dict = {}
    for n, page in enumerate(pdf.pages):
        stack: list = []

        def before(operator, operands, *_):
            if operator == b"BDC":
                properties = operands[1] if len(operands) > 1 else None
                stack.append(properties.get("/MCID") if hasattr(properties, "get") else None)
            elif operator == b"BMC":
                stack.append(operands[0] if operands else None)
            elif operator == b"EMC" and stack:
                stack.pop()

        def text(value, *_):
            mcid = next((m for m in reversed(stack) if isinstance(m, int)), None)
            if mcid is not None:
                marked.setdefault((n, int(mcid)), []).append(value)
            elif stack and stack[-1] == "/Artifact":
                marked.setdefault((n, "artifact"), []).append(value)

        page.extract_text(visitor_operand_before=before, visitor_text=text)
    return root, list(_elements(root)), marked, page_of


def element_text(element, structure, page=None) -> str:
    _, _, marked, page_of = structure
    if "/Pg" in element:
        page = page_of[element.raw_get("/Pg").idnum]
    out = []
    for kid in _kids(element):
        if isinstance(kid, int):
            out.append("".join(marked.get((page, kid), [])))
            continue
        child = kid.get_object()
        if "/MCID" in child:
            where = page_of[child.raw_get("/Pg").idnum] if "/Pg" in child else page
            out.append("".join(marked.get((where, int(child["/MCID"])), [])))
        elif child.get("/Type") == "/StructElem":
            out.append(element_text(child, structure, page))
    return " ".join(" ".join(out).split())


def test_the_pdf_declares_itself_tagged_pdf_ua(pdf):
    root = pdf.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"].value is True
    assert root["/Lang"] == "en-GB"
    assert root["/ViewerPreferences"]["/DisplayDocTitle"].value is True
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert 'pdfuaid:part="1"' in xmp or "<pdfuaid:part>1</pdfuaid:part>" in xmp
    assert "The Collaborative Citizen 2014" in xmp
    # Every page is tied to the structure tree.
    assert all("/StructParents" in page for page in pdf.pages)


def test_the_accessibility_statement_says_what_the_pdf_is(report_html):
    """The statement's claim about the PDF is the one the test above checks, and no limitation contradicts it."""
    statement = report_html[report_html.index('id="accessibility"') : report_html.index('id="publication"')]
    assert "tagged PDF/UA-1 document" in statement
    assert "not yet a tagged" not in statement and "untagged" not in statement


def test_each_chart_is_a_figure_with_its_text_alternative(structure, report_dir):
    _, elements, _, _ = structure
    figures = [e for e in elements if e["/S"] == "/Figure"]
    html = (report_dir / f"{NAME}.html").read_text(encoding="utf-8")
    # (Each chart's narrow layout, for phones, is not printed.)
    charts = [svg for svg in re.findall(r"<svg\b[^>]*>", html) if "aria-label" in svg and 'class="narrow"' not in svg]
    assert len(figures) == len(charts) == 8
    for figure in figures:
        alt = str(figure.get("/Alt", ""))
        assert alt.startswith("Chart: ") and len(alt) > 60, alt


def test_tables_have_header_cells(structure):
    _, elements, _, _ = structure
    tables = [e for e in elements if e["/S"] == "/Table"]
    assert len(tables) >= 20
    for table in tables:
        cells = [e["/S"] for e in _elements(table)]
        assert "/TH" in cells and "/TD" in cells, cells[:10]


def test_lists_and_links_are_tagged(structure):
    _, elements, _, _ = structure
    kinds = {e["/S"] for e in elements}
    assert {"/L", "/LI", "/LBody", "/Link", "/P", "/Caption"} <= kinds, kinds
    # The contents are a list of links.
    contents = next(e for e in elements if e["/S"] == "/H1" and element_text(e, structure) == "Contents")
    siblings = [e for e in _elements(contents["/P"].get_object())]
    assert any(e["/S"] == "/L" for e in siblings) and sum(e["/S"] == "/Link" for e in siblings) >= 12


def test_the_headings_are_in_the_html_order(structure, report_dir):
    _, elements, _, _ = structure
    tagged = [
        (str(e["/S"])[1:].lower(), element_text(e, structure).casefold())
        for e in elements
        if re.fullmatch(r"/H[1-6]", str(e["/S"]))
    ]
    html = (report_dir / f"{NAME}.html").read_text(encoding="utf-8")
    main = html[html.index("<body") : html.rindex("</body>")]
    written = [
        (level, " ".join(re.sub(r"<[^>]+>", "", text).split()).casefold())
        for level, text in re.findall(r"<(h[1-6])\b[^>]*>(.*?)</\1>", main, re.S)
    ]
    from html import unescape

    written = [(level, unescape(text)) for level, text in written]
    assert len(tagged) > 50
    assert tagged == written


def test_page_furniture_is_an_artifact(structure, page_texts):
    """The running head, the title and the page number are artifacts: no structure element holds them."""
    _, elements, marked, _ = structure
    for n in range(2, 6):
        furniture = " ".join("".join(marked.get((n, "artifact"), [])).split())
        assert furniture.endswith(str(n + 1)) and "The Collaborative Citizen 2014" in furniture, furniture
    # The title is the cover's heading and a few sentences', never once a page.
    tagged = element_text(next(e for e in elements if e["/S"] == "/Document"), structure)
    assert tagged.count("The Collaborative Citizen 2014") < len(page_texts) / 3


def test_the_fonts_do_not_carry_the_time_of_the_build(monkeypatch):
    """WeasyPrint would stamp the time it unpacks a WOFF font (or SOURCE_DATE_EPOCH) into the embedded font: the
    same HTML gives the same PDF whenever it is laid out."""
    from collaborative_citizen.publish.style import stylesheet

    page = f"<!DOCTYPE html><html lang=en-GB><head><title>T</title><style>{stylesheet()}</style></head>"
    page += "<body><main><h1>A title</h1><p>Some text, 12%.</p></main></body></html>"
    pdfs = []
    for epoch in ("1000000000", None):
        if epoch is None:
            monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
        else:
            monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
        pdfs.append(publish_pdf.html_to_pdf(page)[0])
    assert pdfs[0] == pdfs[1]


def test_no_font_files_are_left_behind(tmp_path):
    """WeasyPrint unpacks the report's fonts into a temporary folder; none of it outlives the command."""
    import os
    import subprocess
    import sys

    script = (
        "from collaborative_citizen.publish.style import stylesheet\n"
        "from collaborative_citizen.publish.pdf import html_to_pdf\n"
        "page = f'<!DOCTYPE html><html lang=en-GB><head><title>T</title><style>{stylesheet()}</style></head>'\n"
        "assert html_to_pdf(page + '<body><main><h1>A</h1></main></body></html>')[1] == 1\n"
    )
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    subprocess.run([sys.executable, "-c", script], check=True, env={**os.environ, "TMPDIR": str(scratch)}, timeout=120)
    assert list(scratch.iterdir()) == []
