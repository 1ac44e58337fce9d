"""The parts that summarise the tables (a mixin of `PartBuilder`): the appendix of every weighted table, what
changed since earlier waves, and the key findings that open the report."""

from __future__ import annotations

import json
from pathlib import Path

from markupsafe import Markup

from ..errors import PublishError
from .appendix import LOW_BASE_BELOW, SUPPRESSED_BELOW, column_groups, column_widths, columns
from .essays import (
    Figure,
)


def read_json(path: Path) -> dict:
    if not path.is_file():
        raise PublishError(f"{path}: missing (the findings notebooks write it; run them first)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise PublishError(f"{path}: not valid JSON ({error})") from None


class SummaryParts:
    """Parts built from results.csv, changes.csv and the findings' summaries (`paths`, `inputs`, `add` and
    `render` come from `PartBuilder`)."""

    def part_appendix(self, part, spec):
        # One table per item for `breakdowns`, and a second for `more_breakdowns` (as many columns as fit a page).
        sets = []
        for breakdowns in (spec.get("breakdowns") or [], spec.get("more_breakdowns") or []):
            cols = columns(self.inputs["codebook"], breakdowns)
            if sets and len(cols) == 1:
                continue  # no further breakdown this wave collected
            questions = self.inputs["tables"](cols)
            sets.append(
                {
                    "columns": {**column_groups(cols), "widths": column_widths(questions, cols)},
                    "tables": {q["key"]: q["tables"] for q in questions},
                    "by": " and ".join(dict.fromkeys(c["heading"].lower() for c in cols[1:])),
                    "questions": questions,
                }
            )
        self.add(
            part,
            self.render(
                "appendix.html.j2",
                part,
                questions=sets[0]["questions"],
                sets=sets,
                low_base=LOW_BASE_BELOW,
                suppressed=SUPPRESSED_BELOW,
            ),
        )
        return []

    def part_changes(self, part, spec):
        """'What changed since <earlier waves>': for each earlier wave with respondent data, the figures it was the
        latest to ask and those of them that changed significantly, largest first, from changes.csv. Absent when
        no earlier wave has respondent data to test against."""
        changes = self.inputs["changes"]()
        tested = changes[changes.latest & (changes.previous_source == "respondent data")]
        if tested.empty:
            return None
        codebook = self.inputs["codebook"]
        order = {w: n for n, w in enumerate(self.inputs["wave_order"])}
        previous_waves = sorted(set(tested.previous_wave), key=lambda w: (order.get(w, -1), w), reverse=True)
        named = sorted(previous_waves, key=lambda w: (order.get(w, -1), w))
        since = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
        part.title = f"{spec.get('title', 'What changed since')} {since}"
        groups = []
        for previous in previous_waves:
            these = tested[tested.previous_wave == previous]
            significant = these[these.significant == "True"].copy()
            significant["size"] = significant.change_pp.abs()
            rows = []
            for r in significant.sort_values(
                ["size", "question", "item", "answer"], ascending=[False, True, True, True]
            ).itertuples():
                question = codebook.questions[r.question]
                key = f"changes.{r.question}.{r.item}.{r.answer}"
                rows.append(
                    {
                        "question": question.wording,
                        "item": question.item(r.item).label if r.item else "",
                        "answer": question.label_of(r.answer),
                        "now": Figure(float(r.pct), key),
                        "before": Figure(float(r.previous_pct), f"{key}.{previous}"),
                        "change": Figure(float(r.change_pp), f"{key}.change"),
                        "p_value": float(r.p_value),
                        "p_adjusted": float(r.p_adjusted),
                    }
                )
            notes = sorted(set(these.design_note) - {""})
            groups.append({"previous": previous, "compared": len(these), "rows": rows, "note": "; ".join(notes)})
        self.add(part, self.render("changes.html.j2", part, groups=groups, lead=spec.get("lead", "")))
        return []

    def part_key_findings(self, part, spec):
        """The first point of every finding this wave asked, and how many figures changed since each earlier
        wave: generated from the findings' own summaries and changes.csv, so its numbers are theirs."""
        findings = []
        for finding in self.config["findings"]:
            summary_path = self.paths.out / "findings" / f"F{finding['number']}.json"
            summary = read_json(summary_path) if summary_path.is_file() else {}
            if summary.get("asked") and summary.get("bullets"):
                findings.append(
                    {"number": finding["number"], "title": finding["title"], "headline": Markup(summary["bullets"][0])}
                )
        if not findings:
            return None
        changes = self.inputs["changes"]()
        tested = changes[changes.latest & (changes.previous_source == "respondent data")]
        summary = [
            {
                "previous": w,
                "compared": int((tested.previous_wave == w).sum()),
                "significant": int(((tested.previous_wave == w) & (tested.significant == "True")).sum()),
            }
            for w in sorted(set(tested.previous_wave), reverse=True)
        ]
        self.add(part, self.render("key_findings.html.j2", part, findings=findings, changes=summary))
        return []
