"""The fact-check: every proportion in the report's prose is computed from the data or cited.

A typed figure ("79%", "one in four", "about half") in an essay or a template is an error: numbers come from
the tables through the templates' filters (marked `class="num"`) or from a declared citation (`data-cite`).
"""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser

from ..errors import PublishError
from .kept import KeptResults

# Everything that reads as a proportion: 79%, 79 per cent, 16 points, one in four, 3 in 10, two-thirds,
# a third of, half of, about half.
_WORD_N = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|\d+)"
_WORD_M = r"(?:two|three|four|five|six|seven|eight|nine|ten|twenty|a\s+hundred|hundred|\d+)"
_PART = r"(?:half|halves|thirds?|quarters?|fifths?|sixths?|eighths?|tenths?)"
PROPORTION = re.compile(
    r"\d+(?:[.,]\d+)?\s*(?:%|per\s?cent\b|percent\b|percentage\s+points?\b|points?\b)"
    rf"|\b{_WORD_N}\s+(?:in|out\s+of)\s+{_WORD_M}\b"
    rf"|\b(?:one|two|three|four|five|seven|nine)-{_PART}\b"
    rf"|\b(?:a|one|two|three|four|five|seven|nine)\s+{_PART}\s+of\b"
    r"|\bhalf\s+(?:of|the|all|those|people|respondents|adults)\b"
    r"|\b(?:about|almost|around|nearly|over|under|roughly|just|exactly)\s+(?:a\s+)?half\b"
    r"|\b(?:per\s?cent|percent)\b",
    re.I,
)

BLOCKS = {
    "p",
    "li",
    "td",
    "th",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "figcaption",
    "caption",
    "dt",
    "dd",
    "blockquote",
    "div",
    "section",
    "article",
    "header",
    "footer",
    "aside",
    "figure",
    "table",
    "tr",
    "ul",
    "ol",
    "dl",
    "nav",
    "main",
    "body",
    "br",
    "pre",
}
VOID = {"br", "img", "hr", "input", "meta", "link", "wbr", "source", "col", "area", "base", "embed", "param", "track"}
# Charts are drawn from the data by code, and style sheets are not prose.
SKIP = {"svg", "style", "script", "template", "title", "head"}
MASK = "\ue010"
# "that half of the sample" names a split-sample group, not a proportion.
GROUP_HALF = re.compile(r"\b(?:that|this|each|either|other|which|first|second)\s+$", re.I)


class _Text(HTMLParser):
    """The readable text of an HTML fragment as blocks, with computed and cited characters masked."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str]] = []
        self.blocks: list[tuple[str, str]] = []  # (original, masked)
        self.original: list[str] = []
        self.masked: list[str] = []

    def _flush(self):
        text = "".join(self.original)
        if text.strip():
            self.blocks.append((text, "".join(self.masked)))
        self.original, self.masked = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in BLOCKS:
            self._flush()
        if tag in VOID:
            return
        if tag in SKIP:
            role = "skip"
        elif "num" in (attrs.get("class") or "").split() or "data-cite" in attrs:
            role = "sourced"
        else:
            role = ""
        self.stack.append((tag, role))

    def handle_startendtag(self, tag, attrs):
        if tag in BLOCKS:
            self._flush()

    def handle_endtag(self, tag):
        if tag in BLOCKS:
            self._flush()
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        roles = {role for _, role in self.stack}
        if "skip" in roles:
            return
        self.original.append(data)
        self.masked.append(MASK * len(data) if "sourced" in roles else data)

    def close(self):
        super().close()
        self._flush()


def _sentence(text: str, start: int, end: int) -> str:
    left = max(text.rfind(". ", 0, start), text.rfind("? ", 0, start), text.rfind("! ", 0, start))
    left = 0 if left < 0 else left + 2
    right = min(
        [i for i in (text.find(". ", end), text.find("? ", end), text.find("! ", end)) if i >= 0], default=len(text) - 1
    )
    return " ".join(text[left : right + 1].split())


def unsourced_figures(html: str) -> list[tuple[str, str]]:
    """(phrase, sentence) for each proportion in the HTML's text that is neither computed nor cited."""
    return list(_unsourced(html))


# `make preview` checks the same parts again after every save: only a part whose HTML changed is read again.
@functools.lru_cache(maxsize=256)
def _unsourced(html: str) -> tuple[tuple[str, str], ...]:
    parser = _Text()
    parser.feed(html)
    parser.close()
    found = []
    for original, masked in parser.blocks:
        for match in PROPORTION.finditer(masked):
            if match.group(0).lower().startswith("half") and GROUP_HALF.search(masked[: match.start()]):
                continue
            found.append((original[match.start() : match.end()], _sentence(original, match.start(), match.end())))
    return tuple(found)


def fact_check(parts: list[tuple[str, str]], kept: KeptResults | None = None) -> None:
    """Fail on any typed proportion. `parts` holds (where, html) pairs; `where` names the part and its file. Each
    part's findings are kept between builds in `kept`."""
    kept = kept or KeptResults(None)
    problems = [
        f'fact-check: {where}: "{phrase}" comes from neither the data nor a declared citation, in: "{sentence}"'
        for where, html in parts
        for phrase, sentence in kept.get("fact_check", [html], lambda html=html: unsourced_figures(html))
    ]
    if problems:
        raise PublishError(problems)
