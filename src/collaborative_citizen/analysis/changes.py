"""Changes since earlier waves: every whole-sample figure of a wave against the same figure in each earlier
wave that has it, tested as independent samples.

Earlier waves with respondent data give linearised standard errors. Figures known only as published
aggregates (data/published/) are tested with the standard error of a simple random sample of their published
base (their effective base is unknown, so this is generous to a change); without a published base they are
shown but not tested, and commentary says so instead of reading a direction into the sign."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ..inputs.codebook import Codebook
from ..inputs.loading import load_respondents
from ..inputs.published import published_waves
from ..inputs.waves import Wave, available_waves
from .cell_tables import question_cells
from .results_file import write_results
from .statistics import ALPHA, ShareEstimate, compare_independent, estimate_share

COLUMNS = [
    "wave",
    "previous_wave",
    "question",
    "item",
    "answer",
    "pct",
    "previous_pct",
    "change_pp",
    "p_value",
    "p_adjusted",
    "significant",
    "latest",
    "previous_source",
    "design_note",
]


def design_note(current, earlier) -> str:
    """What differs between two waves' designs, for the reader to keep in view; empty when nothing does."""
    if current.design_summary == earlier.design_summary and current.population == earlier.population:
        return ""
    return f"{earlier.id}: {earlier.design_summary}; {current.id}: {current.design_summary}"


def _published_estimate(pct: float, base) -> ShareEstimate | None:
    if base is None:
        return None
    share = pct / 100
    return ShareEstimate(
        share, math.sqrt(share * (1 - share) / (base - 1)), math.nan, math.nan, int(base), float(base), float(base)
    )


def _scaled(estimate: ShareEstimate, design_factor: float | None) -> ShareEstimate:
    """An earlier wave's estimate with its agency's design factor applied, as its own tables have it."""
    if not design_factor:
        return estimate
    return ShareEstimate(
        estimate.share,
        estimate.se * design_factor,
        estimate.ci_low,
        estimate.ci_high,
        estimate.base_unweighted,
        estimate.base_weighted,
        estimate.base_effective,
    )


def earlier_estimates(data_dir: Path, wave: Wave, codebook: Codebook) -> list[tuple[object, dict]]:
    """[(earlier wave, {(question, item, answer): ShareEstimate or published pct})], oldest first."""
    sources = []
    for other in available_waves(data_dir):
        if other.fieldwork_start >= wave.fieldwork_start:
            continue
        respondents = load_respondents(other, codebook)
        figures = {}
        for question in codebook.questions.values():
            if respondents.asks(question.key):
                for cell in question_cells(respondents, question):
                    figures[(cell.question, cell.item, cell.answer)] = _scaled(
                        estimate_share(cell.indicator, respondents.weights, design=respondents.design),
                        respondents.design_factor,
                    )
        sources.append((other, figures))
    for other in published_waves(data_dir):
        if other.fieldwork_start >= wave.fieldwork_start:
            continue
        figures = {
            (f["question"], f["item"], f["answer"]): _published_estimate(f["pct"], f["base"]) or f["pct"]
            for f in other.figures
        }
        sources.append((other, figures))
    return sorted(sources, key=lambda s: (s[0].fieldwork_start, s[0].id))


NOT_ASKED_COLUMNS = ["wave", "question", "item", "last_asked"]


def not_asked(asked: dict, wave: Wave, codebook: Codebook, sources) -> pd.DataFrame:
    """Every codebook question, and every item of a grid this wave asked in part, that this wave did not ask, with
    the latest earlier wave that did (empty when none did). A question none of the waves so far asked (one
    added to the codebook for a later wave) is not listed."""
    asked_in = {}
    for other, figures in sources:
        for question, item, _ in figures:
            asked_in.setdefault((question, ""), []).append(other.id)
            asked_in.setdefault((question, item), []).append(other.id)
    rows = []
    for question in codebook.questions.values():
        if question.key not in asked:
            last = asked_in.get((question.key, ""))
            if last:
                rows.append({"wave": wave.id, "question": question.key, "item": "", "last_asked": last[-1]})
            continue
        for item in question.items:
            if item.key not in asked[question.key]:
                last = asked_in.get((question.key, item.key))
                rows.append(
                    {
                        "wave": wave.id,
                        "question": question.key,
                        "item": item.key,
                        "last_asked": last[-1] if last else "",
                    }
                )
    return pd.DataFrame(rows, columns=NOT_ASKED_COLUMNS)


def read_not_asked(path: Path) -> pd.DataFrame:
    if not path.is_file():
        return pd.DataFrame(columns=NOT_ASKED_COLUMNS)
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def wave_changes(
    table: pd.DataFrame, wave: Wave, codebook: Codebook, data_dir: Path, sources: list | None = None
) -> pd.DataFrame:
    """One row per whole-sample figure of this wave and earlier wave that has it; `latest` marks the most recent
    earlier wave for each figure, the comparison commentary reports."""
    totals = table[table.breakdown == "total"]
    rows = []
    sources = earlier_estimates(data_dir, wave, codebook) if sources is None else sources
    for other, figures in sources:
        source = "respondent data" if isinstance(other, Wave) else "published"
        note = design_note(wave, other)
        for r in totals.itertuples():
            before = figures.get((r.question, r.item, r.answer))
            if before is None:
                continue
            if isinstance(before, ShareEstimate):
                now = ShareEstimate(
                    r.pct / 100,
                    r.se / 100,
                    r.ci_low / 100,
                    r.ci_high / 100,
                    int(r.base_unweighted),
                    float(r.base_weighted),
                    float(r.base_effective),
                )
                test = compare_independent(now, before)
                previous, p_value = 100 * before.share, test.p_value
            else:
                previous, p_value = float(before), math.nan
            rows.append(
                {
                    "wave": wave.id,
                    "previous_wave": other.id,
                    "question": r.question,
                    "item": r.item,
                    "answer": r.answer,
                    "pct": r.pct,
                    "previous_pct": previous,
                    "change_pp": r.pct - previous,
                    "p_value": p_value,
                    "p_adjusted": math.nan,
                    "significant": bool(p_value < ALPHA) if not math.isnan(p_value) else "",
                    "latest": False,
                    "previous_source": source,
                    "design_note": note,
                }
            )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    if not frame.empty:
        order = {other.id: n for n, (other, _) in enumerate(sources)}
        frame["_order"] = frame.previous_wave.map(order)
        latest = frame.groupby(["question", "item", "answer"])._order.transform("max")
        frame["latest"] = frame._order == latest
        frame = frame.drop(columns="_order")
    return frame


def write_changes(frame: pd.DataFrame, path: Path) -> bool:
    # Same atomic, fixed-format writer as results.csv.
    return write_results(frame, path)


def read_changes(path: Path) -> pd.DataFrame:
    if not path.is_file():
        return pd.DataFrame(columns=COLUMNS)
    frame = pd.read_csv(
        path,
        dtype={"wave": str, "previous_wave": str, "item": str, "significant": str, "design_note": str},
        keep_default_na=False,
        na_values={c: [""] for c in ("pct", "previous_pct", "change_pp", "p_value", "p_adjusted")},
    )
    frame["latest"] = frame.latest.astype(str) == "True"
    return frame
