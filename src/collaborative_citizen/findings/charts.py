"""The house chart style of "The Collaborative Citizen": every chart of the report is made here.

One style for a printed A4 report whose text column is about 16 cm wide:

* Figures are exactly 16 cm wide and sizes are in points, so an SVG shown 16 cm wide prints its text at
  the stated sizes (8.5 pt labels, 8 pt values, never below 7.5 pt).
* Horizontal bars, each with its value written next to it ("79%"). The values carry the information, so
  there is no value axis, no gridlines and no top/right spines (chart junk in print).
* Colour-blind-safe colours (Paul Tol's blue, Okabe-Ito orange and greys; blue against orange is safe
  for all common colour-vision deficiencies). Shades are chosen by lightness, not only hue, so that a
  greyscale photocopy still separates neighbouring segments (each differs from its neighbour by
  about 17 or more in CIELAB lightness). Text on a fill is dark on light fills and white on dark fills,
  whichever contrasts more.
* Byte-identical output on every machine and every run: the report's own Source Sans 3 (vendored, registered
  with matplotlib's font manager), matplotlib's default settings plus the house settings (so a user's
  matplotlibrc or a notebook style cannot leak in), no dates in files, ids salted per chart.
* Text stays text in the SVG (``svg.fonttype = "none"``): a reader can select and search it, and the PDF lays
  it out as text instead of drawing thousands of glyph outlines. It names the font family
  ``fonts.CHART_FAMILY``, the very Source Sans 3 subset matplotlib measured it with, which the report's
  style sheet embeds; a standalone SVG file embeds it itself.

Figures are drawn on an explicit Agg canvas rather than via ``matplotlib.use("Agg")``: the result is the
same Agg rendering, without switching the backend of a notebook that imports this module.

Every bar rectangle carries the SVG id ``bar-<series>-<key>`` (see `bar_id`) so tests can count the bars
a chart shows; no other element id starts with ``bar-``.
"""

from __future__ import annotations

import contextvars
import hashlib
import io
import math
import re
import sys
import textwrap
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import matplotlib as mpl
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from ..fonts import CHART_FACES, CHART_FAMILY, CHART_TRUETYPE, font_face_css


@dataclass(frozen=True)
class Value:
    """One bar of a bar chart."""

    key: str  # answer/net/item key; used in the bar's SVG id
    label: str  # category label shown on the axis (wrapped to ~40 characters per line)
    pct: float | None  # 0-100; None = not available: no bar, "n/a" where the value label goes
    published: bool = False  # True: the value label gets a dagger "†" (figure published in the original report)
    residual: bool = False  # other, none of these, don't know: drawn after the substantive answers when ranked
    net: bool = False  # a net of several answers ("some or a lot"): drawn in the second series colour, value bold


@dataclass(frozen=True)
class Segment:
    """One answer (or net) of a stacked or grouped chart."""

    key: str  # answer or net key, e.g. "agree_strongly"
    label: str  # legend label
    side: str  # "left" (e.g. disagree), "right" (e.g. agree) or "aside" (neither / don't know)


# --- Sizes -------------------------------------------------------------------------------------------
# All in points (1/72 inch) because that is how type is specified in print; the figure is 16 cm wide so
# that one SVG point is one printed point when the chart fills the report's text column.
FIGURE_WIDTH_CM = 16.0
PNG_DPI = 200  # enough for print-quality proofs and sharp on high-density screens
LABEL_SIZE = 8.5  # category labels and panel titles
VALUE_SIZE = 8.0  # value labels at the end of bars
SEGMENT_SIZE = 7.5  # values inside stacked segments (narrow, so slightly smaller; still >= 7.5 pt)
LEGEND_SIZE = 8.0
LINE_PT = LABEL_SIZE * 1.25  # height of one line of a wrapped category label
LABEL_WRAP = 40  # characters per line of a category label
PANEL_LABEL_WRAP = 24  # row labels of small multiples share the width with three panels
VALUE_GAP_PT = 3.0  # between a bar's end and its value label
MIN_SEGMENT_LABEL = 4.0  # percentage points: narrower stacked segments are left unlabelled (text would not fit)

BAR_PT = 12.0  # bar_chart bar thickness
BAR_GAP_PT = 7.0
STACK_BAR_PT = 14.0  # diverging_chart: thicker, it carries values inside
STACK_GAP_PT = 8.0
PAIRED_BAR_PT = 9.0  # paired_bar_chart: one bar per series within a group
GROUP_BAR_PT = 8.0  # small_multiples_chart: one bar per segment within a group
GROUP_BAR_STEP_PT = 9.5  # bar plus a hairline gap so neighbouring value labels (8 pt) do not touch
GROUP_GAP_PT = 9.0  # between groups of bars


@dataclass(frozen=True)
class Format:
    """The width a chart is drawn for, and what follows from it: how long a label's line may be and how many
    panels of small multiples share a line."""

    width_cm: float
    label_wrap: int
    panel_label_wrap: int
    panels_per_line: int


# The printed page's text column; and a phone held upright, about 358 CSS px of text column at 390 px wide, where
# a chart 7.8 cm wide shows its smallest text (7.5 pt) at about 12 px (`narrow`).
PRINT = Format(FIGURE_WIDTH_CM, LABEL_WRAP, PANEL_LABEL_WRAP, 3)
NARROW = Format(7.8, 18, 18, 1)
_FORMAT = contextvars.ContextVar("chart_format", default=PRINT)


@contextmanager
def narrow():
    """Charts made inside are drawn in the NARROW format, for a phone's screen."""
    token = _FORMAT.set(NARROW)
    try:
        yield
    finally:
        _FORMAT.reset(token)


# --- Colours -----------------------------------------------------------------------------------------
INK = "#1A1A1A"  # near-black text: softer than pure black, still 17:1 contrast on white
MUTED = "#595959"  # "n/a": visibly different from a value, still 7:1 contrast on white
RULE = "#4D4D4D"  # zero line and baselines
WHITE = "#FFFFFF"

# Series colours, darkest first (the first series is the current one and should stand out). CIELAB
# lightness 29 / 62 / 82: distinct in greyscale.
SERIES_COLOURS = ["#004488", "#6699CC", "#BBCCEE"]

# Segment colours per side, listed from the zero line outwards, for 1, 2 or 3 segments on that side.
# Right: blues (lightness 82 / 62 / 29), left: oranges (84 / 63 / 44), aside: greys. On a diverging bar
# the inner left (84) and inner right (62) shades meet at the zero line, so they differ in lightness
# too; with one segment per side, dark blue (29) meets vermillion (54).
SIDE_COLOURS = {
    "right": {1: ["#004488"], 2: ["#6699CC", "#004488"], 3: ["#BBCCEE", "#6699CC", "#004488"]},
    "left": {1: ["#D55E00"], 2: ["#F6C89F", "#A6520A"], 3: ["#F6C89F", "#E08214", "#9C4A00"]},
    "aside": {1: ["#BFBFBF"], 2: ["#B0B0B0", "#E0E0E0"], 3: ["#8F8F8F", "#BFBFBF", "#E6E6E6"]},
}
SIDES = ("left", "right", "aside")

# The family name matplotlib knows the chart faces by, once registered (addfont is the font manager's public
# way to add a font file without installing it).
MATPLOTLIB_SANS = "Source Sans 3"
for _face in CHART_TRUETYPE:
    font_manager.fontManager.addfont(str(_face))
for _weight, _face in zip(("normal", "bold"), CHART_TRUETYPE):
    # A copy of the family installed on the machine must not stand in for the vendored subset.
    if Path(font_manager.findfont(font_manager.FontProperties(family=MATPLOTLIB_SANS, weight=_weight))) != _face:
        raise RuntimeError(f"matplotlib does not draw {MATPLOTLIB_SANS} {_weight} from {_face}")

# matplotlib's defaults plus these: every chart looks the same whatever style the caller has loaded.
HOUSE_RC = {
    "font.family": "sans-serif",
    "font.sans-serif": [MATPLOTLIB_SANS],  # vendored and registered below: same glyphs on every machine
    "font.size": LABEL_SIZE,
    "text.color": INK,
    "axes.edgecolor": RULE,
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "axes.titlesize": LABEL_SIZE,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.titlepad": 5.0,
    "ytick.labelsize": LABEL_SIZE,
    "ytick.color": INK,
    "ytick.major.size": 0,
    "ytick.major.pad": 5,
    "legend.frameon": False,
    "legend.fontsize": LEGEND_SIZE,
    "figure.facecolor": WHITE,
    "savefig.facecolor": WHITE,  # an opaque page, also in dark-mode viewers
    "figure.dpi": 100,  # only used while measuring text; files use their own resolution
    "figure.constrained_layout.h_pad": 4 / 72,
    "figure.constrained_layout.w_pad": 4 / 72,
    "figure.constrained_layout.wspace": 0.04,
    "figure.constrained_layout.hspace": 0.04,
    "svg.fonttype": "none",  # text as text, in the embedded chart font (see save_chart)
    "svg.hashsalt": None,
}

# SVG metadata: without these matplotlib would write today's date (and the Dublin Core boilerplate).
SVG_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}
PNG_METADATA = {"Software": None}  # no version string: files differ only when the picture does


# --- Public helpers ----------------------------------------------------------------------------------


def safe_id(text: str) -> str:
    """`text` usable inside an XML id: anything but letters, digits, "-" and "_" becomes "_" ("65+" -> "65_")."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", str(text))


def bar_id(series: str, key: str) -> str:
    """The SVG id of a bar: tests count these to check that a chart shows one bar per answer."""
    return f"bar-{safe_id(series)}-{safe_id(key)}"


def pct_text(pct: float | None, published: bool = False, *, sign: bool = True) -> str:
    """A value label: "79%", "79%†" when published, "n/a" when not available.

    Rounds half up (78.5 -> 79) as survey reports do; Python's round() would give 78.
    """
    pct = _number(pct)
    if pct is None:
        return "n/a"
    text = f"{math.floor(pct + 0.5):d}" + ("%" if sign else "")
    return text + ("†" if published else "")


def ranked_values(values: list[Value]) -> list[Value]:
    """Largest first, "n/a" last, the residual answers after all of them in their given order."""
    ranked = sorted((v for v in values if not v.residual), key=lambda v: (v.pct is None, -(v.pct or 0.0)))
    return ranked + [v for v in values if v.residual]


def contrast(fill: str, against: str = WHITE) -> float:
    """WCAG contrast ratio of two colours."""
    darker, lighter = sorted((_luminance(fill), _luminance(against)))
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(colour: str) -> float:
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(colour)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def alt_text(title: str, parts: list[str]) -> str:
    """Text alternative of a chart: "Chart: <title>. <part>; <part>." (SVG <title>, aria-label, PNG alt)."""
    title = " ".join(title.split()).rstrip(".")
    text = f"Chart: {title}."
    parts = [" ".join(p.split()) for p in parts if p and p.strip()]
    if parts:
        text += " " + "; ".join(parts) + "."
    return text


def segment_colours(segments: list[Segment]) -> dict[str, str]:
    """Fill colour of each segment, by side and distance from the zero line (see `SIDE_COLOURS`)."""
    _check_segments(segments)
    colours = {}
    for side, ordered in (
        ("left", _from_centre(segments, "left")),
        ("right", _from_centre(segments, "right")),
        ("aside", [s for s in segments if s.side == "aside"]),
    ):
        if not ordered:
            continue
        palette = SIDE_COLOURS[side].get(len(ordered))
        if palette is None:
            raise ValueError(f"at most 3 {side!r} segments can be told apart, got {len(ordered)}")
        colours.update({s.key: c for s, c in zip(ordered, palette)})
    return colours


def text_colour(fill: str) -> str:
    """Dark or white text, whichever contrasts more with `fill` (WCAG contrast ratio)."""
    luminance = _luminance(fill)
    ink = 0.2126 * 0.0103 + 0.7152 * 0.0103 + 0.0722 * 0.0103  # INK #1A1A1A is 1.03% luminance
    return INK if (luminance + 0.05) / (ink + 0.05) >= 1.05 / (luminance + 0.05) else WHITE


# --- Charts ------------------------------------------------------------------------------------------


def bar_chart(values: list[Value], *, ranked: bool = False, series: str = "main") -> Figure:
    """One horizontal bar per value, the first value at the top.

    ranked=True sorts by pct, largest first, "n/a" last (for multi-answer questions, where the order of
    the answer list carries no meaning); ties keep their given order; residual answers (other, don't know) come
    after every other, in their given order. A NaN pct counts as None.
    """
    if not values:
        raise ValueError("bar_chart needs at least one value")
    values = _available(values)
    if ranked:
        values = ranked_values(values)
    labels = [_wrap(v.label) for v in values]
    pitch = _pitch(labels, BAR_PT + BAR_GAP_PT)
    with _house_style():
        fig = _figure(len(values) * pitch)
        ax = fig.add_subplot()
        ids: set[str] = set()
        texts = []
        for i, v in enumerate(values):
            y = (i + 0.5) * pitch
            if v.pct is not None:
                colour = SERIES_COLOURS[1] if v.net else SERIES_COLOURS[0]
                _bar(ax, 0.0, v.pct, y, BAR_PT, colour, bar_id(series, v.key), ids)
            texts.append(
                _end_label(ax, v.pct or 0.0, y, pct_text(v.pct, v.published), missing=v.pct is None, bold=v.net)
            )
        _category_axis(ax, [(i + 0.5) * pitch for i in range(len(values))], labels, len(values) * pitch)
        _finish(fig, [ax], [len(values) * pitch], texts, [0.0] + [v.pct for v in values if v.pct is not None], lo=0.0)
    return fig


def paired_bar_chart(series: dict[str, list[Value]]) -> Figure:
    """Per key one bar per series, side by side (e.g. 2014 above 2010); the first series is darkest.

    Every series must hold the same keys; the order and labels are the first series'. None values are
    drawn as "n/a" (e.g. a figure the 2010 report did not publish); so are NaN values.
    """
    names = list(series)
    if not names or not series[names[0]]:
        raise ValueError("paired_bar_chart needs at least one series with values")
    if len(names) > len(SERIES_COLOURS):
        raise ValueError(f"at most {len(SERIES_COLOURS)} series can be told apart, got {len(names)}")
    first = series[names[0]]
    keys = [v.key for v in first]
    by_series = {}
    for name in names:
        by_key = {v.key: v for v in _available(series[name])}
        if sorted(by_key) != sorted(keys) or len(by_key) != len(series[name]):
            raise ValueError(f"series {name!r} must hold the same keys as series {names[0]!r}, each once")
        by_series[name] = by_key
    labels = [_wrap(v.label) for v in first]
    group = len(names) * (PAIRED_BAR_PT + 1.0) + GROUP_GAP_PT
    pitch = _pitch(labels, group)
    with _house_style():
        fig = _figure(len(keys) * pitch, legend_rows=1)
        ax = fig.add_subplot()
        ids: set[str] = set()
        texts, ends = [], [0.0]
        for i, key in enumerate(keys):
            top = i * pitch + (pitch - len(names) * (PAIRED_BAR_PT + 1.0)) / 2
            for j, name in enumerate(names):
                v = by_series[name][key]
                y = top + (j + 0.5) * (PAIRED_BAR_PT + 1.0)
                if v.pct is not None:
                    _bar(ax, 0.0, v.pct, y, PAIRED_BAR_PT, SERIES_COLOURS[j], bar_id(name, key), ids)
                    ends.append(v.pct)
                texts.append(_end_label(ax, v.pct or 0.0, y, pct_text(v.pct, v.published), missing=v.pct is None))
        _category_axis(ax, [(i + 0.5) * pitch for i in range(len(keys))], labels, len(keys) * pitch)
        _legend(fig, [(str(name), SERIES_COLOURS[j]) for j, name in enumerate(names)])
        _finish(fig, [ax], [len(keys) * pitch], texts, ends, lo=0.0)
    return fig


def diverging_chart(
    rows: list[tuple[str, str]],
    segments: list[Segment],
    shares: dict[str, dict[str, float]],
    *,
    published: set[tuple[str, str]] = frozenset(),
) -> Figure:
    """One stacked bar per row, "left" segments leftwards and "right" segments rightwards of a zero line.

    Order from the zero line: segments are listed in scale order, as in the codebook (agree strongly,
    tend to agree, ..., disagree strongly) or the reverse. Each side is stacked so that the scale reads
    continuously across the zero line: the segments listed nearest the other side sit nearest the zero
    line (tend to agree | tend to disagree), the extremes outermost. If only one side is present the
    usual order is assumed (right listed before left). The legend, below the plot, lists the segments
    in the scale's order, as listed.

    "aside" segments (neither, don't know) form a separate grey block after the right-hand bars, so they
    never shift or hide the balance of opinion. Segments wide enough to hold their value (at least
    `MIN_SEGMENT_LABEL` points, and the number fits inside at the chart's scale) carry it, digits only;
    each side's net total is written at its outer end ("79%", bold), with "†" where (row_key, side) is
    in `published`. A side with a single segment shows only the net (its own label would repeat it).
    A share that is missing, None or NaN draws no bar; a row with no shares at all reads "n/a".
    """
    colours = segment_colours(segments)
    if not rows:
        raise ValueError("diverging_chart needs at least one row")
    sides = {side: _from_centre(segments, side) for side in ("left", "right")}
    aside = [s for s in segments if s.side == "aside"]
    labels = [_wrap(label) for _, label in rows]
    pitch = _pitch(labels, STACK_BAR_PT + STACK_GAP_PT)
    height = len(rows) * pitch
    with _house_style():
        fig = _figure(height, legend_rows=1)
        ax = fig.add_subplot()
        ids: set[str] = set()
        texts, ends, inside = [], [0.0], []
        for i, (row_key, _) in enumerate(rows):
            y = (i + 0.5) * pitch
            row = {s.key: _number(shares.get(row_key, {}).get(s.key)) for s in segments}
            if all(row[s.key] is None for s in segments):
                texts.append(_end_label(ax, 0.0, y, "n/a", missing=True))
                continue
            for side, direction in (("right", 1.0), ("left", -1.0)):
                x = 0.0
                drawn = [s for s in sides[side] if row[s.key] is not None]
                for s in drawn:
                    v = row[s.key]
                    bar = _bar(ax, x, direction * v, y, STACK_BAR_PT, colours[s.key], bar_id(row_key, s.key), ids)
                    if len(drawn) > 1:
                        inside.append((_segment_label(ax, x + direction * v / 2, y, v, colours[s.key]), v, bar))
                    x += direction * v
                if drawn:
                    ends.append(x)
                    net = sum(row[s.key] for s in drawn)
                    texts.append(
                        _end_label(ax, x, y, pct_text(net, (row_key, side) in published), side=side, bold=True)
                    )
        _category_axis(ax, [(i + 0.5) * pitch for i in range(len(rows))], labels, height, baseline=False)
        ax.axvline(0.0, color=RULE, linewidth=0.8, zorder=3)
        # The legend reads in the scale's own order (the codebook's), residual answers last.
        _legend(fig, [(s.label, colours[s.key]) for s in segments])
        block = max(sum(_number(shares.get(k, {}).get(s.key)) or 0.0 for s in aside) for k, _ in rows)
        start = _finish(fig, [ax], [height], texts, ends, block=block if aside else None)
        for i, (row_key, _) in enumerate(rows):
            # The aside block starts at the same x on every row, after the widest right-hand bar and label.
            x = start
            for s in aside:
                v = _number(shares.get(row_key, {}).get(s.key))
                if v is None:
                    continue
                bar = _bar(ax, x, v, (i + 0.5) * pitch, STACK_BAR_PT, colours[s.key], bar_id(row_key, s.key), ids)
                inside.append((_segment_label(ax, x + v / 2, (i + 0.5) * pitch, v, colours[s.key]), v, bar))
                x += v
        _drop_crowded(fig, inside)
    return fig


def small_multiples_chart(
    panels: list[tuple[str, str]],
    rows: list[tuple[str, str]],
    segments: list[Segment],
    shares: dict[tuple[str, str], dict[str, float]],
    *,
    published: set[tuple[str, str, str]] = frozenset(),
) -> Figure:
    """One panel per panel key, side by side (three per line), all on one shared scale from zero.

    Each panel has one group of bars per row (e.g. a way of organising services) with one bar per segment
    (e.g. better / worse / no difference / don't know) in the order given, so the same answer sits at the
    same place in every group. Row labels are written once, left of the first panel of each line.
    Value labels get "†" where (panel_key, row_key, segment_key) is in `published`; a missing share draws
    no bar and reads "n/a". One legend for all panels, below them.
    """
    colours = segment_colours(segments)
    if not panels or not rows or not segments:
        raise ValueError("small_multiples_chart needs panels, rows and segments")
    ncols = min(_FORMAT.get().panels_per_line, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    labels = [_wrap(label, _FORMAT.get().panel_label_wrap) for _, label in rows]
    bars = len(segments) * GROUP_BAR_STEP_PT
    pitch = _pitch(labels, bars + GROUP_GAP_PT)
    height = len(rows) * pitch
    with _house_style():
        fig = _figure(nrows * height + (nrows - 1) * 20, legend_rows=1, panel_titles=nrows)
        grid = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
        ids: set[str] = set()
        texts, ends, titles = [], [0.0], []
        for n, ax in enumerate(grid.flat):
            if n >= len(panels):
                ax.set_visible(False)
                continue
            panel_key, panel_label = panels[n]
            titles.append(ax.set_title(panel_label, loc="left"))
            for i, (row_key, _) in enumerate(rows):
                top = i * pitch + (pitch - bars) / 2
                row = shares.get((panel_key, row_key), {})
                for j, s in enumerate(segments):
                    y = top + (j + 0.5) * GROUP_BAR_STEP_PT
                    v = _number(row.get(s.key))
                    if v is not None:
                        _bar(ax, 0.0, v, y, GROUP_BAR_PT, colours[s.key], bar_id(f"{panel_key}-{row_key}", s.key), ids)
                        ends.append(v)
                    texts.append(
                        _end_label(
                            ax,
                            v or 0.0,
                            y,
                            pct_text(v, (panel_key, row_key, s.key) in published),
                            missing=v is None,
                            size=SEGMENT_SIZE,
                        )
                    )
            _category_axis(ax, [(i + 0.5) * pitch for i in range(len(rows))], labels, height)
            if n % ncols:
                ax.tick_params(axis="y", labelleft=False)
        _legend(fig, [(s.label, colours[s.key]) for s in segments])
        _fit_titles(fig, titles)
        _finish(fig, list(grid[:, 0]), [height] * nrows, texts, ends, lo=0.0)
    return fig


# --- Saving ------------------------------------------------------------------------------------------


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


@contextmanager
def _house_style(**extra):
    """matplotlib's defaults plus `HOUSE_RC`, for building and for saving: nothing else can leak in."""
    with mpl.rc_context():
        mpl.rcdefaults()
        mpl.rcParams.update({**HOUSE_RC, **extra})
        yield


def _figure(axes_height_pt: float, *, legend_rows: int = 0, panel_titles: int = 0) -> Figure:
    """A figure as wide as the current format (16 cm) on an Agg canvas; its height is settled exactly later
    (`_finish`)."""
    height_pt = axes_height_pt + 16 + legend_rows * 22 + panel_titles * 24
    fig = Figure(figsize=(_FORMAT.get().width_cm / 2.54, height_pt / 72), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _wrap(label: str, width: int | None = None) -> str:
    """Wrap at word boundaries (never inside a word) at `width` characters (the format's label width); existing
    line breaks are kept."""
    width = width or _FORMAT.get().label_wrap
    return "\n".join(
        textwrap.fill(part, width, break_long_words=False, break_on_hyphens=False) or part
        for part in str(label).split("\n")
    )


def _pitch(labels: list[str], minimum: float) -> float:
    """Points per row: room for the bar(s) and gap, or for the row's wrapped label if that is taller.

    All rows get the same pitch (the tallest label decides) so bars stay evenly spaced; this is what
    makes figure heights grow with the number of rows and labels never overlap.
    """
    lines = max(label.count("\n") + 1 for label in labels)
    return max(minimum, lines * LINE_PT + 6.0)


def _bar(ax, x: float, width: float, y: float, thickness: float, colour: str, gid: str, ids: set[str]):
    """One bar from x to x + width (width may be negative) centred on y; its SVG id is `gid`."""
    if gid in ids:
        raise ValueError(f"two bars would share the SVG id {gid!r}: keys must differ after safe_id()")
    ids.add(gid)
    rect = Rectangle(
        (min(x, x + width), y - thickness / 2),
        abs(width),
        thickness,
        facecolor=colour,
        edgecolor=WHITE,
        linewidth=0.6,
        zorder=2,
    )
    # The white hairline separates touching segments, also in greyscale; it is drawn half inside the bar.
    rect.set_gid(gid)
    ax.add_patch(rect)
    return rect


def _end_label(
    ax,
    x: float,
    y: float,
    text: str,
    *,
    side: str = "right",
    bold: bool = False,
    missing: bool = False,
    size: float = VALUE_SIZE,
):
    """A value label just beyond the end of a bar (left of it for left-hand bars)."""
    right = side != "left"
    label = ax.annotate(
        text,
        (x, y),
        xytext=(VALUE_GAP_PT if right else -VALUE_GAP_PT, 0),
        textcoords="offset points",
        ha="left" if right else "right",
        va="center_baseline",
        fontsize=size,
        color=MUTED if missing else INK,
        fontweight="bold" if bold else "normal",
        annotation_clip=False,
    )
    label.set_in_layout(False)  # the x range is fitted to the labels instead (`_finish`)
    return label


def _segment_label(ax, x: float, y: float, value: float, fill: str):
    """A stacked segment's value, centred inside it, if the segment is wide enough to hold it."""
    if value < MIN_SEGMENT_LABEL:
        return None
    label = ax.text(
        x,
        y,
        pct_text(value, sign=False),
        ha="center",
        va="center_baseline",
        fontsize=SEGMENT_SIZE,
        color=text_colour(fill),
        zorder=4,
    )
    label.set_in_layout(False)
    return label


def _drop_crowded(fig, labels: list[tuple]) -> None:
    """Remove segment labels (given with their segment's value and bar) that do not fit inside their segment
    with 1.5 pt to spare on each side: text must not spill over or touch the segment's edges.

    At 4 points a segment is usually wide enough for one digit, but a chart with a wide x range (long
    bars, an aside block) can make it narrower than the digit. A segment left without its value whose fill is
    lighter than 3:1 against the white page and separators is outlined (`outline_if_light`): its value is in the
    text alternative and the tables, and its edges are still seen (WCAG 1.4.11).
    """
    renderer = fig.canvas.get_renderer()
    for label, value, bar in labels:
        if label is not None:
            ax = label.axes
            segment_px = abs(ax.transData.transform((value, 0))[0] - ax.transData.transform((0, 0))[0])
            if label.get_window_extent(renderer).width <= segment_px - 3 * fig.dpi / 72:
                continue
            label.remove()
        outline_if_light(bar)


def outline_if_light(patch) -> None:
    """Give a shape whose fill has less than 3:1 contrast with white an outline in the rule colour, which has."""
    if contrast(mpl.colors.to_hex(patch.get_facecolor())) < 3.0:
        patch.set_edgecolor(RULE)
        patch.set_linewidth(0.6)


def _lay_out(fig) -> None:
    """Place the axes, titles and legend (matplotlib's constrained layout) as drawing the figure would, without
    drawing it: what follows measures text against them."""
    fig.get_layout_engine().execute(fig)


def _fit_titles(fig, titles) -> None:
    """Wrap each panel title until it is no wider than its panel (a left-aligned title would run into the
    next panel or off the page: the layout does not shrink titles)."""
    _lay_out(fig)
    renderer = fig.canvas.get_renderer()
    for title in titles:
        text = title.get_text()
        width = len(text)
        while title.get_window_extent(renderer).width > title.axes.get_window_extent().width and width > 8:
            width -= 2
            title.set_text(_wrap(text, width))


def _category_axis(ax, positions: list[float], labels: list[str], height: float, *, baseline: bool = True):
    """Category labels on the left, first row at the top; no value axis (the bars carry their values)."""
    ax.set_yticks(positions, labels)
    ax.set_ylim(height, 0.0)
    ax.xaxis.set_visible(False)
    ax.spines["bottom"].set_visible(False)
    ax.spines["left"].set_visible(baseline)  # the zero baseline of one-sided bars
    ax.tick_params(axis="y", length=0)


def _legend(fig, entries: list[tuple[str, str]]):
    """A legend below the plot, in one row if it fits in the figure's width, else in as few rows as fit.

    Entries read left to right, then top to bottom (matplotlib fills columns first, so they are reordered).
    Proxy patches are used so the legend keys never carry a bar's SVG id.
    """
    for ncols in range(len(entries), 0, -1):
        order = [k for j in range(ncols) for k in range(j, len(entries), ncols)]
        handles = [Patch(facecolor=entries[k][1], edgecolor="none", label=entries[k][0]) for k in order]
        for handle in handles:
            outline_if_light(handle)
        legend = fig.legend(
            handles=handles,
            loc="outside lower center",
            ncols=ncols,
            handlelength=1.1,
            handleheight=1.1,
            handletextpad=0.5,
            columnspacing=1.6,
            borderaxespad=0.2,
        )
        # The legend's own size needs no layout of the figure: measured alone, not by drawing everything.
        if legend.get_window_extent(fig.canvas.get_renderer()).width <= fig.bbox.width * 0.98 or ncols == 1:
            return legend
        legend.remove()
    return None


def _finish(fig, axes_column, heights_pt, labels, ends, *, lo=None, block=None):
    """Settle the figure height and the x range; return where the `block` (aside bars) starts.

    Height: the constrained layout takes a fixed amount of room for margins, titles and legend, so one
    measurement sets the axes to exactly their planned height in points (rows never squeeze together).

    Width: value labels are measured and the x range is widened until every label fits inside the axes
    (labels are kept out of the layout, so the axes width is fixed meanwhile). All axes share one x range.
    A `block` of that many percentage points is placed after the rightmost bar-and-label, 10 pt away.
    """
    _lay_out(fig)
    actual = sum(ax.get_window_extent().height for ax in axes_column) * 72 / fig.dpi
    width, height = fig.get_size_inches()
    fig.set_size_inches(width, height + (sum(heights_pt) - actual) / 72)
    _lay_out(fig)
    renderer = fig.canvas.get_renderer()
    width_px = axes_column[0].get_window_extent().width
    reach = []  # (anchor x in data, pixels the label reaches left of it, pixels right of it)
    for label in labels:
        box = label.get_window_extent(renderer)
        anchor = label.axes.transData.transform(label.xy)[0]
        reach.append((label.xy[0], max(0.0, anchor - box.x0), max(0.0, box.x1 - anchor)))
    pad, gap = 2 * fig.dpi / 72, 10 * fig.dpi / 72
    low = min(ends) if lo is None else lo
    high = max(ends)
    if high - low <= 0:
        high = low + 1.0
    start = None
    for _ in range(200):  # a contraction: converges in a few dozen steps
        per_px = (high - low) / width_px
        new_high = max([*ends, *(x + (r + pad) * per_px for x, _, r in reach)])
        if block is not None:
            start = new_high + gap * per_px
            new_high = start + block + pad * per_px
        new_low = lo if lo is not None else min([*ends, *(x - (left + pad) * per_px for x, left, _ in reach)])
        done = abs(new_high - high) + abs(new_low - low) < 1e-9 * (new_high - new_low)
        low, high = new_low, new_high
        if done:
            break
    for ax in axes_column:
        ax.set_xlim(low, high)
    # The layout is settled (the x range does not move it): drawing and saving the figure from here on uses it as
    # measured instead of working it out again, which was a quarter of the time of saving a chart.
    fig.set_layout_engine("none")
    return start


def _number(value) -> float | None:
    """A share as float, or None when not available (None, or NaN as pandas writes a missing value)."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _available(values: list[Value]) -> list[Value]:
    """`values` with NaN percentages turned into None (not available), so NaN never reaches a bar."""
    return [
        v if v.pct is None or _number(v.pct) is not None else Value(v.key, v.label, None, v.published) for v in values
    ]


def _check_segments(segments: list[Segment]) -> None:
    keys = [s.key for s in segments]
    if len(set(keys)) != len(keys):
        raise ValueError(f"segment keys must be unique: {keys}")
    for s in segments:
        if s.side not in SIDES:
            raise ValueError(f"segment {s.key!r}: side must be one of {SIDES}, not {s.side!r}")


def _from_centre(segments: list[Segment], side: str) -> list[Segment]:
    """The segments of one side ordered from the zero line outwards (see `diverging_chart`)."""
    right = [i for i, s in enumerate(segments) if s.side == "right"]
    left = [i for i, s in enumerate(segments) if s.side == "left"]
    right_listed_first = not (right and left) or right[0] < left[0]
    mine = [s for s in segments if s.side == side]
    if side == "right":
        return mine[::-1] if right_listed_first else mine
    return mine if right_listed_first else mine[::-1]
