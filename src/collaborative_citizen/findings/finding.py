"""One finding of the report: its numbers, chart, base line, notes and commentary, all from results.csv.

A finding notebook calls, in order: `Finding.load(...)`, `.draw(...)`, `.write_summary(...)`, `.html()`."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from pathlib import Path

import jinja2
import pandas as pd
import yaml

from ..analysis.changes import read_changes, read_not_asked
from ..analysis.statistics import ALPHA
from ..analysis.tables import LOW_BASE, read_results
from ..inputs.codebook import Codebook, Variable, load_codebook, load_yaml, yaml_problem
from ..inputs.waves import Wave, load_wave, wave_folder
from ..typography import smarten
from . import charts
from .wording import Number, in_n, pct, pct_text, points, round_half_up, share_phrase

# A subgroup difference is worth a sentence when it is significant at ALPHA (statistics.py) ...
# ... and rests on at least this many respondents (the tables' low-base threshold).
MIN_BASE = LOW_BASE


@dataclass(frozen=True)
class Difference:
    """A group that differs significantly from everyone else on one answer."""

    question: str
    item: str
    answer: str
    breakdown: str
    group: str
    who: str
    pct: Number
    rest: Number
    p_value: float
    base: int
    p_adjusted: float = math.nan
    others: str = "everyone else asked"  # the rest of the sample, named as the commentary compares with it

    @property
    def higher(self) -> bool:
        return self.pct > self.rest

    @property
    def gap(self) -> Number:
        return Number(abs(self.pct - self.rest), f"{self.pct.key}-vs-rest")

    def as_json(self) -> dict:
        return {
            "question": self.question,
            "item": self.item,
            "answer": self.answer,
            "breakdown": self.breakdown,
            "group": self.group,
            "pct": round(float(self.pct), 6),
            "pct_rest": round(float(self.rest), 6),
            "p_value": round(float(self.p_value), 8),
            "p_adjusted": round(float(self.p_adjusted), 8),
            "base_unweighted": self.base,
        }


@dataclass
class Chart:
    svg: str
    narrow_svg: str
    alt: str
    caption: str
    svg_path: Path
    png_path: Path
    published_shown: int


def sentence_case(text: str) -> str:
    """Capitalise the first letter only ("people in social grades AB" -> "People in social grades AB")."""
    return text[:1].upper() + text[1:]


def lower_first(text: str) -> str:
    """An answer label inside a sentence: "Being accessible" -> "being accessible"."""
    return text[:1].lower() + text[1:] if not text[1:2].isupper() else text


def load_report_config(path: str | Path) -> dict:
    try:
        return load_yaml(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ValueError(f"{path}: {yaml_problem(error)} (expected valid YAML)") from None


def published_cells(wave: Wave) -> set[tuple[str, str, str]]:
    """(question, item, answer) of whole-sample figures the original report published, for a reconstructed
    wave: every other figure shown from it is an assumption and must be presented as one."""
    path = wave.folder / "targets.csv"
    if not wave.reconstructed or not path.is_file():
        return set()
    targets = pd.read_csv(path, dtype=str, keep_default_na=False)
    figures = targets[(targets.kind == "figure") & (targets.breakdown == "total")]
    return set(zip(figures.question, figures["item"], figures.answer))


@dataclass(frozen=True)
class Change:
    """A figure of this wave against the same figure in the latest earlier wave that has it (changes.csv)."""

    wave: str
    before: Number
    now: Number
    p_value: float  # NaN when the earlier figure cannot be tested (published without a base)
    design_note: str  # how the two waves' designs differ, "" when they do not
    p_adjusted: float = math.nan  # adjusted for every change tested (publication_rules.py)

    @property
    def testable(self) -> bool:
        return not math.isnan(self.p_value)

    @property
    def significant(self) -> bool:
        """Significant once adjusted for every change tested, as a reviewer would count it."""
        return self.testable and self.p_adjusted < ALPHA

    @property
    def up(self) -> bool:
        return self.now > self.before

    @property
    def gap(self) -> Number:
        return Number(abs(self.now - self.before), f"{self.now.key}-since-{self.wave}")


@lru_cache(maxsize=4)
def _commentary_templates(folder: str) -> jinja2.Environment:
    """One environment per folder of commentary templates, shared by the findings (a kernel that runs several
    compiles the shared ones once; an edited template is read again, as jinja2 checks the file's time).
    Autoescaping: a label or phrase from the codebook or report.yml enters the commentary as text, never as
    markup; the number filters give their own (escaped) markup."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        pct=pct, in_n=in_n, points=points, share_phrase=share_phrase, sentence=sentence_case, lower_first=lower_first
    )
    return env


@lru_cache(maxsize=1)
def _markdown():
    """Markdown for the commentary bullets, with typographic quotes and dashes in their text (typography.py)."""
    import mistune

    from ..typography import smarten

    class Renderer(mistune.HTMLRenderer):
        def text(self, text: str) -> str:
            return super().text(smarten(text))

    return mistune.create_markdown(escape=False, renderer=Renderer(escape=False))


class TemplateProblem(ValueError):
    """A commentary template that cannot be rendered; the message names the template's file and line."""


def template_problem(error: Exception, path: Path, finding: "Finding") -> str:
    """'report/findings/04_x.md.j2, line 12: no number understand_preferences_always_often in this wave ...'."""
    line = getattr(error, "lineno", None)
    where = str(getattr(error, "filename", None) or path)
    if line is None:
        # jinja2 rewrites the traceback so that the template's own frames carry its file and line.
        import traceback

        for frame in reversed(traceback.extract_tb(error.__traceback__)):
            if frame.filename.endswith(".j2"):
                where, line = frame.filename, frame.lineno
                break
    message = str(getattr(error, "message", None) or error)
    found = re.search(r"has no attribute '([^']+)'", message)
    if isinstance(error, jinja2.UndefinedError) and found:
        message = (
            f"no number {found.group(1)} in wave {finding.wave.id} (this wave did not ask it, or the key "
            "is misspelt; guard it with {% if '" + found.group(1) + "' in n %})"
        )
    try:
        where = str(Path(where).resolve().relative_to(Path.cwd()))
    except ValueError:
        pass
    return f"{where}{f', line {line}' if line else ''}: {message}"


@dataclass
class Finding:
    number: int
    spec: dict
    wave: Wave
    codebook: Codebook
    table: pd.DataFrame  # this question's rows of results.csv
    config: dict
    template_dir: Path
    published: set = field(default_factory=set)
    changes_table: pd.DataFrame = field(default_factory=pd.DataFrame)  # this question's rows of changes.csv
    claims: list = field(default_factory=list)
    last_asked: str | None = None  # for a question this wave did not ask: the latest earlier wave that did
    chart: Chart | None = None
    # Items of the question this wave did not ask: (item, the latest earlier wave that asked it, or "").
    items_not_asked: list = field(default_factory=list)

    @classmethod
    def load(
        cls,
        number: int,
        wave: str,
        data_dir: str | Path = "data",
        build_dir: str | Path = "report/build",
        report_config: str | Path = "report/report.yml",
    ) -> "Finding":
        data_dir, config = Path(data_dir), load_report_config(report_config)
        specs = {f["number"]: f for f in config["findings"]}
        if number not in specs:
            raise KeyError(f"{report_config}: no finding {number} (findings: {sorted(specs)})")
        spec = specs[number]
        the_wave = load_wave(wave_folder(data_dir, wave))
        codebook = load_codebook(data_dir / "codebook.yml").for_wave(the_wave)
        question = codebook.questions[spec["question"]]
        out = Path(build_dir) / the_wave.id
        results = read_results(out / "results.csv")
        changes = read_changes(out / "changes.csv")
        # What this wave did not ask, with the wave that last did, as the tables step found it.
        missing = read_not_asked(out / "not_asked.csv")
        missing = missing[missing.question == question.key]
        table = results[results.question == question.key].reset_index(drop=True)
        whole = missing[missing["item"] == ""]
        return cls(
            number=number,
            spec=spec,
            wave=the_wave,
            codebook=codebook,
            table=table,
            config=config,
            template_dir=Path(report_config).parent / "findings",
            published=published_cells(the_wave),
            changes_table=changes[changes.question == question.key].reset_index(drop=True),
            last_asked=(whole.last_asked.iloc[0] or None) if len(whole) else None,
            items_not_asked=[(r.item, r.last_asked) for r in missing[missing["item"] != ""].itertuples()],
        )

    @property
    def asked(self) -> bool:
        """A wave need not ask every question; a finding it did not ask is reported as such, not dropped."""
        return not self.table.empty

    # --- numbers ---------------------------------------------------------------------------------------------

    @property
    def question(self) -> Variable:
        return self.codebook.questions[self.spec["question"]]

    @property
    def slug(self) -> str:
        return self.spec["notebook"].split("_", 1)[1]

    def row(self, answer: str, item: str = "", breakdown: str = "total", group: str = "total") -> pd.Series:
        rows = self._rows().get((item, answer, breakdown, group), [])
        if len(rows) != 1:
            raise KeyError(
                f"finding {self.number}: no figure for {self.question.key}/{item or '-'}/{answer} "
                f"in {breakdown}={group}"
            )
        return self.table.iloc[rows[0]]

    def _rows(self) -> dict[tuple, list[int]]:
        """Positions in the table by (item, answer, breakdown, group): a chart looks up a hundred figures or so,
        and filtering the table for each was a tenth of a finding's time."""
        if getattr(self, "_row_positions", None) is None:
            self._row_positions = {}
            columns = zip(self.table["item"], self.table.answer, self.table.breakdown, self.table.group)
            for position, key in enumerate(columns):
                self._row_positions.setdefault(key, []).append(position)
        return self._row_positions

    def value(self, answer: str, item: str = "") -> Number:
        return Number(float(self.row(answer, item).pct), self.key(answer, item))

    @staticmethod
    def key(answer: str, item: str = "") -> str:
        return f"{item}_{answer}" if item else answer

    def numbers(self) -> dict[str, Number]:
        """Every whole-sample figure of the finding by key (`<item>_<answer>` for grids), its aliases, and
        earlier waves' figures as `<answer>_<wave id>`."""
        totals = self.table[self.table.breakdown == "total"]
        found = {
            self.key(r.answer, r.item): Number(float(r.pct), self.key(r.answer, r.item)) for r in totals.itertuples()
        }
        for alias, key in (self.spec.get("aliases") or {}).items():
            if key in found:  # a wave may not ask every item
                found[alias] = Number(float(found[key]), alias)
        for r in self.changes_table.itertuples():
            key = f"{self.key(r.answer, r.item)}_{r.previous_wave}"
            found[key] = Number(float(r.previous_pct), key)
        return found

    @property
    def earlier(self) -> dict[str, dict[str, float]]:
        """Earlier waves' whole-sample figures for this question, oldest first: {wave: {figure key: pct}}."""
        found: dict[str, dict[str, float]] = {}
        for r in self.changes_table.itertuples():
            found.setdefault(r.previous_wave, {})[self.key(r.answer, r.item)] = float(r.previous_pct)
        return found

    def changes(self, answer: str, item: str = "") -> list[Change]:
        """This wave's figure against the latest earlier wave that has it, as tested in changes.csv."""
        t = self.changes_table
        rows = t[(t.answer == answer) & (t["item"] == item) & t.latest]
        key = self.key(answer, item)
        return [
            Change(
                r.previous_wave,
                Number(float(r.previous_pct), f"{key}_{r.previous_wave}"),
                Number(float(r.pct), key),
                float(r.p_value),
                r.design_note,
                float(r.p_adjusted),
            )
            for r in rows.itertuples()
        ]

    def notable(self, answer: str, item: str = "", limit: int = 2, exclude=()) -> list[Difference]:
        """Groups that differ significantly from the rest on this answer, largest difference first, at most one
        group per breakdown (in a two-group breakdown both groups are the same comparison). `exclude`: groups
        (as the commentary names them) a bullet before has named already, so that the next picks another."""
        t = self.table
        # Both bases at least MIN_BASE (no flag), significant once adjusted for every subgroup test of the wave.
        rows = t[
            (t["item"] == item)
            & (t.answer == answer)
            & (t.breakdown != "total")
            & (t.base_unweighted >= MIN_BASE)
            & (t.flag == "")
            & (t.p_vs_rest_adjusted < ALPHA)
        ].copy()
        rows["gap"] = (rows.pct - rows.pct_rest).abs().round(9)
        # In a two-group breakdown both groups give the same test; describe the smaller one ("people without
        # internet access"), which is how a reader thinks of the difference.
        rows = rows.sort_values(["gap", "base_weighted", "breakdown", "group"], ascending=[False, True, True, True])
        rows = rows.drop_duplicates("breakdown")
        if exclude:
            named = set(exclude)
            rows = rows[[self.group_phrase(b, g) not in named for b, g in zip(rows.breakdown, rows.group)]]
        rows = rows.head(limit)
        found = []
        for r in rows.itertuples():
            key = f"{self.key(answer, item)}_{r.breakdown}_{r.group}"
            difference = Difference(
                self.question.key,
                item,
                answer,
                r.breakdown,
                r.group,
                self.group_phrase(r.breakdown, r.group),
                Number(float(r.pct), key),
                Number(float(r.pct_rest), f"{key}_rest"),
                float(r.p_vs_rest),
                int(r.base_unweighted),
                float(r.p_vs_rest_adjusted),
                self.others_phrase(r.breakdown, r.group),
            )
            found.append(difference)
            if difference not in self.claims:
                self.claims.append(difference)
        return found

    # --- chart -------------------------------------------------------------------------------------------------

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

    @property
    def items(self) -> list:
        """The question's grid items this wave asked, in questionnaire order."""
        asked = set(self.table["item"])
        return [i for i in self.question.items if i.key in asked]

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

    # --- text --------------------------------------------------------------------------------------------------

    def base_line(self) -> str:
        """'Base: 989 adults aged 15+ in Great Britain, 31 January - 6 February 2014'; for a split sample the
        base of each half."""
        wave = self.wave
        totals = self.table[(self.table.breakdown == "total")]
        if self.question.split_variable and len(self.items) > 1:
            halves = [
                f"{int(totals[totals['item'] == i.key].base_unweighted.iloc[0]):,} asked \u201c{i.label}\u201d"
                for i in self.items
            ]
            return (
                f"Base: {wave.population}, split sample: " + "; ".join(halves) + f". Fieldwork {wave.fieldwork_text}."
            )
        base = int(totals.base_unweighted.max())
        line = f"Base: {base:,} {wave.population}, {wave.fieldwork_text}"
        if not self.question.dont_know_in_base:
            line += "; those answering don\u2019t know are not in the base"
        return line

    def rounding_note(self) -> str | None:
        question = self.question
        if question.type == "multi":
            return (
                f"Respondents could choose up to {question.max_answers} answers, so percentages add up to "
                "more than 100."
            )
        totals = self.table[(self.table.breakdown == "total") & (self.table.answer_type == "answer")]
        sums = totals.groupby("item").pct.apply(lambda p: sum(round_half_up(x) for x in p))
        if (sums != 100).any():
            return "Percentages are rounded to whole numbers, so they may not add up to exactly 100."
        return None

    def reconstruction_note(self) -> str | None:
        if not self.wave.reconstructed:
            return None
        if self.chart is None:
            raise RuntimeError("draw the chart before writing its notes")
        shown = (
            "only figures marked \u2020 were published; the rest are assumptions"
            if self.chart.published_shown
            else "none of these figures was published; all are assumptions"
        )
        return f"Reconstructed data: {shown} (see Methods)."

    def ranked(self, item: str = "") -> list[Number]:
        """The question's substantive answers (not don't know, none or other), largest first."""
        skip = {"other"} | {a.key for a in self.question.answers if a.exclusive or a.key == "dont_know"}
        values = [self.value(a.key, item) for a in self.question.answers if a.key not in skip]
        return sorted(values, key=lambda v: (-float(v), v.key))

    def groups(self, answer: str, item: str, breakdown: str) -> list[tuple[str, Number]]:
        """Every shown (not suppressed) group of one breakdown: (phrase, figure)."""
        t = self.table
        rows = t[(t["item"] == item) & (t.answer == answer) & (t.breakdown == breakdown) & (t.flag != "suppressed")]
        return [
            (
                self.group_phrase(breakdown, r.group),
                Number(float(r.pct), f"{self.key(answer, item)}_{breakdown}_{r.group}"),
            )
            for r in rows.itertuples()
        ]

    def group_phrase(self, breakdown: str, group: str) -> str:
        """How commentary names a group (report.yml's group_phrases), with the group's label as this wave has it:
        'people aged 15-24' reads 'people aged 16-24' in a 16+ survey."""
        phrase = self.config.get("group_phrases", {}).get(breakdown, {}).get(group, f"{breakdown} {group}")
        variable = self.codebook.demographics.get(breakdown)
        if variable is not None and self.codebook.source is not None:
            ours, theirs = self.codebook.original_label(breakdown, group), variable.label_of(group)
            if ours != theirs:
                phrase = phrase.replace(ours, theirs)
        return phrase

    def others_phrase(self, breakdown: str, group: str) -> str:
        """Everyone outside `group` in its breakdown, named as a reader would: the other group of two ("women"),
        the ages either side of an age band ("people aged 25 and over"), or report.yml's `other_groups` wording
        with the other groups' labels ("people in social grades C1, C2 and DE")."""
        variable = self.codebook.demographics.get(breakdown)
        present = sorted(set(self.table[self.table.breakdown == breakdown].group))
        keys = [a.key for a in variable.answers if a.key in present] if variable is not None else present
        others = [k for k in keys if k != group]
        if len(others) == 1:
            return self.group_phrase(breakdown, others[0])
        if breakdown == "age_band" and variable is not None and group in keys:
            lows = [int(re.match(r"\d+", variable.label_of(k)).group(0)) for k in keys]
            at = keys.index(group)
            if at == 0:
                return f"people aged {lows[1]} and over"
            if at == len(keys) - 1:
                return f"people aged {lows[0]}\u2013{lows[at] - 1}"
            return "people of other ages"
        wording = self.config.get("other_groups", {}).get(breakdown)
        if wording and variable is not None and others:
            labels = [variable.label_of(k) for k in others]
            listed = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
            return wording.replace("{groups}", listed)
        return "everyone else asked"

    def template_context(self) -> dict:
        question = self.question
        return {
            "n": self.numbers(),
            "notable": self.notable,
            "changes": self.changes,
            "ranked": self.ranked,
            "groups": self.groups,
            "question": question,
            "wave": self.wave,
            "earlier": self.earlier,
            "label": question.label_of,
            "item_label": lambda k: question.item(k).label,
            "items": [i.key for i in self.items],
            "base": int(self.table[self.table.breakdown == "total"].base_unweighted.max()),
        }

    def commentary(self) -> list[str]:
        """The finding's bullets as HTML, from its template filled with this wave's numbers."""
        if getattr(self, "_bullets", None) is None:
            self._bullets = self._render_commentary()
        return self._bullets

    def _render_commentary(self) -> list[str]:
        name = f"{self.spec['notebook']}.md.j2"
        try:
            template = _commentary_templates(str(self.template_dir)).get_template(name)
            text = template.render(**self.template_context())
        except jinja2.TemplateError as error:
            raise TemplateProblem(template_problem(error, self.template_dir / name, self)) from None
        # A bullet is a line starting "- "; continuation lines are joined so templates can wrap freely.
        bullets, current = [], []
        for line in text.splitlines():
            if line.startswith("- "):
                if current:
                    bullets.append(" ".join(current))
                current = [line[2:].strip()]
            elif line.strip() and current:
                current.append(line.strip())
        if current:
            bullets.append(" ".join(current))
        render = _markdown()
        html = []
        for bullet in bullets:
            if bullet:
                inner = render(bullet).strip()
                html.append(inner.removeprefix("<p>").removesuffix("</p>"))
        return html

    def not_asked_items_note(self) -> str:
        """'Not asked in 2016: "Understand your preferences ..." (last asked in 2014).'"""
        said = []
        for item, last in self.items_not_asked:
            label = f"\u201c{self.question.item(item).label}\u201d"
            said.append(f"{label} (last asked in {last})" if last else label)
        return f"Not asked in {self.wave.id}: " + "; ".join(said) + "."

    def not_asked_html(self) -> str:
        since = (
            f"It was last asked in {self.last_asked}; see that wave's report for its results."
            if self.last_asked
            else "No earlier wave in this project asked it either."
        )
        return "\n".join(
            [
                f'<section class="finding not-asked" id="finding-{self.number}" data-finding="{self.number}">',
                f'<p class="finding-number">Finding {self.number}</p>',
                f"<h2>{escape(self.spec['title'])}</h2>",
                f'<p class="question"><span class="q">Q.</span> {escape(self.question.wording)}</p>',
                f'<p class="note not-asked">This question was not asked in the {escape(self.wave.id)} survey '
                f"({escape(self.wave.fieldwork_prose)}). {escape(since)}</p>",
                "</section>",
            ]
        )

    def html(self) -> str:
        if not self.asked:
            return self.not_asked_html()
        if self.chart is None:
            raise RuntimeError("draw the chart before rendering the finding")
        question = self.question
        notes = [("rounding", self.rounding_note()), ("reconstruction", self.reconstruction_note())]
        bullets = self.commentary()
        parts = [
            f'<section class="finding" id="finding-{self.number}" data-finding="{self.number}">',
            f'<p class="finding-number">Finding {self.number}</p>',
            f"<h2>{escape(self.spec['title'])}</h2>",
            f'<p class="question"><span class="q">Q.</span> {escape(question.wording)}</p>',
            f'<figure class="chart" id="figure-{self.number}">{self.chart.svg}{self.chart.narrow_svg}'
            f"<figcaption>{escape(self.chart.caption)}</figcaption></figure>",
            f'<p class="base">{escape(self.base_line())}</p>',
        ]
        if any(part.get("kind") == "appendix" for part in self.config.get("parts", [])):
            # Every figure of the chart, as a table, for a reader who cannot see the chart or wants the numbers.
            parts.append(
                f'<p class="chart-data"><a href="#table-{escape(question.key)}">Figure {self.number} as a table, '
                "with every group, in the appendix</a></p>"
            )
        parts += [f'<p class="note {kind}">{escape(text)}</p>' for kind, text in notes if text]
        if self.items_not_asked:
            parts.append(f'<p class="note not-asked">{escape(self.not_asked_items_note())}</p>')
        parts.append('<ul class="commentary">' + "".join(f"<li>{b}</li>" for b in bullets) + "</ul>")
        parts.append("</section>")
        return "\n".join(parts)

    def summary(self) -> dict:
        if not self.asked:
            return {
                "finding": self.number,
                "wave": self.wave.id,
                "title": self.spec["title"],
                "question": self.question.key,
                "wording": self.question.wording,
                "asked": False,
                "last_asked": self.last_asked,
                "numbers": {},
                "bases": {},
                "subgroup_claims": [],
                "bullets": [],
            }
        bullets = self.commentary()
        bases = {}
        for r in self.table[(self.table.breakdown == "total")].itertuples():
            bases.setdefault(r.item or "total", int(r.base_unweighted))
        return {
            "finding": self.number,
            "wave": self.wave.id,
            "title": self.spec["title"],
            "question": self.question.key,
            "wording": self.question.wording,
            "asked": True,
            "numbers": {k: round(float(v), 6) for k, v in sorted(self.numbers().items())},
            "bases": bases,
            "base_line": self.base_line(),
            "published": sorted(f"{i}_{a}" if i else a for q, i, a in self.published if q == self.question.key),
            "subgroup_claims": [d.as_json() for d in self.claims],
            "bullets": bullets,
            "figure": {
                "svg": self.chart.svg_path.as_posix() if self.chart else None,
                "png": self.chart.png_path.as_posix() if self.chart else None,
                "alt": self.chart.alt if self.chart else None,
            },
        }

    def write_summary(self, build_dir: str | Path = "report/build") -> Path:
        """The finding's key numbers as JSON in report/build/<wave>/findings/, for the essays to cite."""
        path = Path(build_dir) / self.wave.id / "findings" / f"F{self.number}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        summary = self.summary()
        path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path
