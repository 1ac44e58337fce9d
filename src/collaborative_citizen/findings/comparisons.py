"""How a finding compares groups: the subgroups that differ significantly from the rest, each named as a reader
would name it and set against everyone else in its breakdown (a mixin of `Finding`)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..analysis.publication_rules import LOW_BASE
from ..analysis.statistics import ALPHA
from .wording import Number

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


class GroupComparisons:
    """The comparisons a finding's commentary makes between groups (its `table` and `config` come from `Finding`)."""

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
