"""Turning computed numbers into words for commentary: "79%", "eight in ten", "a majority".

Every number that reaches a reader through these helpers is wrapped in `<span class="num" data-key=...>` so
the fact-check can tell computed figures from typed ones."""

from __future__ import annotations

import math
from html import escape

from markupsafe import Markup

# Simple fractions a reader recognises, as (percentage, words). "Half" is left to prose helpers because it
# does not read as "N in M".
FRACTIONS = [
    (10, "one in ten"),
    (100 / 7, "one in seven"),
    (100 / 6, "one in six"),
    (20, "one in five"),
    (25, "one in four"),
    (30, "three in ten"),
    (100 / 3, "one in three"),
    (40, "two in five"),
    (50, "one in two"),
    (60, "three in five"),
    (200 / 3, "two in three"),
    (70, "seven in ten"),
    (75, "three in four"),
    (80, "eight in ten"),
    (90, "nine in ten"),
]
# Within this many points of a fraction it is used plainly; further away it is qualified ("almost", "over").
PLAIN_WITHIN = 1.5
# Within this many it is "almost" or "just over"; further still, "fewer than" or "more than".
QUALIFIED_WITHIN = 4.0


class Number(float):
    """A percentage (0-100) that remembers which figure it is, so its rendering can be traced."""

    def __new__(cls, value: float, key: str):
        number = super().__new__(cls, value)
        number.key = key
        return number


def round_half_up(value: float) -> int:
    """Survey convention: 12.5 -> 13 (Python's round() would give 12)."""
    return int(math.floor(value + 0.5))


def _tag(text: str, value) -> Markup:
    key = getattr(value, "key", "")
    return Markup(f'<span class="num" data-key="{escape(key)}">{escape(text)}</span>')


def pct_text(value: float) -> str:
    return f"{round_half_up(value)}%"


def pct(value: float) -> Markup:
    """79.4 -> "79%"."""
    return _tag(pct_text(value), value)


def points(value: float) -> Markup:
    """A difference in percentage points: 16.2 -> "16 points"."""
    amount = round_half_up(abs(value))
    return _tag(f"{amount} point{'s' if amount != 1 else ''}", value)


def in_n_text(value: float) -> str:
    """The nearest simple fraction in words, qualified when it is not close: 28 -> "almost three in ten"."""
    if value < 7.5:
        return "fewer than one in ten"
    if value > 97.5:
        return "almost all"
    # Judged on the percentage as printed beside it, so "79% (eight in ten)" never reads "almost".
    shown = round_half_up(value)
    share, words = min(FRACTIONS, key=lambda f: abs(f[0] - shown))
    gap = shown - share
    if abs(gap) <= PLAIN_WITHIN:
        return words
    if gap < 0:
        return f"almost {words}" if gap > -QUALIFIED_WITHIN else f"fewer than {words}"
    return f"just over {words}" if gap < QUALIFIED_WITHIN else f"more than {words}"


def in_n(value: float) -> Markup:
    return _tag(in_n_text(value), value)


def share_phrase(value: float) -> str:
    """How big a share is, in words that stay true: never "a majority" for 48%."""
    # Judged on the figure as printed, so the words never contradict the number beside them.
    shown = round_half_up(value)
    if shown > 75:
        return "a large majority"
    if shown > 50:
        return "a majority"
    if shown == 50:
        return "half"
    if shown >= 45:
        return "close to half"
    if shown >= 25:
        return "a substantial minority"
    return "a minority"
