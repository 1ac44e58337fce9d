"""Issue 7, the PDF laid out piece by piece (publish_pdf.py): the same document as laying out the whole HTML at
once, the same bytes with or without the cache, links that land where the contents say, and an edited essay
that lays out one piece again."""

import io

import pytest
from pypdf import PdfReader
from test_pdf import contents_entries
from test_publish_build import NAME, report_dir  # noqa: F401  (session fixture)

import collaborative_citizen.publish_pdf as publish_pdf


@pytest.fixture(scope="module")
def html(report_dir):  # noqa: F811
    return (report_dir / f"{NAME}.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pieces(html, tmp_path_factory):
    cache = tmp_path_factory.mktemp("pdf-parts")
    pdf, pages, warnings = publish_pdf.html_to_pdf(html, cache_dir=cache, workers=2)
    return {"pdf": pdf, "pages": pages, "warnings": warnings, "cache": cache}


def texts(pdf: bytes) -> list[str]:
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def test_the_pieces_are_cut_where_pages_start(html):
    head, parts = publish_pdf.split_parts(html)
    assert head.endswith("<main>")
    kinds = [kind for _, kind, _ in parts]
    assert kinds.count("findings") == 8 and kinds.count("contents") == 1
    for _, _, section in parts:
        assert section.startswith('<section class="part part-') and section.endswith("</section>")
        assert section.count("<section") == section.count("</section>")
        assert section.count("<article") == section.count("</article>")
    # Nothing lost or repeated: the pieces hold every finding, essay and table once.
    joined = "".join(section for _, _, section in parts)
    for marker in ('<section class="finding"', '<article class="essay', '<section class="table-block"'):
        assert joined.count(marker) == html.count(marker) > 0


def test_pieces_give_the_pages_of_the_whole_document(html, pieces):
    """Laid out at once (as WeasyPrint would without the pieces), the report has the same pages with the same text:
    the page numbers, running headers, contents and the cuts between pieces all agree."""
    # (Its style sheet passed as the pieces' is, so that its fonts are read the same way.)
    whole = publish_pdf.layout(publish_pdf.Document(*publish_pdf._without_styles(html)))
    assert pieces["pages"] == whole.pages
    # Word for word; the order differs, as the furniture is drawn after each page's own text.
    assert [sorted(t.split()) for t in texts(pieces["pdf"])] == [sorted(t.split()) for t in texts(whole.pdf)]


def test_the_cache_changes_nothing(html, pieces):
    cached = publish_pdf.html_to_pdf(html, cache_dir=pieces["cache"], workers=2)
    assert cached[0] == pieces["pdf"]
    fresh = publish_pdf.html_to_pdf(html, cache_dir=None, workers=1)
    assert fresh[0] == pieces["pdf"]
    assert pieces["warnings"] == []


def test_contents_links_land_on_the_pages_the_contents_give(pieces):
    reader = PdfReader(io.BytesIO(pieces["pdf"]))
    page_texts = texts(pieces["pdf"])
    contents = next(n for n, text in enumerate(page_texts) if text.startswith("Contents"))
    page = reader.pages[contents]
    links = [a.get_object() for a in page.get("/Annots", [])]
    assert len(links) >= 12
    numbers = [number for _, number in contents_entries(page_texts[contents])]
    targets = [reader.get_page_number(link["/Dest"][0].get_object()) + 1 for link in links]
    assert sorted(set(targets)) == sorted(set(numbers))
    # Every page but the cover carries its number, from the furniture laid over it.
    for number, text in enumerate(page_texts[1:], 2):
        assert text.endswith(f" {number}"), (number, text[-60:])


def test_an_edited_essay_lays_out_one_piece_again(html, pieces, monkeypatch):
    edited = html.replace(
        "Relationships at the heart of a new social contract</h2>",
        "Relationships at the heart of a new social contract</h2>\n<p>An added paragraph.</p>",
        1,
    )
    assert edited != html
    laid_out = []
    original = publish_pdf.layout

    def counting(document):
        laid_out.append(document)
        return original(document)

    monkeypatch.setattr(publish_pdf, "layout", counting)
    pdf, _, _ = publish_pdf.html_to_pdf(edited, cache_dir=pieces["cache"], workers=1)
    essays = [d for d in laid_out if "An added paragraph." in d.html]
    assert len(essays) == 1
    # Beside the essay, at most the contents and the page furniture (if the essay's length moved later pages).
    assert len(laid_out) <= 4, [d.html[-300:] for d in laid_out]
    assert "An added paragraph." in " ".join(texts(pdf))


def test_the_fonts_do_not_carry_the_time_of_the_build(html, monkeypatch):
    """WeasyPrint would stamp the time it unpacks a WOFF font (or SOURCE_DATE_EPOCH) into the embedded font: the
    same HTML must give the same PDF whenever, and however, it is laid out."""
    head, parts = publish_pdf.split_parts(html)
    cover = publish_pdf.part_document(head, parts[0][2])
    pdfs = []
    for epoch in ("1000000000", None):
        if epoch is None:
            monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
        else:
            monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
        publish_pdf._release_fonts()  # the style sheet and its fonts read again, as by a new process
        pdfs.append(publish_pdf.layout(cover).pdf)
    assert pdfs[0] == pdfs[1]


def test_no_font_files_are_left_behind(html, tmp_path):
    """WeasyPrint unpacks the report's fonts into a temporary folder in every process that lays out pages; laid
    out in this process or by the layout server's workers, none of those folders outlives the command."""
    import os
    import subprocess
    import sys

    head, parts = publish_pdf.split_parts(html)
    small = tmp_path / "small.html"
    small.write_text(
        head
        + "".join(section for _, kind, section in parts if kind in ("cover", "colophon"))
        + "</main>\n</body>\n</html>\n",
        encoding="utf-8",
    )
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    script = (
        "import sys; from pathlib import Path; from collaborative_citizen.publish_pdf import html_to_pdf\n"
        "html = Path(sys.argv[1]).read_text(encoding='utf-8')\n"
        "for workers in (2, 1): assert html_to_pdf(html, workers=workers)[1] >= 2"
    )
    subprocess.run(
        [sys.executable, "-c", script, str(small)],
        check=True,
        timeout=120,
        env={**os.environ, "TMPDIR": str(temporary)},
    )
    assert sorted(p.name for p in temporary.iterdir()) == []


def _die(*args):
    import os

    os._exit(3)


@pytest.mark.parametrize("where", ["layout", "warm_worker"])
def test_a_layout_process_that_dies_stops_the_pdf_with_an_error(html, monkeypatch, where):
    """A worker (`layout`) or the layout server itself (`warm_worker`, its first step) killed half way: the build
    gets an error at once instead of waiting for an answer that will never come."""
    import faulthandler
    from concurrent.futures.process import BrokenProcessPool

    head, parts = publish_pdf.split_parts(html)
    documents = [publish_pdf.part_document(head, section) for _, kind, section in parts[:3]]
    monkeypatch.setattr(publish_pdf, where, _die)  # the server and its workers are forked from this process
    faulthandler.dump_traceback_later(120, exit=True)
    try:
        with publish_pdf.Layouter(publish_pdf.PartCache(None), workers=2) as layouter:
            layouter.warm(("p { color: black; }",))
            expected = BrokenProcessPool if where == "layout" else RuntimeError
            with pytest.raises(expected):
                layouter.all(documents)
    finally:
        faulthandler.cancel_dump_traceback_later()


def test_contents_longer_than_a_page_number_the_pages_after_them(html, pieces):
    """The contents are laid out assuming they take one page; when they take more, every later page moves, and the
    numbers they give, the links and the page furniture follow."""
    entries = html[html.index('<nav class="toc"') : html.index("</nav>")]
    first = entries.index('<li class="toc-2">')
    longer = html.replace(
        entries, entries[:first] + entries[first : entries.index("</ol>")] * 6 + entries[entries.index("</ol>") :], 1
    )
    pdf, pages, _ = publish_pdf.html_to_pdf(longer, cache_dir=pieces["cache"], workers=2)
    page_texts = texts(pdf)
    starts = [n for n, text in enumerate(page_texts) if text.startswith("Contents")]
    assert pages > pieces["pages"] and len(starts) == 1
    extra = pages - pieces["pages"]
    # The pages after the contents are the ones before, each moved by as many pages as the contents grew.
    assert [" ".join(t.split()[:-1]) for t in page_texts[starts[0] + 1 + extra :]] == [
        " ".join(t.split()[:-1]) for t in texts(pieces["pdf"])[starts[0] + 1 :]
    ]
    for number, text in enumerate(page_texts[1:], 2):
        assert text.endswith(f" {number}"), (number, text[-60:])
    numbers = dict(contents_entries(" ".join(page_texts[starts[0] : starts[0] + extra + 1])))
    before = dict(contents_entries(texts(pieces["pdf"])[starts[0]]))
    after = starts[0] + 1  # the contents' own page number: what comes before them does not move
    assert numbers and all(
        numbers[title] == before[title] + (extra if before[title] > after else 0) for title in before
    )


def test_a_report_longer_than_the_furniture_laid_out_gets_furniture_for_every_page(html, pieces, monkeypatch):
    monkeypatch.setattr(publish_pdf, "FURNITURE_PAGES", 10)
    pdf, pages, _ = publish_pdf.html_to_pdf(html, cache_dir=pieces["cache"], workers=2)
    assert pages == pieces["pages"] > 10
    assert pdf == pieces["pdf"]


def test_the_layout_server_leaves_the_fonts_of_the_process_it_was_forked_from(html):
    """The server starts as a copy of this process: fonts this process had loaded are its own to remove, and the
    server must not take them away (later servers, copies again, would lay out with fallback fonts)."""
    head, parts = publish_pdf.split_parts(html)
    cover = publish_pdf.part_document(head, parts[0][2])
    before = publish_pdf.layout(cover).pdf  # the fonts loaded here
    folder = publish_pdf._fonts()._folder
    with publish_pdf.Layouter(publish_pdf.PartCache(None), workers=2) as layouter:
        layouter.warm(cover.css)
        layouter.all([cover, publish_pdf.part_document(head, parts[-1][2])])
    assert folder.is_dir()
    assert publish_pdf.layout(cover).pdf == before


def test_ctrl_c_while_the_pdf_is_laid_out_leaves_no_process_behind(html, tmp_path):
    """Ctrl-C reaches every process of the build at once: the layout server stops its workers before it goes (they
    would otherwise wait for work for ever), and the command ends."""
    import os
    import signal
    import subprocess
    import sys
    import time

    (tmp_path / "report.html").write_text(html, encoding="utf-8")
    script = (
        "import sys; from pathlib import Path; from collaborative_citizen.publish_pdf import html_to_pdf\n"
        "html = Path(sys.argv[1]).read_text(encoding='utf-8'); print('laying out', flush=True)\n"
        "html_to_pdf(html, workers=2)"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path / "report.html")],
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        # (as at a terminal: a background job, as in CI, would ignore Ctrl-C)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert process.stdout.readline() == "laying out\n"
        time.sleep(2.5)  # the server is up and its workers are laying out
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=60) != 0
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            pytest.fail("processes of the interrupted command are still running")
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


LAYOUT_COUNTING_TYPES = """\
import sys, cffi.api
from pathlib import Path
import collaborative_citizen.publish_pdf as publish_pdf
if sys.argv[2] == "without":
    publish_pdf._codepoint_arrays_of_any_length = lambda: None
parsed, parse = [], cffi.api.FFI._typeof_locked
cffi.api.FFI._typeof_locked = lambda self, cdecl: parsed.append(cdecl) or parse(self, cdecl)
head, parts = publish_pdf.split_parts(Path(sys.argv[1]).read_text(encoding="utf-8"))
pdf = b"".join(publish_pdf.layout(publish_pdf.part_document(head, section)).pdf for section in
               [parts[0][2], parts[-1][2]])
sys.stdout.buffer.write(pdf + b"\\n" + repr(sorted(set(parsed))).encode())
"""


def test_glyph_arrays_of_every_length_share_one_type_and_the_same_pdf(html, tmp_path):
    """WeasyPrint asks cffi for a new array type for each number of glyphs it keeps of a font; allocated with the
    one open-length type instead, the pages are byte for byte the same."""
    import re
    import subprocess
    import sys

    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    runs = {}
    for mode in ("with", "without"):
        done = subprocess.run(
            [sys.executable, "-c", LAYOUT_COUNTING_TYPES, str(page), mode], check=True, capture_output=True, timeout=120
        )
        pdf, _, types = done.stdout.rpartition(b"\n")
        runs[mode] = pdf, [t for t in eval(types) if re.fullmatch(r"hb_codepoint_t\[\d*\]", t)]
    assert runs["with"][0] == runs["without"][0]
    assert runs["with"][1] == ["hb_codepoint_t[]"]
    assert len(runs["without"][1]) > 2  # (what the test would see if the arrays kept their fixed lengths)


def test_the_pieces_that_take_longest_are_laid_out_first(html):
    """The layout server starts the costliest documents first, so that no long one starts last: the appendix's
    largest table (a sixth of the layout time, though a finding's HTML is longer) first, and the 48 pages of
    furniture (laid out last by length) among the first third."""
    head, parts = publish_pdf.split_parts(html)
    documents = [(kind, publish_pdf.part_document(head, section)) for _, kind, section in parts]
    documents.append(("furniture", publish_pdf.furniture_document(head, publish_pdf.FURNITURE_PAGES, "Title")))
    ranked = [kind for kind, _ in sorted(documents, key=lambda d: -publish_pdf.layout_cost(d[1]))]
    assert ranked[0] == "appendix"
    assert ranked.index("furniture") < len(ranked) / 3
    longest = max(documents, key=lambda d: len(d[1].html))
    assert longest[0] == "findings"  # (what length alone would have started first)
