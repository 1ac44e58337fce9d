"""One piece of the PDF laid out by WeasyPrint's public API (`HTML.render`, `Document.write_pdf`), in whichever
process runs it: the PDF step's own or its worker (publish/pdf.py).

A piece is laid out as a tagged PDF/UA-1 document; what the joined report needs from it beside its file (where
its anchors and bookmarks are, its warnings) comes from WeasyPrint's documented `Page.anchors` and
`Page.bookmarks`. A process parses the report's style sheets, fonts included, once for all the pieces it lays
out.
"""

from __future__ import annotations

import base64
import ctypes
import gc
import hashlib
import io
import json
import logging
import os
import re
import sys
from contextlib import contextmanager, redirect_stdout
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from ..fonts import with_truetype_fonts

PDF_VARIANT = "pdf/ua-1"
# Bump when the way pieces are laid out changes, so that pieces kept from an earlier build are laid out again.
LAYOUT_VERSION = "3"
# WeasyPrint's layout unit is the CSS px; PDF's is the point.
PT_PER_PX = 0.75

# Inline SVG carries its presentation in style attributes, which WeasyPrint's SVG renderer reads but its HTML
# style engine also sees, and reports as unknown. They are not layout problems.
SVG_PROPERTY = re.compile(
    r"^Ignored `(fill|stroke|clip|font|opacity|stop|marker|paint|vector|mix-blend|"
    r"dominant|text-anchor|alignment)[a-z-]*:"
)


@dataclass
class Layout:
    """A piece laid out: its PDF and what the joined document needs to know of it."""

    pdf: bytes
    pages: int
    anchors: dict  # id -> index of the page of the piece it is on (the first, for an id used twice)
    bookmarks: list  # per page: [level, label, x pt, y pt, state], PDF coordinates (origin bottom left)
    warnings: list

    def meta(self) -> str:
        """Everything but the PDF, as JSON."""
        return json.dumps({k: v for k, v in asdict(self).items() if k != "pdf"}, sort_keys=True)


# What else a piece's layout depends on: the libraries that lay it out and write it, and this module.
LAYOUT_LIBRARIES = ("weasyprint", "pydyf", "tinycss2", "tinyhtml5", "fonttools", "cffi")


@lru_cache(maxsize=1)
def _layout_code() -> str:
    versions = [f"{name}=={metadata.version(name)}" for name in LAYOUT_LIBRARIES]
    versions.append(f"harfbuzz-subset=={font_subsetter()}")
    return "\n".join([LAYOUT_VERSION, *versions, hashlib.sha256(Path(__file__).read_bytes()).hexdigest()])


# HarfBuzz's subsetter by its file name on Linux, macOS and Windows: WeasyPrint subsets the fonts with it when it
# loads, with fontTools otherwise, and the two write different font files.
HARFBUZZ_SUBSET = ("libharfbuzz-subset.so.0", "libharfbuzz-subset.0.dylib", "libharfbuzz-subset-0.dll")


@lru_cache(maxsize=1)
def font_subsetter() -> str:
    """HarfBuzz's version if its subsetter library loads (WeasyPrint then subsets fonts with it), else "absent"."""
    for name in HARFBUZZ_SUBSET:
        try:
            library = ctypes.CDLL(name)
        except OSError:
            continue
        # (The subsetter links HarfBuzz itself, whose version function it reaches.)
        library.hb_version_string.restype = ctypes.c_char_p
        return library.hb_version_string().decode("ascii", "replace")
    return "absent"


def import_weasyprint() -> None:
    """Import WeasyPrint with its libraries opened by their file names.

    WeasyPrint names each library several ways (its Linux, macOS and Windows names), and cffi hands each name it
    cannot open as a file to `ctypes.util.find_library`, which on Linux runs ldconfig, gcc and ld for it: about
    fifteen names found nowhere, 0.3 s of the 0.8 s the import takes. Each library's list holds its file name
    (libpango-1.0.so.0, ...), which opens without a search, so while WeasyPrint is imported find_library finds
    nothing. Should a library open only through a search, the import runs again with the real find_library."""
    if "weasyprint.text.fonts" in sys.modules:
        return
    import ctypes.util

    search = ctypes.util.find_library
    ctypes.util.find_library = _found_nowhere
    try:
        # (WeasyPrint prints its installation advice before it gives up on a library: kept for the second try.)
        with redirect_stdout(io.StringIO()):
            import weasyprint.text.fonts  # noqa: F401
        return
    except OSError:
        for name in [name for name in sys.modules if name.split(".")[0] == "weasyprint"]:
            del sys.modules[name]
    finally:
        ctypes.util.find_library = search
    import weasyprint.text.fonts  # noqa: F401


def _found_nowhere(name: str) -> None:
    return None


def layout_key(sheets: tuple[str, ...], css: str, html: str, tagged: bool) -> str:
    """What a laid-out piece depends on: the libraries' versions, this module, the style sheets and the HTML."""
    digest = hashlib.sha256()
    for text in (_layout_code(), str(tagged), *sheets, css, html):
        digest.update(text.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        message = record.getMessage()
        if not SVG_PROPERTY.match(message):
            self.messages.append(message)


@contextmanager
def _weasyprint_warnings():
    """WeasyPrint's warnings while the block runs, as a list of messages (kept out of the log)."""
    logger = logging.getLogger("weasyprint")
    collect = _Collect()
    logger.addHandler(collect)
    propagate, logger.propagate = logger.propagate, False
    try:
        yield collect.messages
    finally:
        logger.removeHandler(collect)
        logger.propagate = propagate


# This process's fonts and parsed style sheets, kept for the next piece: parsing the report's style sheet and its
# fonts is most of the cost of laying out a short piece.
_FONTS = None  # weasyprint.text.fonts.FontConfiguration
_SHEETS: dict = {}  # text -> weasyprint.CSS
# The process that created the fonts: a worker forked from it uses them and leaves them alone (the folder they are
# unpacked in is the creator's, which removes it).
_OWNER = 0


def _sheet(text: str, fonts):
    import_weasyprint()
    from weasyprint import CSS

    # (By its text without the blank lines around it, which the page's <style> adds: the PDF step's worker parses
    # the style sheet before the page exists.)
    text = text.strip()
    if text not in _SHEETS:
        # (Fonts unpacked by us: WeasyPrint would stamp the time it unpacks them into the PDF.)
        css, faces = fonts_by_name(with_truetype_fonts(text))
        _SHEETS[text] = CSS(string=css, font_config=fonts, url_fetcher=embedded_fonts(faces))
    return _SHEETS[text]


EMBEDDED_FONT = re.compile(r"url\(data:font/ttf;base64,([A-Za-z0-9+/=]+)\)")


def fonts_by_name(css: str) -> tuple[str, dict[str, bytes]]:
    """The style sheet with each embedded font named (`cc-font:<digest>`) instead of written out, and the fonts by
    name: parsing the style sheet's megabyte of base64 took WeasyPrint's CSS parser about 0.35 s."""
    faces = {}

    def named(match: re.Match) -> str:
        data = base64.b64decode(match.group(1))
        name = f"cc-font:{hashlib.sha256(data).hexdigest()}"
        faces[name] = data
        return f"url({name})"

    return EMBEDDED_FONT.sub(named, css), faces


def embedded_fonts(faces: dict[str, bytes]):
    """A WeasyPrint URL fetcher (its documented way: a URLFetcher with a `fetch` of its own) that gives the style
    sheet's fonts by their names and fetches nothing else."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class EmbeddedFonts(URLFetcher):
        def fetch(self, url, headers=None):
            if url not in faces:
                raise ValueError(f"not one of the style sheet's fonts: {url[:80]}")
            return URLFetcherResponse(url, faces[url], {"Content-Type": "font/ttf"})

    return EmbeddedFonts(allowed_protocols=set(), allow_redirects=False, timeout=1)


def _fonts():
    global _FONTS, _OWNER
    if _FONTS is None:
        import_weasyprint()
        from weasyprint.text.fonts import FontConfiguration

        _FONTS, _OWNER = FontConfiguration(), os.getpid()
    return _FONTS


def release() -> None:
    """Forget this process's style sheets and fonts: the font configuration removes the folder WeasyPrint unpacked
    the fonts into when it is collected, which must happen while WeasyPrint's modules are still there. (A forked
    worker never releases them: it ends without collecting them, and the folder is its parent's.)"""
    global _FONTS
    if _OWNER != os.getpid():
        return
    _SHEETS.clear()
    _FONTS = None
    gc.collect()


def warm(sheets: tuple[str, ...]) -> list[str]:
    """Import WeasyPrint and parse the style sheets ahead of the pieces (a worker forked afterwards has them);
    WeasyPrint's warnings about the style sheets, once (not with whichever piece happens to parse them)."""
    with _weasyprint_warnings() as messages:
        fonts = _fonts()
        for text in sheets:
            _sheet(text, fonts)
    return messages


def lay_out(sheets: tuple[str, ...], css: str, html: str, tagged: bool = True) -> Layout:
    """Lay out one document: `sheets` (the report's style sheets, as user style sheets ranking below the page's
    style attributes, as <style> does) and `css` after them.

    No base URL: everything the page needs is inside it, and relative download links stay relative instead of
    becoming this machine's paths. The creation and modification dates come from the page's dcterms meta tags,
    which the build sets from SOURCE_DATE_EPOCH; no file identifier is written. Only data: URLs are fetched: a
    reference to the network or to a file, whatever put it there, loads nothing and is reported as a warning."""
    import_weasyprint()
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    with _weasyprint_warnings() as messages:
        fonts = _fonts()
        stylesheets = [_sheet(text, fonts) for text in sheets] + [CSS(string=css, font_config=fonts)]
        fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=1)
        variant = PDF_VARIANT if tagged else None
        document = HTML(string=html, base_url=None, url_fetcher=fetcher).render(
            font_config=fonts, stylesheets=stylesheets, pdf_variant=variant
        )
        pdf = document.write_pdf(
            pdf_variant=variant, pdf_identifier=False, finisher=tagged_finisher(html) if tagged else None
        )
        anchors: dict = {}
        bookmarks = []
        for number, page in enumerate(document.pages):
            for name in page.anchors:
                anchors.setdefault(name, number)
            # As WeasyPrint places a bookmark in the PDF: the page's top left corner is (0, height) in points.
            bookmarks.append(
                [
                    [level, label, x * PT_PER_PX, (page.height - y) * PT_PER_PX, state]
                    for level, label, (x, y), state in page.bookmarks
                ]
            )
    return Layout(pdf, len(document.pages), anchors, bookmarks, messages)


def tagged_finisher(html: str):
    """WeasyPrint's `finisher` for a tagged piece (`Document.write_pdf` calls it with the pydyf PDF before writing
    it): the page furniture marked as artifacts, and the table header cells' names made the piece's own."""
    # A piece's mark: pieces differ in their HTML (each has its own headings), so their marks differ.
    mark = "h" + hashlib.sha256(html.encode("utf-8")).hexdigest()[:10] + "-"

    def finish(document, pdf) -> None:
        elements = furniture_as_artifacts(pdf)
        own_header_names(elements, mark)

    return finish


def own_header_names(elements: list, mark: str) -> None:
    """A table header cell's /ID, which WeasyPrint makes from element numbers unique within one document, and the
    /Headers of the cells naming it, prefixed with the piece's `mark`: unique across the joined report. (A /Headers
    entry is the very String its header's /ID holds; each String is renamed once.)"""
    renamed: set[int] = set()

    def rename(name) -> None:
        if id(name) not in renamed and hasattr(name, "string"):
            renamed.add(id(name))
            name.string = mark + str(name.string)

    for element in elements:
        if "ID" in element:
            rename(element["ID"])
        attributes = element.get("A")
        for attribute in attributes if isinstance(attributes, list) else [attributes]:
            if isinstance(attribute, dict):
                for name in attribute.get("Headers", ()):
                    rename(name)


def furniture_as_artifacts(pdf) -> list:
    """Mark the content of structure elements the structure tree never reaches (the page furniture) as /Artifact,
    and take their entries out of the parent tree; the elements the tree reaches."""
    objects = pdf.objects

    def resolve(reference):
        return objects[int(bytes(reference).split()[0])]

    root = resolve(pdf.catalog["StructTreeRoot"])
    reachable, stack, elements = set(), [root], []
    while stack:
        for kid in stack.pop().get("K", []) or []:
            if isinstance(kid, bytes) and kid.endswith(b" R") and kid not in reachable:
                element = resolve(kid)
                if isinstance(element, dict) and element.get("Type") == "/StructElem":
                    reachable.add(kid)
                    stack.append(element)
                    elements.append(element)
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
    return elements
