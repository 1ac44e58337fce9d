"""How a finding draws its chart (a mixin of `Finding`): the chart kind report.yml names, the values from the
finding's figures, saved as SVG and PNG with title, base and source, and drawn again for a phone's width."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..typography import smarten
from . import charts
from .wording import pct_text


@dataclass
class Chart:
    svg: str
    narrow_svg: str
    alt: str
    caption: str
    svg_path: Path
    png_path: Path
    published_shown: int


class FindingChart:
    """Draws the finding's chart from its figures (`value`, `question`, `spec` and the rest come from `Finding`)."""

    def _values(self, answers, item: str = "") -> list:
        return [
            charts.Value(
                a.key,
                a.label,
                float(self.value(a.key, item)),
                published=(self.question.key, item, a.key) in self.published,
                residual=a.residual,
            )
            for a in answers
        ]

    def draw(self, figures_dir: str | Path = "figures") -> Chart:
        """Draw the finding's chart, save it as SVG and 200 dpi PNG in figures/<wave>/, return it (None when the
        wave did not ask the question). The HTML also gets the chart drawn for a phone's width (charts.NARROW)."""
        if not self.asked:
            return None
        figure, parts, published_shown, caption = self._chart_figure()
        figures_dir = Path(figures_dir) / self.wave.id
        stem = f"figure-{self.number}-{self.slug.replace('_', '-')}"
        alt = charts.alt_text(self.spec["title"], parts)
        svg_path, png_path = figures_dir / f"{stem}.svg", figures_dir / f"{stem}.png"
        salt = f"cc-{self.wave.id}-figure-{self.number}"
        source = f"Source: {self.wave.agency} for {self.config.get('publisher', '')}, {self.wave.title}."
        svg = charts.save_chart(
            figure,
            svg_path,
            png_path,
            salt=salt,
            alt=alt,
            heading=smarten(f"Figure {self.number}: {self.spec['title']}"),
            footer=smarten(f"{self.base_line().rstrip('.')}. {source}"),
        )
        with charts.narrow():
            narrow = charts.chart_markup(self._chart_figure()[0], salt=f"{salt}-narrow", alt=alt, css_class="narrow")
        # Bar ids are the same in every chart ("bar-main-dont_know"); inlined together they must stay unique.
        svg = svg.replace('id="bar-', f'id="figure-{self.number}-bar-')
        narrow = narrow.replace('id="bar-', f'id="figure-{self.number}-narrow-bar-')
        self.chart = Chart(
            svg=svg,
            narrow_svg=narrow,
            alt=alt,
            caption=f"Figure {self.number}: {caption}",
            svg_path=svg_path,
            png_path=png_path,
            published_shown=published_shown,
        )
        return self.chart

    def _chart_figure(self):
        """(figure, the text alternative's parts, published figures shown, caption) of the finding's chart."""
        question, chart_spec = self.question, self.spec["chart"]
        kind = chart_spec["type"]
        parts, published_shown = [], 0
        if kind in ("bars", "ranked"):
            values = self._values(question.answers)
            # Nets the finding leads with ("some or a lot"), drawn first.
            nets = {n.key: n for n in question.nets}
            values = [
                charts.Value(
                    key,
                    nets[key].label,
                    float(self.value(key)),
                    published=(question.key, "", key) in self.published,
                    net=True,
                )
                for key in chart_spec.get("nets", [])
            ] + values
            figure = charts.bar_chart(values, ranked=kind == "ranked")
            shown = charts.ranked_values(values) if kind == "ranked" else values
            parts = [f"{v.label} {pct_text(v.pct)}" for v in shown]
            published_shown = sum(v.published for v in values)
            caption = "Answers chosen, % of all respondents" + (
                f" (up to {question.max_answers} answers each)" if question.type == "multi" else ""
            )
        elif kind == "trend":
            series = {self.wave.id: self._values(question.answers)}
            for wave_id, figures in reversed(list(self.earlier.items())):
                sources = set(self.changes_table[self.changes_table.previous_wave == wave_id].previous_source)
                series[wave_id] = [
                    charts.Value(
                        a.key,
                        a.label,
                        figures.get(a.key),
                        published=self.wave.reconstructed and a.key in figures and sources == {"published"},
                    )
                    for a in question.answers
                ]
            figure = charts.paired_bar_chart(series)
            parts = [
                f"{a.label}: "
                + ", ".join(
                    f"{w} {pct_text(v.pct) if v.pct is not None else 'not published'}"
                    for w, vs in series.items()
                    for v in vs
                    if v.key == a.key
                )
                for a in question.answers
            ]
            published_shown = sum(v.published for vs in series.values() for v in vs)
            caption = "% of all respondents, " + " compared with ".join(series)
        elif kind == "diverging":
            figure, parts, published_shown = self._diverging(chart_spec)
            caption = "% of respondents asked about each " + ("statement" if question.split_variable else "item")
        elif kind == "grid":
            figure, parts, published_shown = self._grid(chart_spec)
            caption = "% saying each way of organising services would make things better, worse or no different"
        else:
            raise ValueError(f"report.yml: finding {self.number}: unknown chart type {kind!r}")
        return figure, parts, published_shown, caption

    def _diverging(self, spec: dict):
        question = self.question
        side_of = {k: side for side in ("left", "right", "aside") for k in spec[side]}
        # In questionnaire order, so the chart can stack each side from the middle of the scale outwards.
        segments = [charts.Segment(a.key, a.label, side_of[a.key]) for a in question.answers if a.key in side_of]
        rows, shares, published = [], {}, set()
        earlier = self.earlier
        for item in self.items:
            # An item asked in earlier waves is shown beside them, this wave first.
            waves = [w for w in reversed(list(earlier)) if self.key(segments[0].key, item.key) in earlier[w]]
            suffix = f" ({self.wave.id})" if waves else ""
            rows.append((item.key, item.label + suffix))
            shares[item.key] = {s.key: float(self.value(s.key, item.key)) for s in segments}
            for wave_id in waves:
                rows.append((f"{item.key}-{wave_id}", f"{item.label} ({wave_id})"))
                shares[f"{item.key}-{wave_id}"] = {
                    s.key: earlier[wave_id].get(self.key(s.key, item.key)) for s in segments
                }
            for side in ("right", "left"):
                if (question.key, item.key, spec[f"{side}_net"]) in self.published:
                    published.add((item.key, side))
        figure = charts.diverging_chart(rows, segments, shares, published=published)
        right, left = spec["right_net"], spec["left_net"]
        parts = [
            f"{i.label}: {question.label_of(right)} {pct_text(self.value(right, i.key))}, "
            f"{question.label_of(left)} {pct_text(self.value(left, i.key))}"
            for i in self.items
        ]
        return figure, parts, len(published)

    def _grid(self, spec: dict):
        question = self.question
        ways, aspects = question.groupings["ways"], question.groupings["aspects"]
        # Better on the right, worse on the left, no difference aside, as in report.yml: each side its own hue.
        side_of = {k: side for side in ("left", "aside") for k in spec.get(side, [])}
        segments = [charts.Segment(k, question.label_of(k), side_of.get(k, "right")) for k in spec["show"]]
        shares, published, parts = {}, set(), []
        for item in question.items:
            shares[(item.aspect, item.way)] = {s.key: float(self.value(s.key, item.key)) for s in segments}
            for s in segments:
                if (question.key, item.key, s.key) in self.published:
                    published.add((item.aspect, item.way, s.key))
            parts.append(
                f"{ways[item.way]}, {aspects[item.aspect].lower()}: "
                + ", ".join(f"{s.label.lower()} {pct_text(shares[(item.aspect, item.way)][s.key])}" for s in segments)
            )
        figure = charts.small_multiples_chart(
            list(aspects.items()), list(ways.items()), segments, shares, published=published
        )
        return figure, parts, len(published)
