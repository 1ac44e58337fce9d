"""The vendored typefaces (fonts.py): Source Serif 4 and Source Sans 3 subsets, the charts measured with the
very faces the report embeds, and the coverage the input checks rely on."""

from fontTools.ttLib import TTFont

from collaborative_citizen.fonts import (
    CHART_TRUETYPE,
    COVERAGE,
    FONT_UNICODES,
    FONTS,
    REPORT_FACES,
    covered_codepoints,
    uncovered_characters,
)


def _faces():
    return {name: TTFont(FONTS / name) for *_, name in REPORT_FACES}


def test_the_report_faces_are_source_serif_and_source_sans_under_the_ofl():
    families = {name: font["name"].getDebugName(1) for name, font in _faces().items()}
    assert {families[n] for _, _, _, n in REPORT_FACES if n.startswith("SourceSerif4")} == {"Source Serif 4"}
    assert {families[n] for _, _, _, n in REPORT_FACES if n.startswith("SourceSans3")} == {"Source Sans 3"}
    for licence in ("LICENSE-SourceSerif4.txt", "LICENSE-SourceSans3.txt"):
        assert "SIL OPEN FONT LICENSE Version 1.1" in (FONTS / licence).read_text(encoding="utf-8")


def test_coverage_is_what_every_face_has():
    common = set.intersection(*(set(font.getBestCmap()) for font in _faces().values()))
    assert covered_codepoints() == frozenset(common)
    assert common <= set(FONT_UNICODES)
    assert COVERAGE.read_text(encoding="ascii").endswith("\n")


def test_the_charts_are_measured_with_the_faces_the_page_draws_them_in():
    """matplotlib places each label with the TrueType copy; the report draws it with the WOFF: same glyphs,
    same advance widths, so no label can overflow the room matplotlib gave it."""
    faces = _faces()
    for truetype in CHART_TRUETYPE:
        twin = faces[truetype.name.replace(".ttf", ".woff")]
        copy = TTFont(truetype)
        assert copy.getBestCmap() == twin.getBestCmap()
        assert dict(copy["hmtx"].metrics) == dict(twin["hmtx"].metrics)


def test_characters_outside_the_faces_are_named():
    assert uncovered_characters("It’s “fair” – 15–24, £14.4 billion, 79%† Σ ±\u00a0x") == []
    assert uncovered_characters("back ↩ and ● bullet") == ["↩", "●"]
