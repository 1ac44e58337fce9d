"""What a finding says (a mixin of `Finding`): its base line and notes, its commentary bullets rendered from the
finding's template in report/findings/, and the finding's HTML section."""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape
from pathlib import Path

import jinja2

from .wording import in_n, pct, points, round_half_up, share_phrase


def sentence_case(text: str) -> str:
    """Capitalise the first letter only ("people in social grades AB" -> "People in social grades AB")."""
    return text[:1].upper() + text[1:]


def lower_first(text: str) -> str:
    """An answer label inside a sentence: "Being accessible" -> "being accessible"."""
    return text[:1].lower() + text[1:] if not text[1:2].isupper() else text


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


def template_problem(error: Exception, path: Path, finding) -> str:
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


class FindingText:
    """The finding's words (`table`, `wave`, `question` and the figures come from `Finding`)."""

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
