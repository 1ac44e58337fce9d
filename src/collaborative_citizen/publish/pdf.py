"""The PDF edition: WeasyPrint lays out the report's HTML with the print rules of its style sheet, as one tagged
PDF/UA-1 document.

WeasyPrint (`pdf_variant="pdf/ua-1"`) writes the structure tree from the HTML: headings, paragraphs, lists, tables
with their header cells, figures with their text alternative, links, the language and the title, and XMP metadata
naming the PDF/UA part. The page furniture is marked as artifacts (publish/pdf_layout.py).

Laid out whole, the report takes WeasyPrint about 9 s, most of it the appendix's tables, and an edited essay would
pay all of it again. So the report is laid out in pieces (publish/pdf_pieces.py: each part, and within a part
each finding, essay and question's table), two at a time (this process and one worker), and each piece's PDF is
kept, keyed by what it was laid out from: a build lays out only the pieces that changed. The pieces are then
joined into one tagged file (publish/pdf_join.py), with what only the whole report knows: the contents' page
numbers (the contents piece is laid out after the others), the page numbers and title of the page furniture, the
links between pieces and the bookmarks.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import PublishError
from . import pdf_layout, pdf_pieces
from .kept import forget_unused
from .pdf_layout import Layout, lay_out, layout_key
from .pdf_pieces import FURNITURE_CSS, STYLE, furniture_document, with_page_numbers

if TYPE_CHECKING:
    from ..paths import Paths

# The contents are laid out again when their own page count changes the page numbers they give.
CONTENTS_ATTEMPTS = 3
# A page told before it is rendered has its costliest new piece begun only if it has at most this many.
TOLD_PIECES_MAX = 2
# What a process lays out (in pdf_pieces' units of cost) in about the time it takes to import WeasyPrint and parse
# the style sheets (about a second on the 2-core machine it was measured on: 250,000 a second, warming 1.05 s).
GETTING_READY_COST = 250_000


@dataclass(frozen=True)
class Job:
    css: str
    html: str
    cost: int
    tagged: bool = True


def start_layouts(sheets: tuple[str, ...], cache: Path | None, workers: int | None = None) -> _Layouts:
    """The PDF's layouts started before its page is written (make runs `publish html pdf` in one process): the
    worker is forked now, and imports WeasyPrint and parses `sheets` (the page's style sheets) on the other core
    while this process writes the page. Give it to `html_to_pdf`, which closes it; `close()` it if the page fails."""
    layouts = _Layouts(sheets, cache, _workers(workers))
    layouts.start()
    return layouts


def start_pdf(paths: Paths) -> _Layouts | None:
    """The PDF step's layouts, started before the HTML step (`publish html pdf`) when earlier pieces are kept (a
    build after an edit, which lays out a piece or two): the worker is forked before this process imports the HTML
    step's libraries, and gets ready while the page is rendered. None for a first build, whose worker is better
    forked later, sharing WeasyPrint and the parsed style sheet with this process."""
    from .style import stylesheet

    folder = paths.pdf_pieces
    if not folder.is_dir() or not any(folder.glob("*.pdf")):
        return None
    return start_layouts((stylesheet(),), folder)


def _workers(workers: int | None) -> int:
    from .. import available_cores

    return min(2, available_cores()) if workers is None else workers


def html_to_pdf(
    html: str, cache: Path | None = None, workers: int | None = None, layouts: _Layouts | None = None
) -> tuple[bytes, int, list[str]]:
    """(pdf, pages, warnings) for the report's HTML. `cache`: a folder keeping the pieces laid out, for the next
    build; `workers`: processes laying out pieces (default: two on a machine of two cores or more); `layouts`:
    started beforehand by `start_layouts` (its cache and workers then)."""
    cut = layouts.begun[1] if layouts is not None and layouts.begun[0] == html else pdf_pieces.cut(html)
    sheets = cut.sheets if cut else tuple(STYLE.findall(html))
    if layouts is None:
        layouts = _Layouts(sheets, cache, _workers(workers))
    layouts.sheets = sheets
    with layouts:
        if cut is None:
            whole = layouts.run([Job("", STYLE.sub("", html), 0)])[0]
            return whole.pdf, whole.pages, (layouts.sheet_warnings or []) + whole.warnings
        pieces = list(cut.pieces)
        jobs, contents = _first_jobs(pieces)
        laid = layouts.run(jobs)
        # The contents (with the page numbers the pieces give) and the furniture (a page for each) together; again
        # if the contents' own page count moves the pages after them.
        for _ in range(CONTENTS_ATTEMPTS):
            cover = [piece.kind == "cover" for piece, layout in zip(pieces, laid) for _ in range(layout.pages)]
            # (The furniture untagged: the join marks all of it as an artifact.)
            final = [Job(FURNITURE_CSS, furniture_document(cut, cover), len(cover) * 2000, tagged=False)]
            if contents is not None:
                numbered = with_page_numbers(pieces[contents], _page_numbers(laid))
                final.append(Job(numbered.css, numbered.html, numbered.cost))
            furniture, *numbered_contents = layouts.run(final)
            if not numbered_contents:
                break
            settled = numbered_contents[0].pages == laid[contents].pages
            laid[contents] = numbered_contents[0]
            if settled:
                break
        else:
            raise PublishError(
                f"the PDF's contents take {laid[contents].pages} pages with one set of page numbers "
                "and another number of pages with the next: shorten the contents"
            )
        if furniture.pages != len(cover):
            raise PublishError(f"the PDF's page furniture took {furniture.pages} pages for {len(cover)} pages")
        layouts.forget_others()
    # (pikepdf imported here or while waiting for the worker, which is forked before and has no use for it.)
    from .pdf_join import join

    pdf, unresolved = join(laid, furniture, {n for n, is_cover in enumerate(cover) if is_cover})
    warnings = (layouts.sheet_warnings or []) + [message for layout in laid for message in layout.warnings]
    warnings += furniture.warnings + unresolved
    return pdf, len(cover), warnings


def _ready_to_join() -> None:
    """Import the join's library (pikepdf, about 0.15 s) while the worker lays out a piece this process waits for."""
    from . import pdf_join  # noqa: F401


def _first_jobs(pieces: list) -> tuple[list[Job], int | None]:
    """Each piece's layout, the contents with placeholders for their page numbers; and which piece the contents
    are."""
    contents = next((n for n, piece in enumerate(pieces) if piece.is_contents), None)
    jobs = [Job(p.css, p.html, p.cost) for p in pieces]
    if contents is not None:
        placeholder = with_page_numbers(pieces[contents], None)
        jobs[contents] = Job(placeholder.css, placeholder.html, placeholder.cost)
    return jobs, contents


def _page_numbers(laid: list[Layout]) -> dict[str, int]:
    """Each anchor's page number in the joined report (the first page is 1, as the page counter counts)."""
    numbers: dict[str, int] = {}
    first = 1
    for layout in laid:
        for name, index in layout.anchors.items():
            numbers.setdefault(name, first + index)
        first += layout.pages
    return numbers


class _Layouts:
    """Pieces laid out, from the cache where it has them, else in this process and in one worker process (started
    when there is more than one piece to lay out), the most costly first."""

    def __init__(self, sheets: tuple[str, ...], cache: Path | None, workers: int):
        self.sheets, self.cache, self.workers = sheets, cache, workers
        self.pool: ProcessPoolExecutor | None = None
        self.used: set[str] = set()
        self.sheet_warnings: list[str] | None = None  # once the style sheets are parsed
        self.warm_here = False  # this process has parsed them
        self.warming = None  # the worker parsing them (start)
        self.early = None  # (key, future): the piece the worker took up before the page was written (begin)
        self.kept: dict[str, Layout] = {}  # the cache's pieces read so far
        self.begun: tuple = (None, None)  # (page, its pieces) given to `begin`

    def start(self) -> None:
        if self.workers > 1 and self.pool is None:
            self.pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
            self.warming = self.pool.submit(pdf_layout.warm, self.sheets)

    def begin(self, html: str, told: bool = False) -> None:
        """Hand the worker the costliest of the page's pieces that no earlier build kept, as soon as the page is
        known (`told` beforehand by `html.predicted_page`, or rendered): it is laid out while this process makes,
        checks and writes the page (`html_to_pdf` takes it up). Given the rendered page after a told one, it
        leaves a piece alone that the worker has begun and the page needs."""
        if self.begun[0] == html:
            return
        cut = pdf_pieces.cut(html)
        if self.pool is None or cut is None:
            self.begun = (html, cut)
            return
        todo = []
        for job in _first_jobs(list(cut.pieces))[0]:
            key = layout_key(cut.sheets, job.css, job.html, job.tagged)
            if self._cached(key) is None:
                todo.append((job.cost, key, job))
        if told and len(todo) > TOLD_PIECES_MAX:
            # (A told page with more new pieces than an edited essay or two makes is likely told wrong in what every
            # piece has, a new date say: the worker is left free for the rendered page's pieces, begun when it comes.)
            return
        self.begun, self.sheets = (html, cut), cut.sheets
        if self.early is not None and any(key == self.early[0] for _, key, _ in todo):
            return
        if todo:
            _, key, job = max(todo, key=lambda item: item[0])
            self.early = (key, self.pool.submit(lay_out, self.sheets, job.css, job.html, job.tagged))

    def __enter__(self) -> _Layouts:
        return self

    def __exit__(self, kind, error, trace) -> None:
        self.close()

    def close(self) -> None:
        if self.pool is not None:
            # A worker started ahead (`start`) has fonts of its own: it removes their folder before it ends.
            try:
                self.pool.submit(pdf_layout.release).result()
            except BrokenProcessPool:
                pass  # (stopped already: interrupted)
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        pdf_layout.release()

    def run(self, jobs: list[Job]) -> list[Layout]:
        done: list[Layout | None] = [None] * len(jobs)
        todo = deque()
        for n, job in enumerate(jobs):
            key = layout_key(self.sheets, job.css, job.html, job.tagged)
            self.used.add(key)
            done[n] = self._cached(key)
            if done[n] is None:
                todo.append((n, key))
        todo = deque(sorted(todo, key=lambda item: -jobs[item[0]].cost))
        running = None
        if self.early is not None:
            # (Not among these jobs if the page changed since `begin`: its layout is then left unused.)
            (key, future), self.early = self.early, None
            for n, wanted in todo:
                if wanted == key:
                    todo.remove((n, wanted))
                    running = (n, key, future)
                    break
        # This process lays pieces out too unless a worker is there and the pieces would take it less time than
        # this process takes to get ready (an edit's piece, the contents and the furniture, say).
        costly = len(todo) > 1 and sum(jobs[n].cost for n, _ in todo) > GETTING_READY_COST
        if todo and not self.warm_here and (self.pool is None or costly):
            warnings = pdf_layout.warm(self.sheets)
            self.warm_here, self.sheet_warnings = True, self.sheet_warnings or warnings
        if len(todo) > 1 and self.workers > 1 and self.pool is None:
            # The worker is forked once this process has imported WeasyPrint and parsed the style sheets and fonts:
            # it starts with them, in pages it shares with this process.
            self.pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
        if (todo or running) and self.warming is not None:
            warnings, self.warming = self.warming.result(), None
            self.sheet_warnings = self.sheet_warnings or warnings
        while todo or running:
            if self.pool is not None and running is None and todo:
                n, key = todo.popleft()
                job = jobs[n]
                running = (n, key, self.pool.submit(lay_out, self.sheets, job.css, job.html, job.tagged))
            here = todo and self.warm_here
            if here:
                n, key = todo.popleft()
                job = jobs[n]
                done[n] = self._keep(key, lay_out(self.sheets, job.css, job.html, job.tagged))
            if running is not None and (running[2].done() or not here):
                if not here and not running[2].done():
                    _ready_to_join()  # (this process would only wait)
                n, key, future = running
                done[n] = self._keep(key, future.result())
                running = None
        return done

    def _cached(self, key: str) -> Layout | None:
        """A kept piece, if it is whole: its description names the digest of its PDF."""
        if key in self.kept:
            return self.kept[key]
        if self.cache is None:
            return None
        try:
            pdf = (self.cache / f"{key}.pdf").read_bytes()
            meta = json.loads((self.cache / f"{key}.json").read_text(encoding="utf-8"))
            if meta.pop("pdf_sha256") != hashlib.sha256(pdf).hexdigest():
                return None
            self.kept[key] = Layout(pdf=pdf, **meta)
            return self.kept[key]
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def _keep(self, key: str, layout: Layout) -> Layout:
        if self.cache is not None:
            self.cache.mkdir(parents=True, exist_ok=True)
            meta = json.loads(layout.meta())
            meta["pdf_sha256"] = hashlib.sha256(layout.pdf).hexdigest()
            # The PDF first, its description (which vouches for it) last; each under a name of this process's until
            # it is complete.
            for suffix, data in ((".pdf", layout.pdf), (".json", json.dumps(meta, sort_keys=True).encode("utf-8"))):
                partial = self.cache / f".{key}{suffix}.{os.getpid()}.partial"
                partial.write_bytes(data)
                os.replace(partial, self.cache / f"{key}{suffix}")
        return layout

    def forget_others(self) -> None:
        """Remove the kept pieces this build did not use (an earlier version of an essay, say), and what an
        interrupted build left half written."""
        forget_unused(self.cache, self.used)
