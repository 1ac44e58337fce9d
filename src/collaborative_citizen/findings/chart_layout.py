"""The building blocks every chart kind is made of: the figure, bars and their labels, the category axis, the
legend, and the final fitting of the figure's height to what it holds."""

from __future__ import annotations

import textwrap

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from .chart_style import (
    _FORMAT,
    INK,
    LINE_PT,
    MIN_SEGMENT_LABEL,
    MUTED,
    RULE,
    SEGMENT_SIZE,
    VALUE_GAP_PT,
    VALUE_SIZE,
    WHITE,
    Value,
    _number,
    contrast,
    pct_text,
    text_colour,
)


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


def _available(values: list[Value]) -> list[Value]:
    """`values` with NaN percentages turned into None (not available), so NaN never reaches a bar."""
    return [
        v if v.pct is None or _number(v.pct) is not None else Value(v.key, v.label, None, v.published) for v in values
    ]
