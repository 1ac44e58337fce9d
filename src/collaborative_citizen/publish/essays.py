"""The report's words: commentary essays rendered from Markdown templates, their numbers, citations and
notes (the fact-check of what they say is fact_check.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import jinja2
import mistune
import yaml
from jinja2.sandbox import SandboxedEnvironment

from ..errors import PublishError
from ..findings.wording import Number, in_n_text, round_half_up
from ..inputs.yaml_files import load_yaml, yaml_problem
from ..typography import smarten

# ---------------------------------------------------------------------------------------------------------
# Numbers in words


# The findings' numbers and the essays' placeholders are the same kind of thing: a named, traceable figure.
Figure = Number


class Figures(dict):
    """One finding's numbers. A name the data does not have stops the build instead of printing nothing."""

    def __init__(self, name: str, values: dict, source: str):
        super().__init__({k: Figure(v, f"{name}.{k}") for k, v in values.items() if v is not None})
        self.name, self.source = name, source

    def __missing__(self, key):
        raise PublishError(f"{self.name} has no number {key!r} ({self.source} has: {', '.join(sorted(self))})")


def num_span(text: str, key: str) -> str:
    return f'<span class="num" data-key="{escape(key)}">{escape(text)}</span>'


def _figure(value, filter_name: str) -> Figure:
    # A plain number here would be a typed figure dressed up as a computed one.
    if not isinstance(value, Figure):
        raise PublishError(f"the {filter_name} filter needs a named figure such as F3.dignity_agree, not {value!r}")
    return value


def pct_html(value) -> str:
    """79.4 -> "79%", marked as a computed number."""
    figure = _figure(value, "pct")
    return num_span(f"{round_half_up(figure)}%", figure.key)


def in_n_html(value) -> str:
    """79 -> "eight in ten", marked as a computed number."""
    figure = _figure(value, "in_n")
    return num_span(in_n_text(figure), figure.key)


# ---------------------------------------------------------------------------------------------------------
# Essays


@dataclass
class Essay:
    path: Path
    slug: str
    title: str
    kind: str
    order: int
    authors: list[dict]
    date: str
    summary_note: str
    citations: dict[str, dict]  # figures from outside the survey and works the essay refers to, by id
    template: str
    body: str = ""  # HTML, once rendered
    notes: list[dict] = field(default_factory=list)  # citations in order of first use


def split_front_matter(text: str) -> tuple[dict, str]:
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---\n", 4)
    if end < 0:
        return {}, text
    return load_yaml(text[4:end]) or {}, text[end + 5 :]


REQUIRED = ("title", "authors", "kind", "order", "summary_note")


def load_essays(folder: Path) -> list[Essay]:
    """Every Markdown file of the folder whose front matter names a `kind`, in their `order`."""
    essays = []
    for path in sorted(Path(folder).glob("*.md")):
        try:
            meta, body = split_front_matter(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            raise PublishError(
                f"{path}: front matter: {yaml_problem(error)} (expected valid YAML between the --- lines)"
            ) from None
        if not isinstance(meta, dict) or "kind" not in meta:
            continue
        missing = [k for k in REQUIRED if not meta.get(k)]
        if missing:
            raise PublishError(f"{path}: front matter lacks {', '.join(missing)}")
        citations = declared_citations(meta.get("citations"), str(path))
        citations.update(declared_references(meta.get("references"), str(path), citations))
        essays.append(
            Essay(
                path=path,
                slug=path.stem,
                title=str(meta["title"]),
                kind=str(meta["kind"]),
                order=int(meta["order"]),
                authors=list(meta["authors"]),
                date=str(meta.get("date", "")),
                summary_note=str(meta["summary_note"]),
                citations=citations,
                template=body,
            )
        )
    return sorted(essays, key=lambda e: (e.order, e.slug))


class Holes:
    """Computed HTML kept out of Markdown's way: Markdown escapes raw HTML (so essays cannot smuggle markup
    in), so figures go in as private-use placeholders and come back once Markdown is done."""

    def __init__(self):
        self.snippets: list[str] = []

    def hole(self, html: str) -> str:
        self.snippets.append(html)
        return f"\ue000{len(self.snippets) - 1}\ue001"

    def fill(self, text: str) -> str:
        return re.sub("\ue000(\\d+)\ue001", lambda m: self.snippets[int(m.group(1))], text)


URL_SCHEME = re.compile(r"\b(?:https?|ftp)://", re.I)


class EssayRenderer(mistune.HTMLRenderer):
    """Headings sit below the essay's own title, and links become plain text: the report makes no requests
    and leads nowhere outside itself."""

    def __init__(self, heading_offset: int):
        super().__init__(escape=True)
        self.heading_offset = heading_offset

    def text(self, text: str) -> str:
        return super().text(smarten(URL_SCHEME.sub("", text)))

    def heading(self, text: str, level: int, **attrs) -> str:
        level = min(level + self.heading_offset, 6)
        return f"<h{level}>{text}</h{level}>\n"

    def link(self, text: str, url: str, title=None) -> str:
        return text

    def image(self, text: str, url: str, title=None) -> str:
        return escape(text)

    def inline_html(self, html: str) -> str:
        return escape(URL_SCHEME.sub("", html))

    def block_html(self, html: str) -> str:
        return f"<p>{escape(URL_SCHEME.sub('', html.strip()))}</p>\n"


class Citations:
    """Figures from outside the survey (id, figure, claim, source) and works referred to (id, source), as
    declared, numbered as notes in the order they are first used. `cite` prints the figure marked as cited, with
    a link to its note; `note` prints the link alone."""

    def __init__(self, declared: dict[str, dict], prefix: str):
        self.declared, self.prefix, self.notes = declared, prefix, []

    def _number(self, cite_id: str, call: str, kind: str) -> tuple[dict, int]:
        entry = self.declared.get(cite_id)
        if entry is None or ("figure" in entry) != (kind == "citations"):
            declared = ", ".join(k for k, e in self.declared.items() if ("figure" in e) == (kind == "citations"))
            raise PublishError(f"{call}({cite_id!r}) is not declared under {kind} (declared: {declared or 'none'})")
        if entry not in self.notes:
            self.notes.append(entry)
        return entry, self.notes.index(entry) + 1

    def _link(self, n: int) -> str:
        return f'<a class="fnref" id="{self.prefix}-fnref-{n}" href="#{self.prefix}-fn-{n}"><sup>{n}</sup></a>'

    def cite(self, cite_id: str) -> str:
        entry, n = self._number(cite_id, "cite", "citations")
        return f'<span class="cite" data-cite="{escape(cite_id)}">{escape(entry["figure"])}</span>{self._link(n)}'

    def note(self, ref_id: str) -> str:
        _, n = self._number(ref_id, "note", "references")
        return self._link(n)


def declared_citations(entries: list | None, where: str) -> dict[str, dict]:
    citations = {}
    for entry in entries or []:
        if not isinstance(entry, dict) or not all(entry.get(k) for k in ("id", "figure", "claim", "source")):
            raise PublishError(f"{where}: a citation needs id, figure, claim and source ({entry})")
        citations[str(entry["id"])] = {k: str(entry[k]) for k in ("id", "figure", "claim", "source")}
    return citations


def declared_references(entries: list | None, where: str, taken: dict) -> dict[str, dict]:
    """Works an essay refers to, each an id and its source as the note prints it (author, year, title,
    publisher), with no figure: a figure from another source goes under citations, so that it is fact-checked."""
    references = {}
    for entry in entries or []:
        if not isinstance(entry, dict) or not all(entry.get(k) for k in ("id", "source")):
            raise PublishError(f"{where}: a reference needs an id and a source ({entry})")
        if str(entry["id"]) in taken or str(entry["id"]) in references:
            raise PublishError(
                f"{where}: the id {entry['id']!r} is declared twice (citations and references share ids)"
            )
        references[str(entry["id"])] = {"id": str(entry["id"]), "source": str(entry["source"])}
    return references


def render_essay(essay: Essay, context: dict, heading_offset: int = 1) -> Essay:
    """Fill the essay's placeholders from `context` (F1..F8, wave) and turn its Markdown into HTML."""
    holes = Holes()
    citations = Citations(essay.citations, essay.slug)

    def cite(cite_id: str) -> str:
        return holes.hole(citations.cite(cite_id))

    def note(ref_id: str) -> str:
        return holes.hole(citations.note(ref_id))

    # Sandboxed: an essay is text with placeholders, not a program.
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.filters["pct"] = lambda v: holes.hole(pct_html(v))
    env.filters["in_n"] = lambda v: holes.hole(in_n_html(v))
    try:
        text = env.from_string(essay.template).render(**context, cite=cite, note=note)
    except jinja2.TemplateSyntaxError as error:
        raise PublishError(f"{essay.path}: line {error.lineno + _body_line(essay)}: {error.message}") from None
    except jinja2.UndefinedError as error:
        raise PublishError(f"{essay.path}:{_template_line(error, essay)} {error.message}") from None
    except PublishError as error:
        raise PublishError([f"{essay.path}: {p}" for p in error.problems]) from None
    except jinja2.exceptions.SecurityError as error:
        raise PublishError(
            f"{essay.path}:{_template_line(error, essay)} {error} (expected text with {{{{ }}}} "
            "placeholders: an essay may not call methods or reach into objects)"
        ) from None
    except (jinja2.TemplateError, TypeError) as error:
        said = (
            "an essay cannot include or import other files" if "loader" in str(error) else " ".join(str(error).split())
        )
        raise PublishError(
            f"{essay.path}:{_template_line(error, essay)} {said} (expected text with {{{{ }}}} placeholders)"
        ) from None
    markdown = mistune.create_markdown(renderer=EssayRenderer(heading_offset), plugins=["strikethrough", "table"])
    essay.body = holes.fill(markdown(text))
    essay.notes = citations.notes
    return essay


def _template_line(error: Exception, essay: Essay) -> str:
    """' line 12:' for the essay's own line where jinja2's traceback names it, '' otherwise."""
    import traceback

    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename == "<template>" and frame.lineno:
            return f" line {frame.lineno + _body_line(essay)}:"
    return ""


def _body_line(essay: Essay) -> int:
    """Lines of front matter above the template, so errors point at the file's own line numbers."""
    whole = essay.path.read_text(encoding="utf-8")
    return whole[: len(whole) - len(essay.template)].count("\n")
