"""The pieces' tagged PDFs joined into the report's one tagged PDF/UA-1 file, with pikepdf (qpdf).

WeasyPrint builds a document's structure tree page by page: under the one /Document element, each page's boxes
become their structure elements, and the parent tree maps each page's marked content (key: the page's
/StructParents) and each link annotation (its /StructParent) back to them. Pieces laid out apart therefore join
into the tree the whole document would have: their pages in order, their pages' elements under one /Document,
their parent-tree entries renumbered one piece after another. What no piece has alone is added here: links to
another piece's anchors (publish/pdf_pieces.py), the named destinations and bookmarks of the whole report, and the
page furniture, drawn over each page (its content is already marked as artifacts).

qpdf copies an object of another file once, however often it is reached, and writes only the objects the file
refers to: the pieces' own catalogs and structure roots, reached from the copied elements' parents, are left out.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from urllib.parse import unquote

import pikepdf
from pikepdf import Array, Dictionary, Name, OutlineItem, Pdf, String

from .pdf_layout import Layout
from .pdf_pieces import CROSS_PIECE

# What the report's catalog takes from the first piece's: the language, the title shown, the tagging mark and the
# XMP metadata naming PDF/UA-1.
CATALOG_KEYS = ("/Lang", "/ViewerPreferences", "/MarkInfo", "/Metadata")


def join(pieces: list[Layout], furniture: Layout, cover_pages: set[int]) -> tuple[bytes, list[str]]:
    """One PDF of `pieces`, in order, with `furniture` (a page per page) over every page not in `cover_pages`;
    and a warning for each link to an anchor no piece has (WeasyPrint's, for a link inside one piece)."""
    sources = [Pdf.open(io.BytesIO(piece.pdf)) for piece in pieces]
    report = Pdf.new()
    root = report.make_indirect(Dictionary(Type=Name.StructTreeRoot))
    document = report.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, P=root))
    kids, numbers, next_key = Array(), Array(), 0
    for source in sources:
        first_page = len(report.pages)
        with warnings.catch_warnings():
            # (pikepdf warns that named destinations are not copied with pages: they are added below.)
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
            report.pages.extend(source.pages)
        next_key = _add_structure(source, report, first_page, document, kids, numbers, next_key)
        _retag_fonts(report, first_page)
    document.K = kids
    root.K = Array([document])
    root.ParentTree = report.make_indirect(Dictionary(Nums=numbers))
    report.Root.StructTreeRoot = root
    places = _add_named_destinations(sources, report)
    _add_outline(pieces, report)
    # (Kept open until the report is written: the furniture's drawings are read from it.)
    furniture_pdf = Pdf.open(io.BytesIO(furniture.pdf))
    _add_furniture(furniture_pdf, report, cover_pages)
    first = sources[0]
    for key in CATALOG_KEYS:
        if key in first.Root:
            report.Root[key] = _copied(first, report, first.Root[key])
    report.docinfo = report.make_indirect(Dictionary({key: String(str(value)) for key, value in first.docinfo.items()}))
    out = io.BytesIO()
    # A fixed file identifier (none is random), object streams for the structure tree's many small objects.
    report.save(
        out,
        deterministic_id=True,
        min_version=first.pdf_version,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
        compress_streams=True,
    )
    furniture_pdf.close()
    unresolved = sorted(
        {str(a.Dest) for page in report.pages for a in page.obj.get("/Annots", Array()) if "/Dest" in a} - places
    )
    return out.getvalue(), [f"No anchor #{name} for internal URI reference" for name in unresolved]


def _add_structure(source: Pdf, report: Pdf, first_page: int, document, kids, numbers, first_key: int) -> int:
    """Put a piece's structure elements under the report's /Document and its parent-tree entries in the report's
    parent tree from `first_key` on; the next piece's first key."""
    tree = source.Root.StructTreeRoot
    for kid in tree.K[0].K:
        element = report.copy_foreign(kid)
        element.P = document
        kids.append(element)
    # (The parent tree copied whole, in one call: qpdf maps each element it reaches to the copy made above.)
    parent_tree = tree.ParentTree
    copied = report.copy_foreign(parent_tree if parent_tree.is_indirect else source.make_indirect(parent_tree)).Nums
    last = -1
    for n in range(0, len(copied), 2):
        key = int(copied[n])
        numbers.append(first_key + key)
        numbers.append(copied[n + 1])
        last = max(last, key)
    for original, page in zip(source.pages, report.pages[first_page:]):
        if "/StructParents" in original.obj:
            page.obj.StructParents = first_key + int(original.obj.StructParents)
        for annotation in page.obj.get("/Annots", Array()):
            if "/StructParent" in annotation:
                annotation.StructParent = first_key + int(annotation.StructParent)
            _link_across_pieces(annotation)
    return first_key + last + 1


def _copied(source: Pdf, report: Pdf, value):
    """A value of `source` for `report`: a string as itself, anything else copied (made indirect first)."""
    if isinstance(value, String):
        return String(str(value))
    return report.copy_foreign(value if value.is_indirect else source.make_indirect(value))


def _retag_fonts(report: Pdf, first_page: int) -> None:
    """A font subset's tag, which WeasyPrint takes from the font's description (the same for every piece's
    different subset of one face), taken from the subset's own file instead."""
    seen: set = set()
    for page in report.pages[first_page:]:
        for font in page.obj.get("/Resources", Dictionary()).get("/Font", Dictionary()).values():
            if font.objgen not in seen:
                seen.add(font.objgen)
                _retag(font)


def _retag(font) -> None:
    descendants = list(font.get("/DescendantFonts", Array()))
    descriptor = next((d.FontDescriptor for d in [font, *descendants] if "/FontDescriptor" in d), None)
    data = b""
    for key in ("/FontFile", "/FontFile2", "/FontFile3"):
        if descriptor is not None and key in descriptor:
            data = descriptor[key].read_raw_bytes()
    if not data:
        return
    digest = hashlib.sha256(data).digest()
    tag = "".join(chr(ord("A") + byte % 26) for byte in digest[:6])
    for holder, key in [(font, "/BaseFont"), *((d, "/BaseFont") for d in descendants), (descriptor, "/FontName")]:
        name = str(holder.get(key, ""))
        if len(name) > 8 and name[7] == "+":
            holder[key] = Name("/" + tag + name[7:])


def _link_across_pieces(annotation) -> None:
    """A link a piece wrote to another piece's anchor (`cc-piece:<id>`) as a link to the named destination, as
    WeasyPrint writes a link inside one document."""
    action = annotation.get("/A")
    uri = str(action.get("/URI", "")) if isinstance(action, Dictionary) else ""
    if uri.startswith(CROSS_PIECE):
        name = unquote(uri.removeprefix(CROSS_PIECE))
        del annotation["/A"]
        annotation.Dest = String(name)
        annotation.Contents = String(name)


def _add_named_destinations(sources: list[Pdf], report: Pdf) -> set[str]:
    """Every piece's named destinations (an anchor's place) on the report's pages, sorted as a name tree's leaf
    must be; the first of a name wins."""
    places: dict[str, Array] = {}
    offset = 0
    for source in sources:
        index = {page.obj.objgen: n for n, page in enumerate(source.pages)}
        names = source.Root.get("/Names", Dictionary()).get("/Dests", Dictionary()).get("/Names", Array())
        for n in range(0, len(names), 2):
            name, target = str(names[n]), names[n + 1]
            if name not in places:
                page = report.pages[offset + index[target[0].objgen]].obj
                places[name] = Array([page, *list(target)[1:]])
        offset += len(source.pages)
    flat = Array()
    for name in sorted(places):
        flat.extend([String(name), places[name]])
    report.Root.Names = Dictionary(Dests=report.make_indirect(Dictionary(Names=flat)))
    return set(places)


def _add_outline(pieces: list[Layout], report: Pdf) -> None:
    """The report's bookmarks from the pieces' headings, nested as WeasyPrint nests a document's (a skipped level
    does not make an empty one)."""
    skipped: list[int] = []
    previous, page_number = 0, 0
    with report.open_outline() as outline:
        parents: list[list] = [outline.root]
        for piece in pieces:
            for bookmarks in piece.bookmarks:
                for level, label, x, y, state in bookmarks:
                    if level > previous:
                        skipped.append(level - previous - 1)
                    else:
                        reached = level
                        while reached < previous:
                            reached += 1 + skipped.pop()
                        if reached > previous:
                            skipped.append(reached - previous - 1)
                    previous = level
                    depth = level - sum(skipped)
                    page = report.pages[page_number].obj
                    item = OutlineItem(label, Array([page, Name.XYZ, x, y, 0]))
                    item.is_closed = state != "open"
                    parents[depth - 1].append(item)
                    del parents[depth:]
                    parents.append(item.children)
                page_number += 1


def _add_furniture(furniture: Pdf, report: Pdf, cover_pages: set[int]) -> None:
    """Each furniture page drawn over its page, as a form XObject of a name of its own (pikepdf's add_overlay
    would choose a random one)."""
    for number, (page, over) in enumerate(zip(report.pages, furniture.pages)):
        if number in cover_pages:
            continue
        form = report.copy_foreign(over.as_form_xobject())
        name = page.add_resource(form, Name.XObject, Name(f"/CCFurniture{number}"))
        # The page's own content leaves its transformation in place: the furniture is drawn from the default, all
        # of it an artifact (it belongs to no structure element).
        page.contents_add(report.make_stream(b"q\n"), prepend=True)
        page.contents_add(report.make_stream(b"\nQ\nq /Artifact BMC " + bytes(name) + b" Do EMC Q\n"))
