"""Typographic quotes, apostrophes and dashes, set once where Markdown becomes HTML (the commentary bullets and
the essays), so that no template or essay has to type them: 'it's' becomes "it’s", "quoted" becomes “quoted”,
a spaced hyphen an en dash, and a range of numbers (15-24) takes an en dash."""

from __future__ import annotations

import functools
import re

# Entities a template's autoescaping writes for quotes, read back as the characters they stand for.
_QUOTE_ENTITIES = (("&#34;", '"'), ("&quot;", '"'), ("&#39;", "'"), ("&#x27;", "'"), ("&apos;", "'"))
_OPENING_CONTEXT = r"(^|[\s(\[{\u2014\u2013/-])"


# Parts of a fragment whose text stays as written: charts (their SVG files stand on their own) and code.
_VERBATIM = re.compile(r"<(svg|code|pre)\b.*?</\1>", re.S)
_TEXT = re.compile(r">([^<]+)<")
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DATE = re.compile(rf"\b(?:(\d{{1,2}}) )?({_MONTHS})(?: (\d{{4}}))?\b(?<=\d|[a-z])")


def smarten_html(html: str) -> str:
    """Every text node of an HTML fragment smartened, outside charts and code; tags and attributes untouched."""
    pieces, last = [], 0
    for verbatim in _VERBATIM.finditer(html):
        pieces.append(_TEXT.sub(lambda m: f">{smarten(m.group(1))}<", html[last : verbatim.start()]))
        pieces.append(verbatim.group(0))
        last = verbatim.end()
    pieces.append(_TEXT.sub(lambda m: f">{smarten(m.group(1))}<", html[last:]))
    return "".join(pieces)


# The same label or cell text comes back thousands of times in a report (the appendix), and every save in `make
# preview` smartens the whole report again.
@functools.lru_cache(maxsize=16384)
def smarten(text: str) -> str:
    for entity, character in _QUOTE_ENTITIES:
        text = text.replace(entity, character)
    text = re.sub(rf"{_OPENING_CONTEXT}\"", "\\1\u201c", text)
    text = text.replace('"', "\u201d")
    text = re.sub(rf"{_OPENING_CONTEXT}'(?=\w)", "\\1\u2018", text)
    text = text.replace("'", "\u2019")
    text = re.sub(r"(?<=\d)-(?=\d)", "\u2013", text)  # 15-24, 2014-15
    text = re.sub(r" - ", " \u2013 ", text)
    # A date never breaks across lines: "31 January 2014" is held together by no-break spaces,
    text = _DATE.sub(lambda m: "\u00a0".join(part for part in m.groups() if part), text)
    # a range of days within one month ("7–20 August") by a word joiner after its dash, and a range of two dates
    # ("31 January – 6 February") may break after its dash but never before it.
    text = re.sub(rf"(?<=\d)\u2013(?=\d{{1,2}}\u00a0(?:{_MONTHS})\b)", "\u2013\u2060", text)
    return re.sub(rf"((?:{_MONTHS})(?:\u00a0\d{{4}})?) \u2013 (?=\d)", "\\1\u00a0\u2013 ", text)
