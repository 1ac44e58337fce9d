"""Saving a chart: the SVG and PNG files (with the title, base and source a reused figure needs), the SVG to
inline in the report, made byte-identical and accessible (a text alternative, ids unique on the page)."""

from __future__ import annotations

import hashlib
import io
import re
import sys
from pathlib import Path
from xml.sax.saxutils import escape

from matplotlib.figure import Figure

from ..fonts import CHART_FACES, CHART_FAMILY, font_face_css
from .chart_layout import _wrap
from .chart_style import INK, MATPLOTLIB_SANS, MUTED, PNG_DPI, PNG_METADATA, SVG_METADATA, _house_style, safe_id


def save_chart(fig: Figure, svg_path, png_path, *, salt: str, alt: str, heading: str = "", footer: str = "") -> str:
    """Write the chart as SVG and as 200 dpi PNG; return the SVG markup to inline in HTML.

    The markup has no XML declaration or DOCTYPE (both are invalid inside HTML); its root <svg> carries
    role="img", aria-label=`alt` and a first-child <title>, and scales with its container (width 100%,
    viewBox kept). The SVG file holds the same drawing with its real size (16 cm wide), for use on its own.

    `salt` makes the chart's internal ids unique on a page with other charts: it seeds matplotlib's
    svg.hashsalt (clip paths) and prefixes every other id (glyphs, groups). Only the ``bar-...`` ids are
    left as they are, because tests look them up by name. Output is reproducible: no date, no software
    version, same salt and same figure give byte-identical files. The figure is closed (released by
    pyplot if pyplot knows it) but can still be saved again.
    """
    svg_path, png_path = Path(svg_path), Path(png_path)
    svg = _svg(fig, salt)
    inline = _accessible(svg, alt, inline=True)
    if heading or footer:
        # The files are reused on their own (a slide, a briefing): they carry their title, base and source.
        _add_furniture(fig, heading, footer)
        svg = _svg(fig, salt)
    with _house_style():
        png_path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(png_path, format="png", dpi=PNG_DPI, metadata=PNG_METADATA)
    _close(fig)
    svg_path.parent.mkdir(parents=True, exist_ok=True)
    declaration = '<?xml version="1.0" encoding="utf-8" standalone="no"?>\n'
    svg_path.write_bytes((declaration + _accessible(_with_fonts(svg), alt, inline=False)).encode("utf-8"))
    return inline


TITLE_SIZE = 10.0  # a reused figure's title
FOOTER_SIZE = 7.5  # its base and source line


def _add_furniture(fig: Figure, heading: str, footer: str) -> None:
    """A title above the chart and its base and source below it: the figure grows by their height, and the plot
    and legend keep their size and their place relative to each other."""
    width, height = fig.get_size_inches()
    characters = int(width * 72 / (TITLE_SIZE * 0.56))  # about how many characters fit a line at that size
    heading = _wrap(heading, characters) if heading else ""
    footer = _wrap(footer, int(width * 72 / (FOOTER_SIZE * 0.55))) if footer else ""
    top = (heading.count("\n") + 1) * TITLE_SIZE * 1.3 / 72 + 0.12 if heading else 0.0
    bottom = (footer.count("\n") + 1) * FOOTER_SIZE * 1.35 / 72 + 0.12 if footer else 0.0
    total = height + top + bottom
    boxes = [(ax, ax.get_position().bounds) for ax in fig.axes]
    fig.set_size_inches(width, total)
    for ax, (x0, y0, w, h) in boxes:
        ax.set_position([x0, (y0 * height + bottom) / total, w, h * height / total])
    for legend in fig.legends:
        legend.set_bbox_to_anchor((0, bottom / total, 1, height / total), transform=fig.transFigure)
    margin = 4 / 72 / width
    if heading:
        fig.text(
            margin,
            1 - 0.06 / total,
            heading,
            ha="left",
            va="top",
            fontsize=TITLE_SIZE,
            fontweight="bold",
            color=INK,
            linespacing=1.2,
        )
    if footer:
        fig.text(
            margin, 0.06 / total, footer, ha="left", va="bottom", fontsize=FOOTER_SIZE, color=MUTED, linespacing=1.25
        )


def chart_markup(fig: Figure, *, salt: str, alt: str, css_class: str) -> str:
    """The chart's SVG markup to inline in HTML, as `save_chart` returns it, with `css_class` on its root; no file
    is written (the narrow layout of a chart exists only in the HTML)."""
    svg = _svg(fig, salt)
    _close(fig)
    return _accessible(svg, alt, inline=True, css_class=css_class)


def _svg(fig: Figure, salt: str) -> str:
    buffer = io.StringIO()
    with _house_style(**{"svg.hashsalt": str(salt)}):
        fig.savefig(buffer, format="svg", metadata=SVG_METADATA)
    return _chart_font(_salt_ids(buffer.getvalue(), str(salt)))


def _close(fig: Figure) -> None:
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)


MATPLOTLIB_FAMILY = f"font-family: '{MATPLOTLIB_SANS}', sans-serif"


def _chart_font(svg: str) -> str:
    """Text in the embedded chart font first: the very glyphs matplotlib measured, on any machine."""
    if "<text" in svg and MATPLOTLIB_FAMILY not in svg:
        raise ValueError(f"the chart's SVG text does not name {MATPLOTLIB_FAMILY!r} (matplotlib changed?)")
    return svg.replace(MATPLOTLIB_FAMILY, f"font-family: '{CHART_FAMILY}', '{MATPLOTLIB_SANS}', sans-serif")


def _with_fonts(svg: str) -> str:
    """A standalone SVG file carries its font (the report's page carries it for the inline charts)."""
    root = re.match(r"<svg\b[^>]*>", svg)
    style = f'\n <defs>\n  <style type="text/css">{font_face_css(CHART_FACES)}</style>\n </defs>'
    return svg[: root.end()] + style + svg[root.end() :]


def _salt_ids(svg: str, salt: str) -> str:
    """`svg` without declaration/DOCTYPE; every id except bar-... made safe and prefixed by a hash of `salt`.

    matplotlib salts only its clip-path ids; glyph ids ("DejaVuSans-4e") and group ids ("axes_1") would
    repeat in every chart of a page. A hash (rather than the salt itself) always makes a valid id start
    and can never produce a "bar-" prefix.
    """
    svg = svg[svg.index("<svg") :]
    prefix = "c" + hashlib.sha256(salt.encode("utf-8")).hexdigest()[:10] + "-"
    renamed = {i: prefix + safe_id(i) for i in re.findall(r'\sid="([^"]+)"', svg) if not i.startswith("bar-")}
    if len(set(renamed.values())) != len(renamed):
        raise ValueError("two SVG ids of the chart would coincide after safe_id()")

    def rename(match: re.Match) -> str:
        return match.group(1) + renamed.get(match.group(2), match.group(2)) + match.group(3)

    svg = re.sub(r'(\sid=")([^"]+)(")', rename, svg)
    svg = re.sub(r"(url\(#)([^)]+)(\))", rename, svg)
    return re.sub(r'(href="#)([^"]+)(")', rename, svg)


def _accessible(svg: str, alt: str, *, inline: bool, css_class: str = "") -> str:
    """Root <svg> with role="img", aria-label and a first-child <title>; inline: scales to its container."""
    root = re.match(r"<svg\b[^>]*>", svg)
    attributes = dict(re.findall(r'([\w:-]+)="([^"]*)"', root.group(0)))
    if inline:
        attributes.pop("height", None)  # the height follows from the width and the viewBox
        attributes["width"] = "100%"
        attributes["style"] = "width:100%;height:auto"
    if css_class:
        attributes["class"] = css_class
    attributes["role"] = "img"
    label = escape(alt, {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})
    attributes["aria-label"] = label
    tag = "<svg " + " ".join(f'{name}="{value}"' for name, value in attributes.items()) + ">"
    return tag + f"\n <title>{escape(alt)}</title>" + svg[root.end() :]


# --- Building blocks ---------------------------------------------------------------------------------
