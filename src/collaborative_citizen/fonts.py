"""The typefaces embedded in the report: open-licence DejaVu fonts, cut down to the characters a report uses and
vendored as WOFF in assets/fonts, so that the HTML, the PDF and the charts look the same on every machine
without a network or installed fonts. (WOFF rather than the smaller WOFF2: WeasyPrint unpacks WOFF2 with
fontTools in pure Python, about a second for these eight faces in every process that lays out pages; WOFF is
zlib, a tenth of that, for 57 kB more.)

The body and headings use condensed DejaVu (wide tables fit an A4 page). The charts use matplotlib's own copy
of DejaVu Sans: matplotlib measures and places every label with it, so the text a browser or WeasyPrint draws in
a chart is the text matplotlib measured, and no label overflows its room."""

from __future__ import annotations

import base64
import io
import re
from functools import lru_cache
from pathlib import Path

FONTS = Path(__file__).resolve().parent / "assets" / "fonts"

# The family the charts' SVG text names first (before matplotlib's "DejaVu Sans" and sans-serif).
CHART_FAMILY = "Report Chart Sans"

# (family, weight, style, file): the embedded faces, in the order their rules appear.
REPORT_FACES = [
    ("Report Serif", 400, "normal", "DejaVuSerifCondensed.woff"),
    ("Report Serif", 400, "italic", "DejaVuSerifCondensed-Italic.woff"),
    ("Report Serif", 700, "normal", "DejaVuSerifCondensed-Bold.woff"),
    ("Report Sans", 400, "normal", "DejaVuSansCondensed.woff"),
    ("Report Sans", 400, "italic", "DejaVuSansCondensed-Oblique.woff"),
    ("Report Sans", 700, "normal", "DejaVuSansCondensed-Bold.woff"),
]
CHART_FACES = [
    (CHART_FAMILY, 400, "normal", "DejaVuSans.woff"),
    (CHART_FAMILY, 700, "normal", "DejaVuSans-Bold.woff"),
]

# What the subsets cover: Latin text, punctuation, arrows and the mathematical signs of Methods.
FONT_UNICODES = [
    *range(0x20, 0x7F),
    *range(0xA0, 0x180),
    0x3A3,
    0x3C3,
    *range(0x2000, 0x2070),
    0x20AC,
    0x2122,
    *range(0x2190, 0x21AA),
    *range(0x2200, 0x2270),
    0x25A0,
    0x25CF,
]


def vendor_fonts(source_dir: str | Path) -> None:
    """Regenerate assets/fonts: the report's faces from DejaVu's TrueType files in `source_dir` (e.g.
    /usr/share/fonts/truetype/dejavu), the charts' faces from matplotlib's bundled copy. Latin subsets as WOFF,
    a few dozen kilobytes each instead of hundreds, without hinting (screens and PDF do not need it)."""
    import matplotlib
    from fontTools import subset
    from fontTools.ttLib import TTFont

    matplotlib_fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    for faces, folder in ((REPORT_FACES, Path(source_dir)), (CHART_FACES, matplotlib_fonts)):
        for _, _, _, name in faces:
            # Keep the source's timestamp, so that vendoring twice gives the same files.
            font = TTFont(folder / name.replace(".woff", ".ttf"), recalcTimestamp=False)
            options = subset.Options()
            options.flavor, options.hinting, options.name_IDs, options.layout_features = "woff", False, ["*"], ["*"]
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=FONT_UNICODES)
            subsetter.subset(font)
            font.flavor = "woff"
            font.save(FONTS / name)


@lru_cache(maxsize=None)
def _data_url(name: str) -> str:
    return "data:font/woff;base64," + base64.b64encode((FONTS / name).read_bytes()).decode("ascii")


def font_face_css(faces: list[tuple[str, int, str, str]]) -> str:
    """@font-face rules with the fonts inside them (data: URLs): nothing to fetch."""
    return "\n".join(
        f'@font-face {{ font-family: "{family}"; font-weight: {weight}; font-style: {style}; '
        f'src: url({_data_url(name)}) format("woff"); }}'
        for family, weight, style, name in faces
    )


def uncovered_characters(text: str) -> list[str]:
    """The characters of `text` outside the subsets (spaces aside), sorted: each would fall back to another font."""
    inside = set(FONT_UNICODES)
    return sorted({ch for ch in text if ord(ch) not in inside and not ch.isspace()})


WOFF_FONT = re.compile(r'url\(data:font/woff;base64,([A-Za-z0-9+/=]+)\)\s*format\("woff"\)')


def with_truetype_fonts(css: str) -> str:
    """`css` with each embedded WOFF font (as `font_face_css` writes them) unpacked to TrueType, keeping the font's
    own timestamp: WeasyPrint, left to unpack them, stamps the time it does so (or SOURCE_DATE_EPOCH) into the
    fonts of the PDF, which would then depend on when and how it was built."""
    from fontTools.ttLib import TTFont

    def truetype(match: re.Match) -> str:
        font = TTFont(io.BytesIO(base64.b64decode(match.group(1))), recalcTimestamp=False)
        font.flavor = None
        unpacked = io.BytesIO()
        font.save(unpacked)
        data = base64.b64encode(unpacked.getvalue()).decode("ascii")
        return f'url(data:font/ttf;base64,{data}) format("truetype")'

    return WOFF_FONT.sub(truetype, css)
