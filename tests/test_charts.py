"""The house chart style: one SVG bar per value shown, readable labels, accessible and reproducible files."""

import re
import struct
import xml.etree.ElementTree as ET

import matplotlib as mpl
import pytest
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from PIL import Image

from collaborative_citizen.findings.charts import (
    HOUSE_RC,
    Segment,
    Value,
    alt_text,
    bar_chart,
    diverging_chart,
    paired_bar_chart,
    pct_text,
    safe_id,
    save_chart,
    segment_colours,
    small_multiples_chart,
    text_colour,
)

SVG = "{http://www.w3.org/2000/svg}"

FAIRNESS = [
    Value("equal_opportunity", "Give everyone equality of opportunity", 43.6, published=True),
    Value("same_for_everyone", "Provide the same services for everyone", 21.2),
    Value("most_in_need", "Target services at those most in need", 31.5),
    Value("dont_know", "Don't know", None),
]
AGREE_SCALE = [
    Segment("agree_strongly", "Agree strongly", "right"),
    Segment("tend_to_agree", "Tend to agree", "right"),
    Segment("neither", "Neither agree nor disagree", "aside"),
    Segment("tend_to_disagree", "Tend to disagree", "left"),
    Segment("disagree_strongly", "Disagree strongly", "left"),
    Segment("dont_know", "Don't know", "aside"),
]
ITEMS = [
    ("dignity", "Dignity and respect in how people are treated matter as much as the final outcome"),
    ("outcome", "The end result matters much more than being treated well"),
]
ITEM_SHARES = {
    "dignity": {
        "agree_strongly": 45.2,
        "tend_to_agree": 33.9,
        "neither": 10.1,
        "tend_to_disagree": 6.0,
        "disagree_strongly": 2.1,
        "dont_know": 2.7,
    },
    "outcome": {
        "agree_strongly": 12.2,
        "tend_to_agree": 25.5,
        "neither": 20.3,
        "tend_to_disagree": 27.0,
        "disagree_strongly": 11.0,
    },  # don't know missing: no bar
}
ASPECTS = [("quality", "Quality of service"), ("accountability", "Accountability to the public")]
WAYS = [("charities", "Charities running public services"), ("businesses", "Businesses running public services")]
IMPACT = [
    Segment("better", "Better", "right"),
    Segment("worse", "Worse", "left"),
    Segment("no_difference", "No difference", "aside"),
]
IMPACT_SHARES = {
    ("quality", "charities"): {"better": 56.0, "worse": 33.0, "no_difference": 11.0},
    ("quality", "businesses"): {"better": 22.0, "worse": 34.0, "no_difference": 44.0},
    ("accountability", "charities"): {"better": 33.0, "worse": 13.0, "no_difference": 54.0},
    ("accountability", "businesses"): {"better": 45.0, "worse": 15.0},  # no difference not available
}


def save(fig, folder, name="chart", salt="salt", alt="Chart: test."):
    markup = save_chart(fig, folder / f"{name}.svg", folder / f"{name}.png", salt=salt, alt=alt)
    return markup, (folder / f"{name}.svg").read_bytes(), (folder / f"{name}.png").read_bytes()


def svg_ids(svg) -> list[str]:
    root = ET.fromstring(svg)  # also checks that the SVG is well-formed XML
    return [element.get("id") for element in root.iter() if element.get("id") is not None]


def bar_ids(svg) -> list[str]:
    return [i for i in svg_ids(svg) if i.startswith("bar-")]


def texts(fig) -> list[str]:
    """The text a reader sees, as the figure holds it."""
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]


def bars(fig) -> dict[str, Rectangle]:
    return {p.get_gid(): p for ax in fig.axes for p in ax.patches if p.get_gid()}


# --- One bar per value shown -------------------------------------------------------------------------


def test_bar_chart_has_one_svg_bar_per_available_value(tmp_path):
    markup, svg, _ = save(bar_chart(FAIRNESS), tmp_path)
    expected = ["bar-main-equal_opportunity", "bar-main-same_for_everyone", "bar-main-most_in_need"]
    assert bar_ids(svg) == expected  # don't know is None: no bar
    assert bar_ids(markup) == expected
    ids = svg_ids(svg)
    assert len(ids) == len(set(ids))


def test_bar_chart_value_labels(tmp_path):
    shown = texts(bar_chart(FAIRNESS))
    assert "44%†" in shown  # published: dagger
    assert "21%" in shown and "32%" in shown  # 31.5 rounds half up
    assert "n/a" in shown
    assert "Give everyone equality of opportunity" in shown


def test_series_name_and_keys_become_valid_ids(tmp_path):
    values = [Value("65+", "65 and over", 20.0), Value("15-24", "15-24", 30.0)]
    _, svg, _ = save(bar_chart(values, series="age band"), tmp_path)
    assert bar_ids(svg) == ["bar-age_band-65_", "bar-age_band-15-24"]
    assert safe_id("a.b/c d") == "a_b_c_d"


def test_nan_counts_as_not_available(tmp_path):
    fig = bar_chart([Value("a", "A", float("nan")), Value("b", "B", 12.0)], ranked=True)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["B", "A"]
    assert "n/a" in texts(fig)
    assert list(bars(fig)) == ["bar-main-b"]
    shares = {"dignity": {**ITEM_SHARES["dignity"], "neither": float("nan")}}
    assert "bar-dignity-neither" not in bars(diverging_chart(ITEMS[:1], AGREE_SCALE, shares))


def test_keys_that_coincide_as_ids_are_refused():
    with pytest.raises(ValueError, match="share the SVG id"):
        bar_chart([Value("65+", "65+", 1.0), Value("65_", "65_", 2.0)])


def test_ranked_sorts_largest_first_and_not_available_last():
    values = [Value("a", "A", 10.0), Value("b", "B", None), Value("c", "C", 40.0), Value("d", "D", 25.0)]
    fig = bar_chart(values, ranked=True)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["C", "D", "A", "B"]
    drawn = sorted(bars(fig).values(), key=lambda p: p.get_y())  # y grows downwards: first is top
    assert [p.get_gid() for p in drawn] == ["bar-main-c", "bar-main-d", "bar-main-a"]
    unranked = [t.get_text() for t in bar_chart(values).axes[0].get_yticklabels()]
    assert unranked == ["A", "B", "C", "D"]


def test_bar_lengths_are_the_values():
    fig = bar_chart(FAIRNESS)
    assert bars(fig)["bar-main-most_in_need"].get_width() == pytest.approx(31.5)
    assert bars(fig)["bar-main-equal_opportunity"].get_x() == 0.0


def test_paired_bar_chart(tmp_path):
    series = {
        "2014": [Value("willing", "Willing", 62.4, True), Value("no_time", "No time", 21.0)],
        "2010": [Value("willing", "Willing", 55.0), Value("no_time", "No time", None)],
    }
    fig = paired_bar_chart(series)
    shown = texts(fig)
    assert {"62%†", "55%", "21%", "n/a", "2014", "2010"} <= set(shown)
    _, svg, _ = save(fig, tmp_path)
    assert sorted(bar_ids(svg)) == ["bar-2010-willing", "bar-2014-no_time", "bar-2014-willing"]
    drawn = bars(fig)
    assert drawn["bar-2014-willing"].get_y() < drawn["bar-2010-willing"].get_y()  # first series on top
    colour = lambda gid: sum(drawn[gid].get_facecolor()[:3])  # noqa: E731
    assert colour("bar-2014-willing") < colour("bar-2010-willing")  # first series darkest


def test_paired_bar_chart_needs_the_same_keys():
    with pytest.raises(ValueError, match="same keys"):
        paired_bar_chart({"2014": [Value("a", "A", 1.0)], "2010": [Value("b", "B", 1.0)]})


def test_diverging_chart_bars_and_labels(tmp_path):
    fig = diverging_chart(ITEMS, AGREE_SCALE, ITEM_SHARES, published={("dignity", "right")})
    _, svg, _ = save(fig, tmp_path)
    expected = {f"bar-{row}-{seg}" for row, shares in ITEM_SHARES.items() for seg in shares}
    assert sorted(bar_ids(svg)) == sorted(expected)
    shown = texts(fig)
    assert "79%†" in shown  # net agree of the dignity item, published
    assert "8%" in shown  # net disagree, 6.0 + 2.1
    assert shown.count("38%") == 2  # outcome: 37.7 agree, 38.0 disagree
    assert "45" in shown and "34" in shown  # segments wide enough carry their value, digits only
    assert "2" not in shown  # 2.1 points: too narrow to label


def test_diverging_chart_reads_continuously_across_the_zero_line():
    drawn = bars(diverging_chart(ITEMS, AGREE_SCALE, ITEM_SHARES))
    tend_agree, strongly_agree = drawn["bar-dignity-tend_to_agree"], drawn["bar-dignity-agree_strongly"]
    tend_disagree, strongly_disagree = drawn["bar-dignity-tend_to_disagree"], drawn["bar-dignity-disagree_strongly"]
    assert tend_agree.get_x() == pytest.approx(0.0)
    assert strongly_agree.get_x() == pytest.approx(33.9)
    assert tend_disagree.get_x() + tend_disagree.get_width() == pytest.approx(0.0)
    assert strongly_disagree.get_x() + strongly_disagree.get_width() == pytest.approx(-6.0)
    # Neither / don't know: a separate block beyond the right-hand bars, starting at the same x on every row.
    right_end = max(p.get_x() + p.get_width() for gid, p in drawn.items() if "agree" in gid and "dis" not in gid)
    assert drawn["bar-dignity-neither"].get_x() > right_end
    assert drawn["bar-dignity-neither"].get_x() == pytest.approx(drawn["bar-outcome-neither"].get_x())


def test_diverging_legend_reads_in_the_scales_order_residual_last():
    """The legend lists the answers as the codebook's scale does (agree strongly ... disagree strongly), then the
    residual answers, whichever side of the zero line each is drawn on."""
    fig = diverging_chart(ITEMS, AGREE_SCALE, ITEM_SHARES)
    fig.canvas.draw()
    legend = fig.legends[0]
    boxes = {t.get_text(): t.get_window_extent() for t in legend.get_texts()}
    reading = sorted(boxes, key=lambda text: (-round(boxes[text].y0), boxes[text].x0))  # rows, then left to right
    assert max(box.y1 for box in boxes.values()) < min(ax.get_window_extent().y0 for ax in fig.axes)  # below
    assert reading == [s.label for s in AGREE_SCALE]
    assert reading[-1] == "Don't know"


def test_diverging_segments_listed_left_first_are_stacked_the_same_way():
    reversed_scale = list(reversed(AGREE_SCALE))
    drawn = bars(diverging_chart(ITEMS, reversed_scale, ITEM_SHARES))
    assert drawn["bar-dignity-tend_to_agree"].get_x() == pytest.approx(0.0)
    assert drawn["bar-dignity-tend_to_disagree"].get_x() + drawn[
        "bar-dignity-tend_to_disagree"
    ].get_width() == pytest.approx(0.0)


def test_diverging_row_without_data_reads_not_available(tmp_path):
    fig = diverging_chart(ITEMS + [("missing", "Not asked")], AGREE_SCALE, ITEM_SHARES)
    assert "n/a" in texts(fig)
    _, svg, _ = save(fig, tmp_path)
    assert not [i for i in bar_ids(svg) if i.startswith("bar-missing-")]


def test_small_multiples_chart(tmp_path):
    fig = small_multiples_chart(ASPECTS, WAYS, IMPACT, IMPACT_SHARES, published={("quality", "charities", "better")})
    _, svg, _ = save(fig, tmp_path)
    expected = {f"bar-{panel}-{row}-{seg}" for (panel, row), shares in IMPACT_SHARES.items() for seg in shares}
    assert sorted(bar_ids(svg)) == sorted(expected)
    shown = texts(fig)
    assert "56%†" in shown and "n/a" in shown
    assert {"Quality of service", "Accountability to the public", "Better", "Worse", "No difference"} <= set(shown)
    assert len(fig.legends) == 1  # one shared legend
    a, b = (ax for ax in fig.axes if ax.get_visible())
    assert a.get_xlim() == b.get_xlim()  # one scale for all panels


def test_no_other_svg_id_starts_with_bar(tmp_path):
    for fig in (
        bar_chart(FAIRNESS),
        diverging_chart(ITEMS, AGREE_SCALE, ITEM_SHARES),
        small_multiples_chart(ASPECTS, WAYS, IMPACT, IMPACT_SHARES),
    ):
        shown = {gid for gid in bars(fig)}
        _, svg, _ = save(fig, tmp_path)
        assert set(bar_ids(svg)) == shown  # the legend keys do not carry bar ids
        assert len(bar_ids(svg)) == len(shown)


# --- Readable ----------------------------------------------------------------------------------------


def _overlaps(boxes):
    boxes = sorted(boxes, key=lambda b: b.y0)
    return any(low.y1 > high.y0 + 0.5 for low, high in zip(boxes, boxes[1:]))


@pytest.mark.parametrize("count", [3, 12])
def test_category_labels_never_overlap_and_height_grows(count):
    label = "What kind of organisation provides services and on what terms, and for how long"
    values = [Value(f"k{i}", f"{label} {i}", float(i)) for i in range(count)]
    fig = bar_chart(values)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    labels = fig.axes[0].get_yticklabels()
    assert all("\n" in t.get_text() for t in labels)  # wrapped
    assert all(len(line) <= 40 for t in labels for line in t.get_text().split("\n"))
    assert not _overlaps([t.get_window_extent(renderer) for t in labels])
    taller = bar_chart(values + [Value("extra", label, 1.0)])
    assert taller.get_figheight() > fig.get_figheight()


def test_text_stays_inside_the_figure():
    figs = [
        bar_chart([Value("a", "A", 100.0, True), Value("b", "B", 0.0)]),
        paired_bar_chart({"2014": [Value("a", "A", 99.6, True)], "2010": [Value("a", "A", None)]}),
        diverging_chart(ITEMS, AGREE_SCALE, ITEM_SHARES, published={("outcome", "left")}),
        small_multiples_chart(ASPECTS, WAYS, IMPACT, IMPACT_SHARES),
    ]
    for fig in figs:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        for text in fig.findobj(Text):
            if text.get_visible() and text.get_text():
                box = text.get_window_extent(renderer)
                assert box.x0 >= 0 and box.x1 <= fig.bbox.width + 0.5, text.get_text()
                assert box.y0 >= 0 and box.y1 <= fig.bbox.height + 0.5, text.get_text()
                if text.axes is not None and text.get_text().endswith("%"):
                    axes_box = text.axes.get_window_extent()
                    assert axes_box.x0 - 0.5 <= box.x0 and box.x1 <= axes_box.x1 + 0.5, text.get_text()


def test_panel_titles_fit_their_panels():
    panels = [
        ("quality", "Quality of service"),
        ("cost", "Cost effectiveness of the service"),
        ("accountability", "Accountability to the public"),
    ]
    fig = small_multiples_chart(panels, WAYS, IMPACT, {})
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        title = ax.get_title(loc="left")
        assert title.replace("\n", " ") in {label for _, label in panels}
        (text,) = [t for t in ax.findobj(Text) if t.get_text() == title]
        box = text.get_window_extent(renderer)
        assert box.x1 <= ax.get_window_extent().x1 + 0.5, title


def test_segment_values_fit_inside_their_segments():
    nets = [
        Segment("agree", "Agree", "right"),
        Segment("disagree", "Disagree", "left"),
        Segment("neither", "Neither", "aside"),
        Segment("dont_know", "Don't know", "aside"),
    ]
    shares = {
        "dignity": {"agree": 79.1, "disagree": 8.1, "neither": 30.0, "dont_know": 4.0},
        "outcome": {"agree": 37.7, "disagree": 38.0, "neither": 20.0, "dont_know": 4.4},
    }
    fig = diverging_chart(ITEMS, nets, shares)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    inside = [t for t in ax.texts if not t.get_text().endswith("%")]
    assert "30" in [t.get_text() for t in inside]
    for text in inside:
        box = text.get_window_extent(renderer)
        x = ax.transData.inverted().transform(((box.x0 + box.x1) / 2, 0))[0]
        y = text.get_position()[1]
        holder = [
            p
            for p in ax.patches
            if p.get_gid()
            and p.get_x() <= x <= p.get_x() + p.get_width()
            and p.get_y() <= y <= p.get_y() + p.get_height()
        ]
        assert len(holder) == 1, text.get_text()
        extent = holder[0].get_window_extent()
        point = fig.dpi / 72  # at least a point of the fill on either side: the number must not touch the edge
        assert extent.x0 + point <= box.x0 and box.x1 <= extent.x1 - point, text.get_text()


def test_bars_have_the_same_thickness_in_every_chart():
    thickness = set()
    for count in (1, 4, 15):
        fig = bar_chart([Value(f"k{i}", f"Answer {i}", 10.0 + i) for i in range(count)])
        fig.canvas.draw()
        for bar in bars(fig).values():
            thickness.add(round(bar.get_window_extent().height * 72 / fig.dpi, 1))
    assert len(thickness) == 1


def test_figure_is_16cm_wide_and_uses_the_vendored_source_sans():
    fig = bar_chart(FAIRNESS)
    assert fig.get_figwidth() * 2.54 == pytest.approx(16.0)
    # The name each label's font resolves to in the style the chart is drawn and saved in.
    with mpl.rc_context(HOUSE_RC):
        fonts = {t.get_fontname() for t in fig.findobj(Text) if t.get_text()}
    assert fonts == {"Source Sans 3"}
    assert min(t.get_fontsize() for t in fig.findobj(Text) if t.get_text()) >= 7.5


def test_svg_text_is_text_in_the_embedded_chart_font(tmp_path):
    fig = diverging_chart(ITEMS, AGREE_SCALE, ITEM_SHARES, published={("dignity", "right")})
    shown = {line for text in texts(fig) for line in text.splitlines()}  # each line of a label is one <text>
    markup, svg, _ = save(fig, tmp_path)
    svg_ns = "{http://www.w3.org/2000/svg}"
    for document, standalone in ((markup, False), (svg, True)):
        root = ET.fromstring(document)
        written = [t.text for t in root.iter(f"{svg_ns}text")]
        assert written and set(written) == shown and "79%†" in written
        families = {re.search(r"font-family: ([^;]+)", t.get("style")).group(1) for t in root.iter(f"{svg_ns}text")}
        assert families == {"'Report Sans', 'Source Sans 3', sans-serif"}
        assert not list(root.iter(f"{svg_ns}use")), "glyph outlines instead of text"
        # The file on its own carries the font (regular and bold); inline, the report's page carries it.
        faces = re.findall(
            r'@font-face \{ font-family: "Report Sans"; font-weight: (\d+)',
            document.decode() if isinstance(document, bytes) else document,
        )
        assert faces == (["400", "700"] if standalone else [])
    assert root[0].tag == f"{svg_ns}title"  # the title stays the first child, before the font


def _lightness(colour):
    from matplotlib.colors import to_rgb

    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(colour)]
    y = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 116 * y ** (1 / 3) - 16


def test_neighbouring_segments_differ_in_greyscale():
    colours = segment_colours(AGREE_SCALE)
    left_to_right = ["disagree_strongly", "tend_to_disagree", "tend_to_agree", "agree_strongly"]
    for a, b in zip(left_to_right, left_to_right[1:]):
        assert abs(_lightness(colours[a]) - _lightness(colours[b])) >= 15, (a, b)
    assert abs(_lightness(colours["neither"]) - _lightness(colours["dont_know"])) >= 15
    impact = segment_colours(IMPACT + [Segment("dont_know", "Don't know", "aside")])
    order = ["better", "worse", "no_difference", "dont_know"]
    for a, b in zip(order, order[1:]):
        assert abs(_lightness(impact[a]) - _lightness(impact[b])) >= 15, (a, b)


def test_text_on_fills_is_dark_on_light_and_light_on_dark():
    assert text_colour("#004488") == "#FFFFFF"
    assert text_colour("#F6C89F") != "#FFFFFF"
    assert text_colour("#E0E0E0") != "#FFFFFF"


def test_segment_sides_are_checked():
    with pytest.raises(ValueError, match="side"):
        diverging_chart(ITEMS, [Segment("a", "A", "middle")], ITEM_SHARES)


def test_pct_text():
    assert pct_text(78.5) == "79%"
    assert pct_text(0.4) == "0%"
    assert pct_text(12.0, True) == "12%†"
    assert pct_text(None, True) == "n/a"


# --- Accessible markup -------------------------------------------------------------------------------


def test_alt_text():
    assert alt_text("Most agree", ["Agree 79%", "Disagree 8%"]) == "Chart: Most agree. Agree 79%; Disagree 8%."
    assert alt_text("Most agree.", []) == "Chart: Most agree."


def test_inline_markup_is_accessible_and_scales(tmp_path):
    alt = alt_text('Is it "fair" & <equal>?', ["Equality of opportunity 44%"])
    markup, svg, _ = save(bar_chart(FAIRNESS), tmp_path, alt=alt)
    assert markup.startswith("<svg")
    assert "<?xml" not in markup and "<!DOCTYPE" not in markup
    root = ET.fromstring(markup)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-label") == alt
    assert root[0].tag == f"{SVG}title" and root[0].text == alt
    assert "&amp; &lt;equal&gt;" in markup
    assert root.get("width") == "100%" and root.get("height") is None
    assert re.fullmatch(r"0 0 [\d.]+ [\d.]+", root.get("viewBox"))
    # The file on its own keeps its printed size and the same accessible name.
    file_root = ET.fromstring(svg)
    assert file_root.get("width").endswith("pt") and file_root.get("aria-label") == alt
    assert file_root[0].tag == f"{SVG}title"


# --- Reproducible files ------------------------------------------------------------------------------


def test_saving_twice_gives_identical_files(tmp_path):
    fig = diverging_chart(ITEMS, AGREE_SCALE, ITEM_SHARES)
    first = save(fig, tmp_path / "one")
    second = save(fig, tmp_path / "two")  # parent folders are created
    assert first == second
    rebuilt = save(diverging_chart(ITEMS, AGREE_SCALE, ITEM_SHARES), tmp_path / "three")
    assert rebuilt == first


def test_output_ignores_the_callers_matplotlib_style(tmp_path):
    plain = save(bar_chart(FAIRNESS), tmp_path / "plain")
    with mpl.rc_context({"font.size": 20, "axes.facecolor": "red", "svg.hashsalt": "other", "font.family": "serif"}):
        styled = save(bar_chart(FAIRNESS), tmp_path / "styled")
        assert mpl.rcParams["font.size"] == 20  # and the caller's settings are left alone
    assert styled == plain


def test_no_date_is_written(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    without = save(bar_chart(FAIRNESS), tmp_path / "a")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1400000000")
    with_epoch = save(bar_chart(FAIRNESS), tmp_path / "b")
    assert without == with_epoch
    assert b"dc:date" not in without[1] and b"<metadata" not in without[1]


def test_different_salts_give_different_internal_ids(tmp_path):
    fig = bar_chart(FAIRNESS)
    one, _, _ = save(fig, tmp_path, salt="finding-1")
    two, _, _ = save(fig, tmp_path, salt="finding-2")
    internal_one = {i for i in svg_ids(one) if not i.startswith("bar-")}
    internal_two = {i for i in svg_ids(two) if not i.startswith("bar-")}
    assert internal_one and internal_two
    assert not internal_one & internal_two  # two charts inlined in one page share no ids
    assert bar_ids(one) == bar_ids(two)  # the bar ids stay findable by name
    assert re.search(r'clip-path="url\(#([^)]+)\)"', one)  # references follow the renamed ids
    for reference in re.findall(r'(?:url\(#|href="#)([^)"]+)', one):
        assert reference in internal_one


def _png_chunks(data):
    position = 8
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        yield kind, data[position + 8 : position + 8 + length]
        position += 12 + length


def test_png_is_200_dpi_without_varying_metadata(tmp_path):
    _, _, png = save(bar_chart(FAIRNESS), tmp_path)
    chunks = dict(_png_chunks(png))
    x, y, unit = struct.unpack(">IIB", chunks[b"pHYs"])
    assert unit == 1 and x == y == round(200 / 0.0254)
    assert not {b"tEXt", b"iTXt", b"zTXt", b"tIME"} & set(chunks)
    with Image.open(tmp_path / "chart.png") as image:
        assert image.info["dpi"][0] == pytest.approx(200, abs=0.01)
        assert abs(image.width - 16 / 2.54 * 200) < 1
