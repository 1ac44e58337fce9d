"""The PDF laid out in pieces (publish/pdf_pieces.py, pdf.py, pdf_join.py): a small report in the report's own
markup and style sheet, cut, laid out piece by piece and joined, against the same report laid out whole; the
pieces kept between builds."""

import io
import re

import pytest
from pypdf import PdfReader

import collaborative_citizen.publish.pdf as publish_pdf
from collaborative_citizen.publish import pdf_layout, pdf_pieces
from collaborative_citizen.publish.style import stylesheet

TABLE = "<table class='data'><thead><tr><th scope='col'>Answer</th><th scope='col'>All</th></tr></thead><tbody>{}"


def _table_block(n: int, rows: int) -> str:
    body = "".join(f"<tr><th scope='row'>Answer {r}</th><td>{r}%</td></tr>" for r in range(rows))
    return (
        f'<section class="table-block" id="table-q{n}">'
        f'<h2 id="table-q{n}-title" data-running="Appendix: tables">Question {n}</h2>'
        f"{TABLE.format(body)}</tbody></table></section>\n"
    )


def report(essay_words: int = 300) -> str:
    """A report of six parts: a cover, the contents, an essay linking to the appendix, a part of findings, an
    appendix of three question tables and a part without a heading of its own."""
    essay = " ".join(["A sentence of the essay, with its words."] * (essay_words // 7))
    parts = [
        (
            "cover",
            "part-cover",
            '<header class="cover"><h1 class="cover-title" id="top">A Report<br> '
            '<span class="cover-year">2099</span></h1></header>',
        ),
        (
            "contents",
            "part-contents",
            '<h1 id="contents" data-running="Contents">Contents</h1>'
            '<nav class="toc" aria-labelledby="contents"><ol>'
            '<li class="toc-1"><a href="#essay">The essay</a></li>'
            '<li class="toc-1"><a href="#findings">The findings</a></li>'
            '<li class="toc-1"><a href="#appendix">Appendix</a></li>'
            '<li class="toc-1"><a href="#table-q3-title">Question 3</a></li></ol></nav>',
        ),
        (
            "essays",
            "part-essay",
            '<article class="essay"><h1 id="essay" data-running="The essay">The essay</h1>'
            f'<p>{essay}</p><p>See <a href="#table-q2">the second table</a>.</p></article>',
        ),
        (
            "findings",
            "part-findings",
            '<header class="part-head"><h1 id="findings" data-running="The findings">The findings</h1></header>'
            + "".join(
                f'<section class="finding" id="finding-{n}"><h2 id="finding-{n}-title" data-running="Finding {n}">'
                f"Finding {n}</h2><p>{' '.join(['A finding, in words and numbers.'] * 60)}</p></section>"
                for n in (1, 2)
            ),
        ),
        (
            "appendix",
            "part-appendix",
            '<h1 id="appendix" data-running="Appendix: tables">Appendix</h1>'
            + "".join(_table_block(n, rows) for n, rows in ((1, 30), (2, 40), (3, 40))),
        ),
        ("colophon", "part-colophon", "<p>Set in the report's faces.</p>"),
    ]
    main = "".join(
        f'<section class="part part-{kind}" id="{ident}">\n{inner}\n</section>\n' for kind, ident, inner in parts
    )
    return (
        '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>A Report 2099</title>'
        f"<style>{stylesheet()}</style></head><body>\n<main>\n{main}</main>\n</body></html>"
    )


def texts(pdf: bytes) -> list[str]:
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture(scope="module")
def pieces_pdf(tmp_path_factory):
    cache = tmp_path_factory.mktemp("pieces")
    pdf, pages, warnings = publish_pdf.html_to_pdf(report(), cache=cache, workers=2)
    return pdf, pages, warnings, cache


def test_the_report_is_cut_at_parts_findings_and_question_tables():
    cut = pdf_pieces.cut(report())
    kinds = ["cover", "contents", "essays"] + ["findings"] * 2 + ["appendix"] * 3 + ["colophon"]
    assert [p.kind for p in cut.pieces] == kinds
    essay, _, second_finding, *_, second_table, third_table, colophon = cut.pieces[2:]
    assert 'id="part-findings"' not in second_finding.html and 'id="finding-2"' in second_finding.html
    # A link to another piece is written for the join; the id of the part is in its first piece only.
    assert 'href="cc-piece:table-q2"' in essay.html
    assert 'id="part-appendix"' not in second_table.html and "table-q2-title" in second_table.html
    # A piece without a heading of its own starts with the running head the report has reached.
    assert "string-set: running" in colophon.css and "string-set" not in third_table.css
    assert pdf_pieces.cut("<!DOCTYPE html><html><body><main><p>x</p></main></body></html>") is None
    # A finding's section inside a finding (in its commentary, say) starts no piece: only the part's children do.
    nested = report().replace(
        "</p></section>", '<ul><li><section class="finding"><p>Inside.</p></section></li></ul></p></section>', 1
    )
    assert [p.kind for p in pdf_pieces.cut(nested).pieces] == kinds


def test_pieces_joined_read_as_the_report_laid_out_whole(pieces_pdf):
    """Page for page the same text (body, running head, title, page number, the contents' numbers) as WeasyPrint
    gives laying the whole report out at once."""
    html = report()
    cut = pdf_pieces.cut(html)
    whole = pdf_layout.lay_out(cut.sheets, "", pdf_pieces.STYLE.sub("", html))
    pdf, pages, warnings, _ = pieces_pdf
    assert warnings == []
    assert pages == whole.pages == len(texts(pdf)) >= 7
    assert texts(pdf) == texts(whole.pdf)
    # Whichever process laid a piece out, the same bytes: here every piece in this one.
    assert publish_pdf.html_to_pdf(html, workers=1)[0] == pdf


def test_links_and_bookmarks_reach_their_pages(pieces_pdf):
    reader = PdfReader(io.BytesIO(pieces_pdf[0]))
    page_of = {n: reader.get_destination_page_number(d) for n, d in reader.named_destinations.items()}
    text = texts(pieces_pdf[0])
    assert text[page_of["table-q2"]].startswith("Question 2") and "Appendix: tables" in text[page_of["table-q2"]]
    # The contents' numbers are the pages their links go to, and the link to another piece lands there too.
    contents = next(n for n, t in enumerate(text) if t.startswith("Contents"))
    numbers = [int(n) for n in re.findall(r"\.\s*(\d+)\b", text[contents])]
    targets = [str(a.get_object()["/Dest"]) for a in reader.pages[contents]["/Annots"]]
    # (A link may be drawn as several rectangles: one entry each.)
    entries = [target for n, target in enumerate(targets) if n == 0 or target != targets[n - 1]]
    assert [page_of[target] + 1 for target in entries] == numbers and len(numbers) == 4
    essay_links = [
        a.get_object()
        for page in reader.pages
        for a in page.get("/Annots", [])
        if a.get_object().get("/Dest") == "table-q2"
    ]
    assert essay_links and all("/A" not in link for link in essay_links)
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert titles == ["A Report 2099", "Contents", "The essay", "The findings", "Appendix"]
    nested = [[item.title for item in items] for items in reader.outline if isinstance(items, list)]
    assert nested == [["Finding 1", "Finding 2"], ["Question 1", "Question 2", "Question 3"]]


def test_the_joined_structure_tree_is_one_document(pieces_pdf):
    reader = PdfReader(io.BytesIO(pieces_pdf[0]))
    root = reader.trailer["/Root"]
    tree = root["/StructTreeRoot"].get_object()
    document = tree["/K"][0].get_object()
    assert document["/S"] == "/Document" and document["/P"].get_object() == tree
    numbers = tree["/ParentTree"].get_object()["/Nums"]
    keys = [int(numbers[n]) for n in range(0, len(numbers), 2)]
    assert keys == sorted(set(keys))
    page_keys = [int(page["/StructParents"]) for page in reader.pages]
    annotation_keys = [int(a.get_object()["/StructParent"]) for page in reader.pages for a in page.get("/Annots", [])]
    assert sorted(page_keys + annotation_keys) == keys
    for kid in document["/K"]:
        assert kid.get_object()["/P"].get_object() == document
    assert root["/Lang"] == "en-GB" and root["/MarkInfo"]["/Marked"]


def test_kept_pieces_lay_out_only_what_changed(pieces_pdf, monkeypatch):
    """The same report again lays out nothing and gives the same bytes; an essay longer by a page lays out that
    piece, the contents (whose numbers moved) and the furniture, and gives what a build from nothing gives."""
    pdf, _, _, cache = pieces_pdf
    laid = []
    real = pdf_layout.lay_out

    def counting(sheets, css, html, tagged=True):
        laid.append(html)
        return real(sheets, css, html, tagged)

    monkeypatch.setattr(publish_pdf, "lay_out", counting)
    assert publish_pdf.html_to_pdf(report(), cache=cache, workers=1)[0] == pdf
    assert laid == []
    longer = report(essay_words=900)
    again = publish_pdf.html_to_pdf(longer, cache=cache, workers=1)
    assert len(laid) == 3 and sum("cc-furniture" in html for html in laid) == 1
    assert again[0] == publish_pdf.html_to_pdf(longer, workers=1)[0]
    # The pieces of the first report, no longer used, are gone; the new ones are kept (with the furniture and the
    # contents laid out with a placeholder for each number).
    assert len(list(cache.glob("*.pdf"))) == len(pdf_pieces.cut(longer).pieces) + 2


def _recording_layouts(pieces_pdf, tmp_path):
    """Layouts started with a worker, on a copy of the kept pieces, and the HTML of each piece handed to the
    worker, as it is handed."""
    import shutil

    cache = tmp_path / "pieces"
    shutil.copytree(pieces_pdf[3], cache)
    layouts = publish_pdf.start_layouts((stylesheet(),), cache, workers=2)
    submitted = []
    submit = layouts.pool.submit

    def recording(function, *args):
        if function is pdf_layout.lay_out:
            submitted.append(args[2])
        return submit(function, *args)

    layouts.pool.submit = recording
    return layouts, submitted


def test_a_piece_begun_before_the_page_is_written_is_taken_up(pieces_pdf, tmp_path):
    """`publish html pdf` hands the worker the edited piece as soon as the page is rendered (`begin`), and the
    PDF step takes that layout up instead of laying the piece out again; the PDF is a build from nothing's."""
    layouts, submitted = _recording_layouts(pieces_pdf, tmp_path)
    edited = report(essay_words=600)
    layouts.begin(edited)
    assert layouts.early is not None
    pdf = publish_pdf.html_to_pdf(edited, layouts=layouts)[0]
    essay = next(piece.html for piece in pdf_pieces.cut(edited).pieces if piece.kind == "essays")
    assert submitted.count(essay) == 1 and layouts.early is None
    assert pdf == publish_pdf.html_to_pdf(edited, workers=1)[0]


def test_a_page_told_wrongly_beforehand_still_gives_the_rendered_pages_pdf(pieces_pdf, tmp_path):
    """A page told before it is rendered (html.predicted_page) has its edited piece begun; when the rendered page
    differs, its own piece is laid out too, and the PDF is the rendered page's; a page told rightly is not begun
    twice."""
    layouts, submitted = _recording_layouts(pieces_pdf, tmp_path)
    told, rendered = report(essay_words=500), report(essay_words=600)
    # A told page whose every piece is new (here: another language) is not begun, until it is the rendered page.
    everything_new = told.replace('lang="en-GB"', 'lang="en-US"')
    layouts.begin(everything_new, told=True)
    assert submitted == []
    layouts.begin(everything_new)
    assert len(submitted) == 1
    submitted.clear()
    layouts.begin(told, told=True)
    layouts.begin(rendered)
    layouts.begin(rendered)
    pdf = publish_pdf.html_to_pdf(rendered, layouts=layouts)[0]
    essays = [next(p.html for p in pdf_pieces.cut(page).pieces if p.kind == "essays") for page in (told, rendered)]
    assert [submitted.count(essay) for essay in essays] == [1, 1]
    assert pdf == publish_pdf.html_to_pdf(rendered, workers=1)[0]


def test_a_forked_worker_leaves_no_font_files(tmp_path):
    import os
    import subprocess
    import sys

    script = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from test_pdf_pieces import report\n"
        "from collaborative_citizen.publish.pdf import html_to_pdf, start_layouts\n"
        "from collaborative_citizen.publish.style import stylesheet\n"
        "assert html_to_pdf(report(), workers=2)[1] >= 7\n"
        # The worker started before the page exists (make's `publish html pdf`), which has fonts of its own.
        "ahead = start_layouts((stylesheet(),), None, workers=2)\n"
        "assert html_to_pdf(report(), layouts=ahead)[1] >= 7\n"
        "start_layouts((stylesheet(),), None, workers=2).close()\n"
    )
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    tests = os.path.dirname(__file__)
    env = {**os.environ, "TMPDIR": str(scratch)}
    subprocess.run([sys.executable, "-c", script, tests], check=True, env=env, timeout=180)
    assert list(scratch.iterdir()) == []


def _structure_elements(reader):
    stack = [reader.trailer["/Root"]["/StructTreeRoot"].get_object()]
    while stack:
        element = stack.pop()
        kids = element.get("/K")
        for kid in kids if isinstance(kids, list) else [kids]:
            child = kid.get_object() if kid is not None and hasattr(kid, "get_object") else None
            if isinstance(child, dict) and child.get("/Type") == "/StructElem":
                yield child
                stack.append(child)


def test_names_unique_in_one_document_stay_unique_in_the_joined_one(pieces_pdf):
    """A table header cell's /ID (and the /Headers that name it) and a font subset's tag are made unique per
    document by WeasyPrint; the pieces' three tables and their fonts must not share them in the report."""
    import hashlib

    reader = PdfReader(io.BytesIO(pieces_pdf[0]))
    elements = list(_structure_elements(reader))
    ids = [str(e["/ID"]) for e in elements if "/ID" in e]
    assert len(ids) > 20 and len(ids) == len(set(ids))
    headers = set()
    for element in elements:
        attributes = element.get("/A")
        for attribute in attributes if isinstance(attributes, list) else [attributes]:
            if attribute is not None and "/Headers" in attribute.get_object():
                headers.update(str(h) for h in attribute.get_object()["/Headers"])
    assert headers and headers <= set(ids)
    files: dict = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            data = next(
                descriptor[k].get_object().get_data()
                for k in ("/FontFile2", "/FontFile3", "/FontFile")
                if k in descriptor
            )
            files.setdefault(str(font["/BaseFont"]), set()).add(hashlib.sha256(data).hexdigest())
    assert len(files) > 3 and all(len(digests) == 1 for digests in files.values()), files


def test_the_style_sheets_fonts_are_given_by_name_and_nothing_else_is_fetched():
    """The PDF's style sheet names its embedded fonts instead of carrying them (a tenth of the parsing time); the
    fetcher it is parsed with gives those fonts and refuses every other address."""
    from collaborative_citizen.fonts import with_truetype_fonts

    css, faces = pdf_layout.fonts_by_name(with_truetype_fonts(stylesheet()))
    assert len(faces) >= 4 and "base64," not in css and all(name in css for name in faces)
    fetcher = pdf_layout.embedded_fonts(faces)
    name = next(iter(faces))
    assert fetcher.fetch(name).read() == faces[name]
    for elsewhere in ("file:///etc/passwd", "https://example.org/font.ttf", "cc-font:0000"):
        with pytest.raises(ValueError):
            fetcher.fetch(elsewhere)


IMPORT_COUNTING = r"""
import ctypes.util, sys
searched = []
real = ctypes.util.find_library
ctypes.util.find_library = lambda name: searched.append(name) or real(name)
counting = ctypes.util.find_library
FAIL_FIRST = len(sys.argv) > 1
if FAIL_FIRST:
    # The first import of WeasyPrint's text module fails as a library that opens only through a search would.
    class FailOnce:
        failed = False
        def find_spec(self, name, path=None, target=None):
            if name == "weasyprint.text.ffi" and not FailOnce.failed:
                FailOnce.failed = True
                raise OSError("cannot load library 'libpango-1.0-0'")
    sys.meta_path.insert(0, FailOnce())
from collaborative_citizen.publish import pdf_layout
pdf_layout.import_weasyprint()
import weasyprint.text.fonts
from weasyprint.text import ffi
assert ctypes.util.find_library is counting, "find_library not given back"
print(len(searched), ffi.pango is not None, pdf_layout.font_subsetter())
"""


@pytest.mark.parametrize("fails_first", [False, True])
def test_weasyprint_is_imported_without_searching_for_its_libraries(fails_first):
    # A search for a library name WeasyPrint lists runs ldconfig, gcc and ld: none is made, unless a library does not
    # open by its file name, when the import is made again with the search.
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", IMPORT_COUNTING] + (["fail-first"] if fails_first else []),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    searched, has_pango, subsetter = done.stdout.split()
    assert has_pango == "True"
    assert (int(searched) > 0) == fails_first
    assert subsetter == "absent" or re.fullmatch(r"\d+\.\d+\.\d+", subsetter)
