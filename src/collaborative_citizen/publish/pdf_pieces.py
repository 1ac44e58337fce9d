"""The report's HTML cut into the pieces its PDF is laid out in (publish/pdf.py), and the small documents that
complete them: the page furniture and the contents' page numbers.

Every piece starts a page in the whole report too (report.css: each part, and each finding, essay and question's
table after the first of its part, has `break-before: page`), so a piece laid out alone breaks into the same pages
as it would in the whole.
What a piece cannot know alone is added from outside it:

- links to another piece: written `cc-piece:<id>` (an external link to WeasyPrint, tagged as a link like any
  other) and turned into a link to the named destination when the pieces are joined (publish/pdf_join.py);
- the running head: each piece starts with the head the report carries at that point (`string-set` on its root);
- the page number and the report's title at the top right: a furniture document of as many pages, laid out with
  the same @page rules, whose pages are drawn over the pieces' pages as artifacts;
- the contents' page numbers: written into the contents piece, which is laid out after the others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape

STYLE = re.compile(r"<style>(.*?)</style>", re.S)
PART = re.compile(r'<section class="part part-(?P<kind>[\w-]+)" id="[^"]*">')
# What starts a page within a part (after the part's first): a finding, an essay, a question's table, each a child
# of the part's own section (one inside a finding's commentary, say, starts nothing).
PAGE_START = re.compile(r'<section class="(?:finding|table-block)"|<article class="essay\b')
SECTIONING_TAG = re.compile(r"<(/?)(?:section|article)\b")
# (report.css sets the running head from h1 and h2 only.)
RUNNING = re.compile(r'<h[12]\b[^>]*\sdata-running="([^"]*)"')
ID = re.compile(r'\sid="([^"]+)"')
# A link's href, not an SVG's xlink:href (which refers inside its own drawing).
HREF = re.compile(r'(?<![\w:-])href="#([^"]+)"')
TOC = re.compile(r'<nav class="toc".*?</nav>', re.S)
COVER_TITLE = re.compile(r'<h1 class="cover-title"[^>]*>.*?</h1>', re.S)
# The scheme a link to another piece is written with while the pieces are laid out.
CROSS_PIECE = "cc-piece:"

# Laid out with every piece: the page number and the title at the top right come from the furniture document.
PIECE_CSS = "@media print { @page { @top-right { content: none; } @bottom-right { content: none; } } }"
# The contents' page numbers, written into each entry's link (`data-page`) instead of WeasyPrint's target-counter
# of a target in another piece.
CONTENTS_CSS = '@media print { .toc a::after { content: leader(".") " " attr(data-page); } }'
# The furniture document: a page per page of the report, blank but for the page number and the title at the top
# right, which the report's @page rules place (the running head at the top left is the piece's own).
FURNITURE_CSS = """@media print { @page { @top-left { content: none; } }
  .cc-furniture { break-after: page; height: 1px; margin: 0; padding: 0; }
  .cc-furniture:last-child { break-after: auto; }
  .cc-furniture-cover { page: cover; }
  .cc-furniture .cover-title { visibility: hidden; height: 0; margin: 0; } }"""


@dataclass(frozen=True)
class Piece:
    """One piece: a whole HTML document (without its style sheets) and the style sheet laid out with it."""

    kind: str  # the part's kind: cover, contents, essays, findings, appendix, ...
    html: str
    css: str
    cost: int  # an estimate of the layout's cost, to start the longest first

    @property
    def is_contents(self) -> bool:
        return self.kind == "contents"


@dataclass(frozen=True)
class Cut:
    """The report cut into pieces, in reading order, with what the documents made beside them need."""

    sheets: tuple[str, ...]  # the page's own style sheets, in order
    head: str  # the document up to and including <main>
    tail: str  # from </main> to the end
    pieces: tuple[Piece, ...]
    cover_title: str  # the cover's heading (it names the report at the top right of every page), or ""


def css_string(text: str) -> str:
    """`text` as a CSS string: every character other than a letter, digit or space escaped."""
    return '"' + "".join(c if c.isalnum() or c == " " else f"\\{ord(c):x} " for c in text) + '"'


def cut(html: str) -> Cut | None:
    """The report's pieces: one per part, a part of several findings, essays or question tables one per finding,
    essay or table; None for a page that is not cut into parts (it is laid out whole)."""
    sheets = tuple(STYLE.findall(html))
    body = STYLE.sub("", html)
    starts = [(m.start(), m.group("kind")) for m in PART.finditer(body)]
    end = body.rfind("</main>")
    if len(starts) < 2 or end < starts[-1][0]:
        return None
    head, tail = body[: starts[0][0]], body[end:]
    chunks: list[tuple[str, str]] = []
    for (start, kind), (stop, _) in zip(starts, starts[1:] + [(end, "")]):
        chunks.extend((kind, text) for text in _split_at_page_starts(body[start:stop]))
    every_id = set(ID.findall(body))
    pieces, running = [], ""
    for kind, text in chunks:
        heads = RUNNING.findall(text)
        # (A piece with a heading of its own starts with it: a value set on the root would come first on the page.)
        carried = running and not heads
        css = PIECE_CSS + (f"\n:root {{ string-set: running {css_string(unescape(running))}; }}" if carried else "")
        ids = set(ID.findall(text))

        def cross(match: re.Match, ids=ids) -> str:
            target = match.group(1)
            return match.group(0) if target in ids or target not in every_id else f'href="{CROSS_PIECE}{target}"'

        html_of_piece = head + HREF.sub(cross, text) + tail
        cost = len(text) + 400 * text.count("<td") + 20_000
        pieces.append(Piece(kind, html_of_piece, css + ("\n" + CONTENTS_CSS if kind == "contents" else ""), cost))
        running = heads[-1] if heads else running
    title = COVER_TITLE.search(body)
    return Cut(sheets, head, tail, tuple(pieces), ID.sub("", title.group(0)) if title else "")


def _split_at_page_starts(part: str) -> list[str]:
    """A part, or, for a part of several findings, essays or question tables, one piece per each: the first with
    the part's heading, each other in a section of the part's class (without its id, which the first piece holds)."""
    blocks = _page_starts(part)
    if len(blocks) < 2:
        return [part]
    opening = part[: part.index(">") + 1]
    continued = ID.sub("", opening, count=1)
    bounds = [0, *blocks[1:], len(part)]
    pieces = []
    for n, (start, stop) in enumerate(zip(bounds, bounds[1:])):
        text = part[start:stop]
        if n < len(bounds) - 2:
            text += "</section>\n"  # the part's own end is in the last piece
        pieces.append(text if n == 0 else continued + text)
    return pieces


def _page_starts(part: str) -> list[int]:
    """Where the part's page starts are: the PAGE_START elements among its own section's children."""
    starts, depth = [], 0
    for tag in SECTIONING_TAG.finditer(part):
        if tag.group(1):
            depth -= 1
            continue
        if depth == 1 and PAGE_START.match(part, tag.start()):
            starts.append(tag.start())
        depth += 1
    return starts


def with_page_numbers(piece: Piece, pages: dict[str, int] | None) -> Piece:
    """The contents piece with each entry's page number (`pages`: target id -> page number) written in; with
    `pages` None, with a placeholder as wide as a two-digit number, to learn how many pages the contents take."""

    def number(match: re.Match) -> str:
        target = match.group(1).removeprefix(CROSS_PIECE)
        page = "00" if pages is None else str(pages.get(unescape(target), ""))
        return f'{match.group(0)} data-page="{page}"'

    def numbered(toc: re.Match) -> str:
        return re.sub(r'href="(?:#|' + CROSS_PIECE + r')([^"]+)"', number, toc.group(0))

    return Piece(piece.kind, TOC.sub(numbered, piece.html), piece.css, piece.cost)


def furniture_document(cut: Cut, cover: list[bool]) -> str:
    """The furniture document's HTML: one page for each page of the report (`cover`: whether it is a cover page,
    which has none), the first cover page holding the cover's heading, hidden, which names the report (`string-set`)."""
    pages = []
    # (On a cover page, which gets no furniture: its hidden heading is marked content of no element.)
    title_page = cover.index(True) if True in cover else -1
    for n, is_cover in enumerate(cover):
        inside = cut.cover_title if n == title_page else ""
        pages.append(f'<div class="cc-furniture{" cc-furniture-cover" if is_cover else ""}">{inside}</div>')
    return cut.head + "\n".join(pages) + cut.tail
