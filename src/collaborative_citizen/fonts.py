"""The typefaces embedded in the report: Adobe's Source Serif 4 for text and Source Sans 3 for headings, tables
and charts (both under the SIL Open Font License), cut down to the characters a report uses and vendored in
assets/fonts, so that the HTML, the PDF and the charts look the same on every machine without a network or
installed fonts. (WOFF rather than the smaller WOFF2: WeasyPrint unpacks WOFF2 with fontTools in pure Python,
about a second for these faces in every process that lays out pages; WOFF is zlib, a tenth of that.)

The charts are drawn by matplotlib with the TrueType copies of the same Source Sans 3 subsets, so the text a
browser or WeasyPrint draws in a chart is the text matplotlib measured, and no label overflows its room."""

from __future__ import annotations

import base64
import io
import re
from functools import lru_cache
from pathlib import Path

FONTS = Path(__file__).resolve().parent / "assets" / "fonts"

# The family the charts' SVG text names first: the report's own sans serif.
CHART_FAMILY = "Report Sans"

# (family, weight, style, file): the embedded faces, in the order their rules appear.
REPORT_FACES = [
    ("Report Serif", 400, "normal", "SourceSerif4-Regular.woff"),
    ("Report Serif", 400, "italic", "SourceSerif4-Italic.woff"),
    ("Report Serif", 700, "normal", "SourceSerif4-Bold.woff"),
    ("Report Sans", 400, "normal", "SourceSans3-Regular.woff"),
    ("Report Sans", 400, "italic", "SourceSans3-Italic.woff"),
    ("Report Sans", 700, "normal", "SourceSans3-Bold.woff"),
]
# A standalone chart file embeds these two; matplotlib measures with their TrueType twins (CHART_TRUETYPE).
CHART_FACES = [face for face in REPORT_FACES if face[0] == CHART_FAMILY and face[2] == "normal"]
CHART_TRUETYPE = [FONTS / name.replace(".woff", ".ttf") for *_, name in CHART_FACES]

# Each vendored face and the file of the Google Fonts static instance it is cut from (as the npm packages
# @expo-google-fonts/source-serif-4 and @expo-google-fonts/source-sans-3 ship them).
SOURCES = {
    "SourceSerif4-Regular": "SourceSerif4_400Regular.ttf",
    "SourceSerif4-Italic": "SourceSerif4_400Regular_Italic.ttf",
    "SourceSerif4-Bold": "SourceSerif4_700Bold.ttf",
    "SourceSans3-Regular": "SourceSans3_400Regular.ttf",
    "SourceSans3-Italic": "SourceSans3_400Regular_Italic.ttf",
    "SourceSans3-Bold": "SourceSans3_700Bold.ttf",
}

# What the subsets are asked for: Latin text, punctuation, arrows and the mathematical signs of Methods. Where
# a face lacks one, COVERAGE (the characters every face has, written when the fonts are vendored) leaves it out.
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
]
COVERAGE = FONTS / "coverage.txt"
# The word joiner (typography.py holds "7–20 August" together with it) has no glyph and needs none: browsers and
# WeasyPrint draw nothing for it.
WORD_JOINER = 0x2060


def vendor_fonts(source_dir: str | Path) -> None:
    """Regenerate assets/fonts from the static TrueType files found anywhere under `source_dir` (for example
    the unpacked npm packages named in SOURCES): Latin subsets as WOFF, a few dozen kilobytes each instead of
    hundreds, without hinting (screens and PDF do not need it); TrueType copies of the chart faces for
    matplotlib; and coverage.txt, the characters every face has."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    FONTS.mkdir(parents=True, exist_ok=True)
    found = {p.name: p for p in Path(source_dir).rglob("*.ttf")}
    covered = set(FONT_UNICODES)
    for _, _, _, name in REPORT_FACES:
        stem = name.removesuffix(".woff")
        source = found.get(SOURCES[stem])
        if source is None:
            raise FileNotFoundError(f"{source_dir}: no {SOURCES[stem]} (the source of {name}) under it")
        # Keep the source's timestamp, so that vendoring twice gives the same files.
        font = TTFont(source, recalcTimestamp=False)
        options = subset.Options()
        options.hinting, options.name_IDs, options.layout_features = False, ["*"], ["*"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=FONT_UNICODES)
        subsetter.subset(font)
        covered &= set(font.getBestCmap())
        if FONTS / f"{stem}.ttf" in CHART_TRUETYPE:
            font.save(FONTS / f"{stem}.ttf")
        font.flavor = "woff"
        font.save(FONTS / name)
    COVERAGE.write_text(" ".join(f"{c:04X}" for c in sorted(covered)) + "\n", encoding="ascii")


@lru_cache(maxsize=1)
def covered_codepoints() -> frozenset[int]:
    """The characters every embedded face has (assets/fonts/coverage.txt)."""
    return frozenset(int(h, 16) for h in COVERAGE.read_text(encoding="ascii").split())


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
    inside = covered_codepoints() | {WORD_JOINER}
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
