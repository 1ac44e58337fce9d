"""The chart kinds of "The Collaborative Citizen": ranked bars, paired bars by wave, diverging stacked bars and
small multiples, all in the house style of chart_style.py, saved by chart_files.py, built from chart_layout.py."""

from __future__ import annotations

import math

from matplotlib.figure import Figure

# Besides what the chart kinds need, the names the findings and the tests use (`charts.<name>`): F401 for those.
from .chart_files import chart_markup, save_chart  # noqa: F401
from .chart_layout import (
    _available,
    _bar,
    _category_axis,
    _drop_crowded,
    _end_label,
    _figure,
    _finish,
    _fit_titles,
    _legend,
    _pitch,
    _segment_label,
    _wrap,
)
from .chart_style import (  # noqa: F401
    _FORMAT,
    BAR_GAP_PT,
    BAR_PT,
    GROUP_BAR_PT,
    GROUP_BAR_STEP_PT,
    GROUP_GAP_PT,
    HOUSE_RC,
    NARROW,
    PAIRED_BAR_PT,
    PRINT,
    RULE,
    SEGMENT_SIZE,
    SERIES_COLOURS,
    STACK_BAR_PT,
    STACK_GAP_PT,
    Format,
    Segment,
    Value,
    _from_centre,
    _house_style,
    _number,
    alt_text,
    bar_id,
    contrast,
    narrow,
    pct_text,
    ranked_values,
    safe_id,
    segment_colours,
    text_colour,
)


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
