"""The PDF edition: WeasyPrint lays out the same HTML with the print rules of its style sheet.

Laying out the whole report at once takes WeasyPrint 15-20 s here, and an edited essay would pay all of it again.
So the report is laid out part by part (cover, introduction, findings, ..., each of which starts a new page),
several parts at once in worker processes (forked from one layout server that has read the style sheet and
fonts first, see `Layouter`), and each part's PDF is kept in a cache keyed by its HTML: a build
lays out only the parts whose HTML changed. The parts are then joined into one PDF with pypdf, and what depends
on the whole document is added afterwards, from what WeasyPrint reported about each part:

- page numbers and the report's title in the top-right corner: one light "furniture" document laid out with the
  same @page rules, merged onto every page (the running header on the left is the part's own, as before);
- the contents' page numbers: the contents part is laid out last, with each entry's number written in;
- links between parts and the bookmarks (outline), as PDF link annotations and outline items.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import logging
import multiprocessing
import multiprocessing.util
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from html import unescape
from importlib import metadata
from pathlib import Path

from . import available_cores
from .fonts import with_truetype_fonts

# WeasyPrint itself is imported where pages are laid out: with several workers, in those processes only, which
# import it while the main process is still writing the HTML.
WEASYPRINT_VERSION = metadata.version("weasyprint")

# Inline SVG carries its presentation in style attributes, which WeasyPrint's SVG renderer reads but its HTML
# style engine also sees, and reports as unknown. They are not layout problems.
SVG_PROPERTY = re.compile(
    r"^Ignored `(fill|stroke|clip|font|opacity|stop|marker|paint|vector|mix-blend|"
    r"dominant|text-anchor|alignment)[a-z-]*:"
)
# Bump when the way parts are laid out changes, so that cached parts are laid out again.
LAYOUT_VERSION = "1"
PART = re.compile(r'<section class="part part-(?P<kind>[\w-]+)" id="(?P<id>[^"]+)">')
# Blocks that always start a new page (report.css: break-before: page), where a part can be cut into pieces laid
# out separately; the first stays with the part's heading.
PAGE_START = re.compile(r'<section class="finding"|<article class="essay|<section class="table-block"')
BLOCK_TAG = re.compile(r"<(/?)(section|article|div|header|figure|table|nav)\b")
# WeasyPrint's layout unit is the CSS px; PDF's is the point.
PT_PER_PX = 0.75

STYLE = re.compile(r"<style>(.*?)</style>", re.S)
# Laid out with every part: the page number and the title at the top right come from the furniture document.
PART_CSS = "@media print { @page { @top-right { content: none; } @bottom-right { content: none; } } }"
# The furniture document: only the page number and the report's title, on pages as the report's @page rules
# place them.
FURNITURE_CSS = """@media print {{ @page {{ @top-left {{ content: none; }}
  @top-right {{ content: "{title}"; }} }}
  .furniture-page {{ break-after: page; height: 1px; }} .furniture-page:last-child {{ break-after: auto; }} }}"""
# The furniture of a page is its number and the title, whatever the length of the report: it is laid out with the
# parts, for this many pages, and used for as many as the report has (laid out again for a longer report).
FURNITURE_PAGES = 48


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        message = record.getMessage()
        if not SVG_PROPERTY.match(message):
            self.messages.append(message)


@dataclass
class Layout:
    """One part laid out: its PDF and what the joined document needs to know about it."""

    pdf: bytes
    pages: int
    anchors: dict  # id -> [page index in the part, x px, y px]
    links: list  # [page index, target id, [x1, y1, x2, y2] px]
    bookmarks: list  # [page index, level, label, x px, y px]
    warnings: list

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in self.__dict__.items() if k != "pdf"}, sort_keys=True)

    @classmethod
    def from_files(cls, pdf: Path, meta: Path) -> "Layout":
        return cls(pdf=pdf.read_bytes(), **json.loads(meta.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Document:
    """A page to lay out: HTML without its style sheets, and the style sheets, in cascade order (kept apart so that
    a worker parses the report's style sheet, fonts included, once for all the parts it lays out)."""

    html: str
    css: tuple[str, ...]

    def key(self) -> str:
        text = "\n\0".join((WEASYPRINT_VERSION, LAYOUT_VERSION, *self.css, self.html))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


# One set per worker process: parsing the report's style sheet and loading its fonts is most of the cost of laying
# out a short part.
_FONTS = None  # weasyprint.text.fonts.FontConfiguration
_SHEETS: dict = {}  # sha256 of the text -> weasyprint.CSS


def _sheet(text: str):
    from weasyprint import CSS

    key = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if key not in _SHEETS:
        # (Fonts unpacked by us: WeasyPrint would stamp the time it unpacks them into the PDF.)
        _SHEETS[key] = CSS(string=with_truetype_fonts(text), font_config=_fonts())
    return _SHEETS[key]


def _fonts():
    global _FONTS
    if _FONTS is None:
        from weasyprint.text.fonts import FontConfiguration

        _FONTS = FontConfiguration()
        _codepoint_arrays_of_any_length()
        # Released before the interpreter tears WeasyPrint's modules down, which its finaliser needs: by
        # multiprocessing's exit hook, which runs at the end of this process (from atexit) and of a process that
        # multiprocessing started (the layout server, its workers: they skip atexit). (A worker forked with the
        # server's fonts loaded has not registered any: the folder is the server's.)
        multiprocessing.util.Finalize(None, _release_fonts, exitpriority=0)
    return _FONTS


# WeasyPrint subsets each font of each part with an array typed `hb_codepoint_t[n]`, n the number of glyphs kept:
# cffi parses every new type with pycparser (5-10 ms), some sixty times per build and process.
CODEPOINT_ARRAY = re.compile(r"hb_codepoint_t\[(\d+)\]")


def _codepoint_arrays_of_any_length() -> None:
    """Let WeasyPrint's `hb_codepoint_t[n]` arrays be allocated as `hb_codepoint_t[]`, the same array (n items, from
    an initialiser of n items) of a type parsed once."""
    from weasyprint.text.ffi import ffi

    if getattr(ffi.new, "any_length", False):
        return
    new = ffi.new

    def new_any_length(cdecl, init=None):
        fixed = CODEPOINT_ARRAY.fullmatch(cdecl) if isinstance(cdecl, str) else None
        if fixed and isinstance(init, (list, tuple)) and len(init) == int(fixed.group(1)):
            cdecl = "hb_codepoint_t[]"
        return new(cdecl, init)

    new_any_length.any_length = True
    ffi.new = new_any_length


def _release_fonts() -> None:
    """Forget the parsed style sheets and fonts, and remove the folder WeasyPrint unpacked the fonts into (it does
    that when it collects its font configuration, which a reference cycle can put off until it never happens)."""
    global _FONTS
    _SHEETS.clear()
    if _FONTS is not None:
        _FONTS.__del__()
    _FONTS = None


# Fonts loaded by the process this one was forked from are in that process's folder, for it to remove: kept here,
# never released (a collected font configuration removes its folder).
_INHERITED: list = []


def _forget_inherited_fonts() -> None:
    global _FONTS
    if _FONTS is not None:
        _INHERITED.append((_FONTS, dict(_SHEETS)))
    _SHEETS.clear()
    _FONTS = None


def warm_worker(css: tuple[str, ...]) -> None:
    """Parse style sheets (and load their fonts) ahead of the documents that use them: a worker can do this while
    the HTML is still being written."""
    for text in css:
        _sheet(text)


def layout(document: Document) -> Layout:
    """Lay out one document. No base URL: everything the page needs is inside it, and relative download links
    stay relative instead of becoming this machine's paths. The creation and modification dates come from the
    page's dcterms meta tags, which the build sets from SOURCE_DATE_EPOCH; no file identifier is written.
    Only data: URLs are fetched: a reference to the network or to a file, whatever put it there, loads nothing
    and is reported as a warning."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    _fonts()
    logger = logging.getLogger("weasyprint")
    collect = _Collect()
    logger.addHandler(collect)
    propagate, logger.propagate = logger.propagate, False
    try:
        fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=1)
        # As user style sheets they rank below the page's own style attributes, as the report's <style> did.
        sheets = [_sheet(text) for text in document.css]
        document = HTML(string=document.html, base_url=None, url_fetcher=fetcher).render(
            font_config=_FONTS, stylesheets=sheets
        )
        pdf = document.write_pdf(pdf_identifier=False)
    finally:
        logger.removeHandler(collect)
        logger.propagate = propagate
    anchors, links, bookmarks = {}, [], []
    for number, page in enumerate(document.pages):
        for name, (x, y, _x2, _y2) in page.anchors.items():
            anchors.setdefault(name, [number, x, y])
        for kind, target, rectangle, _box in page.links:
            if kind == "internal":
                links.append([number, target, list(rectangle)])
        for level, label, (x, y), _state in page.bookmarks:
            bookmarks.append([number, level, label, x, y])
    return Layout(
        pdf=pdf, pages=len(document.pages), anchors=anchors, links=links, bookmarks=bookmarks, warnings=collect.messages
    )


def layout_cost(document: Document) -> int:
    """About how long `document` takes to lay out, in characters of running text: a table cell takes WeasyPrint
    as long as some 100 characters of text, a page of furniture some 500 (measured on the 2014 report)."""
    html = document.html
    return len(html) + 100 * html.count("<td") + 500 * html.count('<div class="furniture-page">')


def split_parts(html: str) -> tuple[str, list[tuple[str, str, str]]]:
    """(head, [(part id, kind, html), ...]): the report's parts, each a top-level <section class="part"> inside
    <main>, cut further where a finding or essay starts a page (each piece wrapped in its part's <section>, so
    that it is styled as before); head is everything up to and including <main>."""
    main = html.index("<main>") + len("<main>")
    end = html.rindex("</main>")
    starts = [m for m in PART.finditer(html, main, end)]
    if not starts:
        raise ValueError('the report has no <section class="part"> to lay out')
    pieces = []
    for n, match in enumerate(starts):
        stop = starts[n + 1].start() if n + 1 < len(starts) else end
        section = html[match.start() : stop].strip()
        opening = match.group(0)
        inner = section[len(opening) : section.rindex("</section>")]
        cuts = [m.start() for m in PAGE_START.finditer(inner) if _top_level(inner, m.start())][1:]
        bounds = [0, *cuts, len(inner)]
        for a, b in zip(bounds, bounds[1:]):
            pieces.append((match.group("id"), match.group("kind"), f"{opening}{inner[a:b]}</section>"))
    return html[:main], pieces


def _top_level(inner: str, position: int) -> bool:
    """Whether `position` in a part's content is outside every block element (a child of the part itself)."""
    depth = 0
    for tag in BLOCK_TAG.finditer(inner, 0, position):
        depth += -1 if tag.group(1) else 1
    return depth == 0


def part_document(head: str, section: str, extra_css: str = "") -> Document:
    """One piece of the report as a page of its own: the report's head without its style sheet, which goes with
    the rules every part needs, and `extra_css`."""
    bare, css = _without_styles(head)
    return Document(
        f"{bare}\n{section}\n</main>\n</body>\n</html>\n", (*css, PART_CSS, *([extra_css] if extra_css else []))
    )


@lru_cache(maxsize=2)
def _without_styles(head: str) -> tuple[str, tuple[str, ...]]:
    # (Stripped: a worker warmed with the style sheet as the HTML step made it finds it parsed already.)
    return STYLE.sub("", head), tuple(text.strip() for text in STYLE.findall(head))


def contents_css(section: str, page_of: dict[str, int]) -> str:
    """The contents' dotted leaders with each entry's page written in (target-counter cannot see other parts)."""
    rules = []
    for target in re.findall(r'<a href="#([^"]+)"', section):
        if target in page_of:
            selector = target.replace("\\", "\\\\").replace('"', '\\"')
            rules.append(f'.toc a[href="#{selector}"]::after {{ content: leader(".") " {page_of[target]}"; }}')
    return "@media print {\n" + "\n".join(rules) + "\n}"


def furniture_document(head: str, pages: int, title: str) -> Document:
    css = FURNITURE_CSS.format(title=title.replace("\\", "\\\\").replace('"', '\\"'))
    body = '<div class="furniture-page"></div>' * pages
    bare, sheets = _without_styles(head)
    return Document(f"{bare}\n{body}\n</main>\n</body>\n</html>\n", (*sheets, css))


def document_title(html: str) -> str:
    """The title the pages carry at the top right: the cover's title as a reader sees it."""
    match = re.search(r'<h1 class="cover-title"[^>]*>(.*?)</h1>', html, re.S)
    text = match.group(1) if match else re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    return " ".join(unescape(re.sub(r"<[^>]+>", "", text)).split())


class PartCache:
    """Laid-out parts by the hash of their HTML, in a folder; None: no cache (everything is laid out)."""

    def __init__(self, folder: Path | None):
        self.folder = Path(folder) if folder else None
        self.used: set[str] = set()

    def get(self, key: str) -> Layout | None:
        self.used.add(key)
        if self.folder is None:
            return None
        pdf, meta = self.folder / f"{key}.pdf", self.folder / f"{key}.json"
        if pdf.is_file() and meta.is_file():
            try:
                return Layout.from_files(pdf, meta)
            except (OSError, ValueError, TypeError):
                return None  # a damaged entry is laid out again
        return None

    def put(self, key: str, part: Layout) -> None:
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        for suffix, data in ((".pdf", part.pdf), (".json", part.to_json().encode("utf-8"))):
            partial = self.folder / f".{key}{suffix}.partial"
            partial.write_bytes(data)
            partial.replace(self.folder / f"{key}{suffix}")

    def prune(self) -> None:
        """Forget parts this build did not use: the cache holds one report's parts, not its history."""
        if self.folder is None or not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            if path.stem not in self.used:
                path.unlink()


class Layouter:
    """Lays out documents, from the cache where it can, the rest in parallel (in this process with one worker).

    The layouts run in worker processes forked from one layout server (`_serve`), a process forked from
    this one that first imports WeasyPrint and parses the report's style sheet and fonts (see `warm`): that second
    of work is done once, and each worker starts with it done. The server also owns the folder WeasyPrint unpacks
    the fonts into, and removes it when it stops (the workers end without cleaning up)."""

    def __init__(self, cache: PartCache, workers: int | None = None):
        self.cache, self.workers = cache, workers or available_cores()
        self.server, self.connection = None, None

    def __enter__(self) -> "Layouter":
        return self

    def __exit__(self, *exc) -> None:
        if self.server is not None:
            self.connection.close()  # the server stops when its end of the pipe closes
            self.server.join(timeout=60)
            if self.server.is_alive():
                self.server.terminate()
            self.server = self.connection = None

    def warm(self, css: tuple[str, ...]) -> None:
        """Start the layout server now, reading `css` (the report's style sheet and fonts): called before the HTML
        is written, it gets ready on the core the HTML step leaves idle."""
        if self.server is None and self.workers > 1:
            context = multiprocessing.get_context("fork")
            self.connection, theirs = context.Pipe()
            self.server = context.Process(
                target=_serve, args=(theirs, self.connection, css, self.workers), name="pdf-layout"
            )
            self.server.start()
            theirs.close()

    def all(self, documents: list[Document]) -> list[Layout]:
        return self.collect(self.submit(documents))

    def submit(self, documents: list[Document]) -> "Batch":
        """Start laying out `documents` (those not in the cache): by the layout server, which this process does not
        wait for until `collect`, or, with one worker, here when collected. One batch at a time."""
        keys = [d.key() for d in documents]
        found = [self.cache.get(k) for k in keys]
        batch = Batch(documents, keys, found, [n for n, part in enumerate(found) if part is None])
        if batch.todo and self.workers > 1:
            self.warm(())
            try:
                self.connection.send([documents[n] for n in batch.todo])
            except BrokenPipeError:
                raise RuntimeError("the PDF layout server stopped unexpectedly") from None
            batch.sent = True
        return batch

    def collect(self, batch: "Batch") -> list[Layout]:
        """The layouts of a submitted batch, in the order of its documents."""
        if batch.sent:
            try:
                status, answer = self.connection.recv()
            except EOFError:
                raise RuntimeError("the PDF layout server stopped unexpectedly") from None
            if status != "laid out":
                raise answer
        else:
            answer = [layout(batch.documents[n]) for n in batch.todo]
        for n, part in zip(batch.todo, answer):
            batch.found[n] = part
            self.cache.put(batch.keys[n], part)
        return batch.found


@dataclass
class Batch:
    """Documents given to `Layouter.submit`, and what has become of them."""

    documents: list[Document]
    keys: list[str]
    found: list  # each document's Layout: from the cache, or None until laid out
    todo: list[int]  # the documents to lay out
    sent: bool = False  # to the layout server


def _add_part(writer, pdf: bytes, first: int, furniture, cover: set[int], insert: bool = False) -> None:
    """Append a laid-out part's pages to `writer` (or put them back in their place, `insert`), each with the
    furniture of its page in the report merged on (cover pages have none). `first`: its first page's index."""
    from pypdf import PdfReader
    from pypdf.generic import NameObject

    for i, source in enumerate(PdfReader(io.BytesIO(pdf)).pages):
        page = writer.insert_page(source, first + i) if insert else writer.add_page(source)
        if "/Annots" in page:
            del page[NameObject("/Annots")]  # internal links are made again, for the whole report
        if first + i not in cover:
            page.merge_page(furniture.pages[first + i])
            page.compress_content_streams()  # merging leaves the page's content uncompressed


def _serve(connection, clients_end, css: tuple[str, ...], workers: int) -> None:
    """The layout server: reads the style sheets, then lays out each list of documents it is sent, in `workers`
    processes forked from it once it is ready, and sends back ("laid out", layouts) or ("failed", exception).
    It stops when the client closes its end of the pipe (`clients_end`, of which it closes its own copy)."""
    clients_end.close()
    _forget_inherited_fonts()
    pool = None
    try:
        warm_worker(css)
        while True:
            try:
                documents = connection.recv()
            except EOFError:
                break
            try:
                if pool is None:
                    # (A worker that dies takes the build down with an error, where multiprocessing.Pool would
                    # wait.)
                    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
                # Costliest first: no long layout starts last.
                order = sorted(range(len(documents)), key=lambda n: -layout_cost(documents[n]))
                laid = dict(zip(order, pool.map(layout, [documents[n] for n in order])))
                answer = ("laid out", [laid[n] for n in range(len(documents))])
            except Exception as error:
                answer = ("failed", error)
            try:
                connection.send(answer)
            except Exception:  # an exception that cannot be pickled
                connection.send(("failed", RuntimeError(f"{type(answer[1]).__name__}: {answer[1]}")))
    except KeyboardInterrupt:
        pass  # Ctrl-C reaches the whole build; the client reports it
    finally:
        # The workers wait for work until they are told to stop: without this, interrupted, they would outlive
        # the build.
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        connection.close()


def html_to_pdf(
    html: str, cache_dir: Path | None = None, workers: int | None = None, layouter: Layouter | None = None
) -> tuple[bytes, int, list[str]]:
    """(pdf, pages, warnings) for the report's HTML. `cache_dir` keeps laid-out parts between builds; a
    `layouter` already started (and warmed) is used instead of one of its own (and then `cache_dir` is its)."""
    if layouter is None:
        with Layouter(PartCache(cache_dir), workers) as layouter:
            return html_to_pdf(html, layouter=layouter)
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, Fit, FloatObject, NameObject, NullObject, NumberObject

    cache = layouter.cache
    head, parts = split_parts(html)
    title = document_title(html)
    contents = [n for n, (_, kind, _) in enumerate(parts) if kind == "contents"]
    others = [n for n in range(len(parts)) if n not in contents]
    # Every part but the contents, which need the others' page numbers, and the page furniture.
    *first_round, furniture = layouter.all(
        [part_document(head, parts[n][2]) for n in others] + [furniture_document(head, FURNITURE_PAGES, title)]
    )
    laid: list = [None] * len(parts)
    for n, part in zip(others, first_round):
        laid[n] = part
    # Then the contents, with the page where each heading landed, assuming they take a page; the other parts are
    # joined meanwhile. Again if the contents took more (which moves every later page).
    pages = {**{n: laid[n].pages for n in others}, **{n: 1 for n in contents}}
    for _ in range(3):
        first = list(itertools.accumulate((pages[n] for n in range(len(parts))), initial=0))
        total = first[-1]
        if total > furniture.pages:
            furniture = layouter.all([furniture_document(head, total, title)])[0]
        page_of = {name: first[n] + anchor[0] + 1 for n in others for name, anchor in laid[n].anchors.items()}
        batch = layouter.submit(
            [part_document(head, parts[n][2], contents_css(parts[n][2], page_of)) for n in contents]
        )
        writer, over = PdfWriter(), PdfReader(io.BytesIO(furniture.pdf))
        cover = {first[n] + i for n in others if parts[n][1] == "cover" for i in range(pages[n])}
        for n in others:
            _add_part(writer, laid[n].pdf, first[n], over, cover)
        numbered = layouter.collect(batch)
        if all(numbered[i].pages == pages[n] for i, n in enumerate(contents)):
            for i, n in enumerate(contents):
                laid[n] = numbered[i]
                _add_part(writer, laid[n].pdf, first[n], over, cover, insert=True)
            break
        pages.update({n: numbered[i].pages for i, n in enumerate(contents)})
    else:
        raise RuntimeError(
            "the contents' page numbers did not settle: each time they were written in, the "
            "contents took a different number of pages"
        )
    # Where every anchor is, in the joined document: page index and a point in PDF coordinates.
    heights = [float(p.mediabox.height) for p in writer.pages]
    where = {}
    for n in range(len(parts)):
        for name, (page, x, y) in laid[n].anchors.items():
            index = first[n] + page
            where.setdefault(name, (index, x * PT_PER_PX, heights[index] - y * PT_PER_PX))
    for n in range(len(parts)):
        for page, target, (x1, y1, x2, y2) in laid[n].links:
            if target not in where:
                continue
            index = first[n] + page
            height = heights[index]
            to_page, to_x, to_y = where[target]
            link = DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Annot"),
                    NameObject("/Subtype"): NameObject("/Link"),
                    NameObject("/Rect"): ArrayObject(
                        [
                            FloatObject(round(v, 3))
                            for v in (x1 * PT_PER_PX, height - y2 * PT_PER_PX, x2 * PT_PER_PX, height - y1 * PT_PER_PX)
                        ]
                    ),
                    NameObject("/Border"): ArrayObject([NumberObject(0), NumberObject(0), NumberObject(0)]),
                    NameObject("/Dest"): ArrayObject(
                        [
                            writer.pages[to_page].indirect_reference,
                            NameObject("/XYZ"),
                            FloatObject(round(to_x, 3)),
                            FloatObject(round(to_y, 3)),
                            NullObject(),
                        ]
                    ),
                }
            )
            writer.add_annotation(index, link)
    # The outline: every part's bookmarks, nested by level as WeasyPrint nests them within one document.
    stack: list[tuple[int, object]] = []
    for n in range(len(parts)):
        for page, level, label, x, y in laid[n].bookmarks:
            index = first[n] + page
            while stack and stack[-1][0] >= level:
                stack.pop()
            parent = stack[-1][1] if stack else None
            item = writer.add_outline_item(
                title=label,
                page_number=index,
                parent=parent,
                fit=Fit.xyz(left=round(x * PT_PER_PX, 3), top=round(heights[index] - y * PT_PER_PX, 3)),
            )
            stack.append((level, item))
    first_part = PdfReader(io.BytesIO(laid[0].pdf))
    info = first_part.metadata or {}
    writer.add_metadata(
        {
            key: info[key]
            for key in (
                "/Title",
                "/Author",
                "/Subject",
                "/Keywords",
                "/Creator",
                "/Producer",
                "/CreationDate",
                "/ModDate",
            )
            if key in info
        }
    )
    if "/Lang" in first_part.trailer["/Root"]:
        writer._root_object[NameObject("/Lang")] = first_part.trailer["/Root"]["/Lang"]
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    buffer = io.BytesIO()
    writer.write(buffer)
    cache.prune()
    # A part laid out alone cannot see the others' anchors; only a link to nowhere in the whole report is a problem.
    elsewhere = re.compile(r"No anchor #(.+) for internal URI reference")
    warnings = [
        w
        for part in [*laid, furniture]
        for w in part.warnings
        if not (elsewhere.fullmatch(w) and elsewhere.fullmatch(w).group(1) in where)
    ]
    return buffer.getvalue(), total, warnings
