"""Weighted tables: every answer and net of every question, for the total and every demographic group."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .codebook import Variable
from .loading import Respondents
from .statistics import compare_with_rest, estimate_share

# Unweighted bases below these are flagged (read with caution) and suppressed (never shown to readers).
LOW_BASE = 100
SUPPRESS_BASE = 50

COLUMNS = ["wave", "question", "item", "answer", "answer_type", "breakdown", "group", "pct", "se",
           "ci_low", "ci_high", "base_unweighted", "base_weighted", "base_effective", "flag",
           "pct_rest", "z_vs_rest", "p_vs_rest"]


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
        codes = respondents.codes(variable)
        asked = ~np.isnan(codes)
        item_key = item.key if item is not None else ""
        for answer in question.answers:
            cells.append(Cell(question.key, item_key, answer.key, "answer",
                              np.where(asked, (codes == answer.code).astype(float), np.nan)))
        for net in question.nets:
            net_codes = [question.answer(k).code for k in net.answers]
            cells.append(Cell(question.key, item_key, net.key, "net",
                              np.where(asked, np.isin(codes, net_codes).astype(float), np.nan)))
    return cells


def breakdowns(respondents: Respondents) -> list[tuple[str, str, np.ndarray]]:
    """(breakdown, group, mask) for the total and every group of every demographic variable."""
    groups = [("total", "total", np.ones(len(respondents), dtype=bool))]
    for key, variable in respondents.codebook.demographics.items():
        codes = respondents.codes(key)
        for answer in variable.answers:
            groups.append((key, answer.key, codes == answer.code))
    return groups


def weighted_tables(respondents: Respondents) -> pd.DataFrame:
    """One row per cell: every answer and net, for the total and every demographic group."""
    weights = respondents.weights
    groups = breakdowns(respondents)
    rows = []
    for question in respondents.codebook.questions.values():
        if not respondents.wave.asks(question.key):
            continue
        for cell in question_cells(respondents, question):
            for breakdown, group, mask in groups:
                estimate = estimate_share(cell.indicator, weights, domain=mask)
                row = {"wave": respondents.wave.id, "question": cell.question, "item": cell.item,
                       "answer": cell.answer, "answer_type": cell.answer_type, "breakdown": breakdown,
                       "group": group, "pct": 100 * estimate.share, "se": 100 * estimate.se,
                       "ci_low": 100 * estimate.ci_low, "ci_high": 100 * estimate.ci_high,
                       "base_unweighted": estimate.base_unweighted, "base_weighted": estimate.base_weighted,
                       "base_effective": estimate.base_effective, "flag": base_flag(estimate.base_unweighted),
                       "pct_rest": np.nan, "z_vs_rest": np.nan, "p_vs_rest": np.nan}
                if breakdown != "total" and estimate.base_unweighted > 0:
                    comparison = compare_with_rest(cell.indicator, weights, group=mask)
                    row.update(pct_rest=100 * comparison.share_rest, z_vs_rest=comparison.z,
                               p_vs_rest=comparison.p_value)
                rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def write_results(table: pd.DataFrame, path: Path) -> None:
    """Write results.csv atomically, so a failed build never leaves half a table behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".csv.partial")
    table.to_csv(partial, index=False, float_format="%.10g", lineterminator="\n")
    partial.replace(path)


def read_results(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"wave": str, "item": str, "group": str}, keep_default_na=False,
                       na_values={c: [""] for c in ("pct", "se", "ci_low", "ci_high", "pct_rest", "z_vs_rest",
                                                   "p_vs_rest", "base_weighted", "base_effective")})


def lookup(table: pd.DataFrame, question: str, answer: str, item: str = "", breakdown: str = "total",
           group: str = "total") -> pd.Series:
    """The single row of results for one cell; KeyError naming the cell when it is absent."""
    match = table[(table.question == question) & (table["item"] == item) & (table.answer == answer)
                  & (table.breakdown == breakdown) & (table.group == group)]
    if len(match) != 1:
        raise KeyError(f"results: no single row for {question}/{item or '-'}/{answer} in {breakdown}={group}")
    return match.iloc[0]
