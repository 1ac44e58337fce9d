"""The weighted tables' definition, cell by cell: each cell's indicator, each group's mask, and estimate_share
and compare_with_rest called once per cell. The fast engine (tables.py) is tested against it, and a wave with
strata or clusters is computed by it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..inputs.codebook import Variable
from ..inputs.loading import Respondents

# Bases below these are flagged (read with caution) and suppressed (never shown to readers): publication_rules.py
# applies them to the unweighted and the effective base; the engine's own flag uses the unweighted base only.
from .publication_rules import ENGINE_COLUMNS, LOW_BASE, SUPPRESS_BASE
from .statistics import compare_with_rest, estimate_share

COLUMNS = list(ENGINE_COLUMNS)


@dataclass(frozen=True)
class Cell:
    """What one row of the table is about: an answer or net of a question (and grid item)."""

    question: str
    item: str
    answer: str
    answer_type: str  # "answer" or "net"
    indicator: np.ndarray  # 1 chose it, 0 did not, NaN not asked


def base_flag(base_unweighted: int) -> str:
    if base_unweighted < SUPPRESS_BASE:
        return "suppressed"
    if base_unweighted < LOW_BASE:
        return "low_base"
    return ""


def question_cells(respondents: Respondents, question: Variable) -> list[Cell]:
    """The 0/1 indicators behind every row of a question: answers first, in code order, then nets."""
    cells = []
    if question.type == "multi":
        chosen = {a.key: respondents.codes(question.answer_variable(a.key)) for a in question.answers}
        for answer in question.answers:
            cells.append(Cell(question.key, "", answer.key, "answer", chosen[answer.key]))
        for net in question.nets:
            # A net of a multi question counts people who chose any of its answers, not mentions.
            any_chosen = np.nanmax(np.column_stack([chosen[k] for k in net.answers]), axis=1)
            cells.append(Cell(question.key, "", net.key, "net", any_chosen))
        return cells
    for item, variable in zip(question.items or [None], question.variables):
        if item is not None and not respondents.asks_item(question.key, item.key):
            continue
        codes = respondents.codes(variable)
        asked = ~np.isnan(codes)
        item_key = item.key if item is not None else ""
        for answer in question.answers:
            cells.append(
                Cell(
                    question.key,
                    item_key,
                    answer.key,
                    "answer",
                    np.where(asked, (codes == answer.code).astype(float), np.nan),
                )
            )
        for net in question.nets:
            net_codes = [question.answer(k).code for k in net.answers]
            cells.append(
                Cell(
                    question.key,
                    item_key,
                    net.key,
                    "net",
                    np.where(asked, np.isin(codes, net_codes).astype(float), np.nan),
                )
            )
    return cells


def breakdowns(respondents: Respondents) -> list[tuple[str, str, np.ndarray]]:
    """(breakdown, group, mask) for the total and every group of every demographic variable."""
    groups = [("total", "total", np.ones(len(respondents), dtype=bool))]
    for key, variable in respondents.codebook.demographics.items():
        codes = respondents.codes(key)
        for answer in variable.answers:
            mask = codes == answer.code
            # A group no one in this wave belongs to (Northern Ireland in a GB survey) has no figures at all.
            if mask.any():
                groups.append((key, answer.key, mask))
    return groups


def weighted_tables_reference(respondents: Respondents, design=None) -> pd.DataFrame:
    """The tables computed cell by cell with estimate_share and compare_with_rest: slow (it masks the whole
    sample once per cell), kept as the definition the fast engine is tested against, and the engine for a wave
    with strata or clusters (`design`), where each cell also records its rows and design degrees of freedom
    for the exact-type interval (`_rows`, `_df`)."""
    weights = respondents.weights
    groups = breakdowns(respondents)
    rows = []
    for question in respondents.codebook.questions.values():
        if not respondents.asks(question.key):
            continue
        for cell in question_cells(respondents, question):
            for breakdown, group, mask in groups:
                estimate = estimate_share(cell.indicator, weights, domain=mask, design=design)
                row = {
                    "wave": respondents.wave.id,
                    "question": cell.question,
                    "item": cell.item,
                    "answer": cell.answer,
                    "answer_type": cell.answer_type,
                    "breakdown": breakdown,
                    "group": group,
                    "pct": 100 * estimate.share,
                    "se": 100 * estimate.se,
                    "ci_low": 100 * estimate.ci_low,
                    "ci_high": 100 * estimate.ci_high,
                    "base_unweighted": estimate.base_unweighted,
                    "base_weighted": estimate.base_weighted,
                    "base_effective": estimate.base_effective,
                    "flag": base_flag(estimate.base_unweighted),
                    "pct_rest": np.nan,
                    "z_vs_rest": np.nan,
                    "p_vs_rest": np.nan,
                }
                if breakdown != "total" and estimate.base_unweighted > 0:
                    comparison = compare_with_rest(cell.indicator, weights, group=mask, design=design)
                    row.update(
                        pct_rest=100 * comparison.share_rest, z_vs_rest=comparison.z, p_vs_rest=comparison.p_value
                    )
                if design is not None:
                    domain = mask & ~np.isnan(cell.indicator)
                    row.update(_rows=int(domain.sum()), _df=design.degf(weights, domain))
                rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS + (["_rows", "_df"] if design is not None else []))
