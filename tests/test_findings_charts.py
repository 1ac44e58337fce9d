"""The published charts read as their findings do (findings.py, charts.py): every segment labelled or seen, legends
in the codebook's scale order, the number each finding leads with drawn in its chart."""

import re

import pytest
from conftest import DATA

from collaborative_citizen.findings.charts import RULE, contrast
from collaborative_citizen.findings.finding import load_report_config
from collaborative_citizen.inputs.codebook import load_codebook

BAR = re.compile(r'<g id="[^"]*-bar-[^"]*">\s*<path d="([^"]+)"[^>]*style="([^"]+)"', re.S)
TEXT = re.compile(r'<text style="([^"]+)" x="([-\d.]+)" y="([-\d.]+)"[^>]*>([^<]*)</text>')


def _figures(html: str) -> dict[int, str]:
    return {
        int(n): figure
        for n, figure in re.findall(r'<figure class="chart" id="figure-(\d+)">(.*?)</figure>', html, re.S)
    }


def _svgs(figure: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", figure, re.S)


def _style(style: str, name: str) -> str:
    found = re.search(rf"(?:^|;)\s*{name}:\s*([^;]+)", style)
    return found.group(1).strip() if found else ""


def test_every_segment_is_labelled_or_has_contrast(report_html):
    """WCAG 1.4.11: a bar or segment whose fill is under 3:1 against the white page (and the white rules between
    segments) carries its value (inside it, or at a bar's end), or an outline in the rule colour."""
    checked = 0
    for number, figure in _figures(report_html).items():
        for svg in _svgs(figure):
            texts = [(float(x), float(y), _style(style, "text-anchor")) for style, x, y, _ in TEXT.findall(svg)]
            for path, style in BAR.findall(svg):
                fill = _style(style, "fill")
                if contrast(fill) >= 3.0:
                    continue
                checked += 1
                xs = [float(v) for v in re.findall(r"([-\d.]+) [-\d.]+", path)]
                ys = [float(v) for v in re.findall(r"[-\d.]+ ([-\d.]+)", path)]
                inside = any(
                    min(ys) <= y <= max(ys)
                    and (
                        (anchor == "middle" and min(xs) <= x <= max(xs))  # inside a segment
                        or (anchor == "start" and 0 <= x - max(xs) <= 6)  # just beyond a bar's end
                        or (anchor == "end" and 0 <= min(xs) - x <= 6)
                    )
                    for x, y, anchor in texts
                )
                outlined = _style(style, "stroke").lower() == RULE.lower()
                assert inside or outlined, f"figure {number}: a {fill} segment with neither its value nor an outline"
    assert checked > 10  # (the light fills exist: the check ran)


def test_legends_follow_the_codebooks_scale_order_residual_last(report_html):
    config = load_report_config("report/report.yml")
    codebook = load_codebook(DATA / "codebook.yml")
    figures = _figures(report_html)
    checked = 0
    for spec in config["findings"]:
        if spec["chart"]["type"] not in ("diverging", "grid") or spec["number"] not in figures:
            continue
        question = codebook.questions[spec["question"]]
        chart = spec["chart"]
        shown = [*chart.get("right", []), *chart.get("left", []), *chart.get("aside", []), *chart.get("show", [])]
        expected = [a.label for a in question.answers if a.key in shown]
        legend = _legend(_svgs(figures[spec["number"]])[0])
        assert legend == expected, (spec["number"], legend)
        residual = [a.label for a in question.answers if a.key in shown and a.residual]
        assert legend[len(legend) - len(residual) :] == residual
        checked += 1
    assert checked == 4  # findings 3, 4, 5 and 6


def _legend(svg: str) -> list[str]:
    """The legend's labels in reading order (rows top to bottom, then left to right)."""
    legend = svg[re.search(r'<g id="[^"]*legend_\d+"', svg).start() :]
    found = [(float(y), float(x), text) for _, x, y, text in TEXT.findall(legend)]
    return [text for _, _, text in sorted(found, key=lambda t: (round(t[0]), t[1]))]


@pytest.mark.parametrize("number", range(1, 9))
def test_each_finding_draws_the_number_it_leads_with(report_html, number):
    section = re.search(rf'<section class="finding" id="finding-{number}".*?</section>', report_html, re.S).group(0)
    first = re.search(r'<ul class="commentary"><li>(.*?)</li>', section, re.S).group(1)
    lead = re.findall(r'class="num"[^>]*>(\d+)%<', first)[0]
    for svg in _svgs(_figures(report_html)[number]):
        values = {text.strip().rstrip("†").rstrip("%") for _, _, _, text in TEXT.findall(svg)}
        assert lead in values, f"finding {number} leads with {lead}%, which its chart does not show"


def test_each_chart_links_to_its_figures_as_a_table(report_html):
    """WCAG 1.1.1 beyond the text alternative: each chart's data is one link away, as a table with headers."""
    links = re.findall(r'<p class="chart-data"><a href="#([^"]+)">Figure (\d+) as a table', report_html)
    assert [int(n) for _, n in links] == list(range(1, 9))
    for target, _ in links:
        block = re.search(rf'<section class="table-block" id="{target}">(.*?)</section>', report_html, re.S)
        assert block and "<th" in block.group(1) and "<td" in block.group(1), target
