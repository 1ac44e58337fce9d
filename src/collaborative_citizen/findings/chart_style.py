"""The house chart style of "The Collaborative Citizen", which every chart of the report is drawn in.

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
import math
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl
from matplotlib import font_manager
from matplotlib.colors import to_rgb

from ..fonts import CHART_TRUETYPE


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


@contextmanager
def _house_style(**extra):
    """matplotlib's defaults plus `HOUSE_RC`, for building and for saving: nothing else can leak in."""
    with mpl.rc_context():
        mpl.rcdefaults()
        mpl.rcParams.update({**HOUSE_RC, **extra})
        yield


def _number(value) -> float | None:
    """A share as float, or None when not available (None, or NaN as pandas writes a missing value)."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


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
