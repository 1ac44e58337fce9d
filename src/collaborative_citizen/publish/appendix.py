"""Full tables for readers: the report's appendix and the Excel workbook beside it, both from results.csv."""

from __future__ import annotations

import io
import math
import re
import zipfile
from typing import TYPE_CHECKING

from ..analysis.thresholds import LOW_BASE, SUPPRESS_BASE
from ..findings.wording import round_half_up
from ..inputs.codebook import Codebook

if TYPE_CHECKING:
    import pandas as pd

# The thresholds of results.csv's `flag` column, in words for the key.
SUPPRESSED_BELOW = SUPPRESS_BASE
LOW_BASE_BELOW = LOW_BASE


def columns(codebook: Codebook, breakdowns: list[dict]) -> list[dict]:
    """Total, then every group of each breakdown: {breakdown, group, label, heading}."""
    cols = [{"breakdown": "total", "group": "total", "label": "Total", "heading": ""}]
    for entry in breakdowns:
        if entry["key"] not in codebook.demographics:
            continue  # a demographic this wave did not collect has no column
        names = entry.get("groups") or {}
        for answer in codebook[entry["key"]].answers:
            cols.append(
                {
                    "breakdown": entry["key"],
                    "group": answer.key,
                    "heading": entry.get("label", entry["key"]),
                    "label": names.get(answer.key, answer.label),
                }
            )
    return cols


def column_groups(cols: list[dict]) -> dict:
    groups: list[dict] = []
    for col in cols:
        if groups and groups[-1]["key"] == col["breakdown"]:
            groups[-1]["span"] += 1
        else:
            groups.append({"key": col["breakdown"], "label": col["heading"], "span": 1})
    cells = [{**col, "first": i == 0 or cols[i - 1]["breakdown"] != col["breakdown"]} for i, col in enumerate(cols)]
    return {"groups": groups, "cells": cells}


def _cell(row) -> dict:
    if row is None:
        return {"text": "", "cls": "", "value": None}
    if row.flag == "suppressed":
        return {"text": "*", "cls": "suppressed", "value": "*"}
    text = "" if math.isnan(row.pct) else str(round_half_up(row.pct))
    return {"text": text, "cls": "low" if row.flag == "low_base" else "", "value": row.pct}


def _base(row) -> dict:
    if row is None:
        return {"text": "", "cls": "", "value": None}
    base = int(row.base_unweighted)
    # Brackets, the survey-table convention for a low base; the dagger already marks published figures.
    if base < SUPPRESSED_BELOW:
        return {"text": f"{base:,}*", "cls": "low", "value": base}
    if base < LOW_BASE_BELOW:
        return {"text": f"({base:,})", "cls": "low", "value": base}
    return {"text": f"{base:,}", "cls": "", "value": base}


def question_tables(results: pd.DataFrame, codebook: Codebook, cols: list[dict], titles: dict[str, str]) -> list[dict]:
    """One block per question, one table per item, one row per answer then net, one cell per column."""
    index = {(r.question, r.item, r.answer, r.breakdown, r.group): r for r in results.itertuples(index=False)}
    blocks = []
    for question in codebook.questions.values():
        if not (results.question == question.key).any():
            continue  # not asked in this wave
        tables = []
        for item in question.items or [None]:
            item_key = item.key if item else ""
            keys = [(a.key, a.label, "answer") for a in question.answers] + [
                (n.key, n.label, "net") for n in question.nets
            ]
            rows = []
            for key, label, kind in keys:
                found = [index.get((question.key, item_key, key, c["breakdown"], c["group"])) for c in cols]
                if any(f is not None for f in found):
                    rows.append({"label": label, "kind": kind, "cells": [_cell(f) for f in found], "key": key})
            if not rows:
                continue
            first = rows[0]["key"]
            bases = [_base(index.get((question.key, item_key, first, c["breakdown"], c["group"]))) for c in cols]
            tables.append({"caption": item.label if item else "", "rows": rows, "bases": bases})
        blocks.append(
            {
                "key": question.key,
                "title": titles.get(question.key, question.key),
                "wording": question.wording,
                "tables": tables,
            }
        )
    return blocks


def column_widths(blocks: list[dict], cols: list[dict]) -> list[str]:
    """Each group column's width, from its widest text (heading or any cell, bases included): the print style
    sheet lays the tables out with these widths (table-layout: fixed) instead of measuring every cell twice,
    which was a third of the time WeasyPrint spent on the appendix. The row labels get what is left."""
    chars = [len(col["label"]) for col in cols]
    for block in blocks:
        for table in block["tables"]:
            for cells in [*(row["cells"] for row in table["rows"]), table["bases"]]:
                for n, cell in enumerate(cells):
                    chars[n] = max(chars[n], len(cell["text"]))
    # A character of a table cell in Source Sans 3 Bold averages under 0.63 em (its digits: 0.528 em, "%" 0.857
    # em); 0.9 em is the cell's padding on both sides.
    return [f"{0.63 * max(n, 3) + 0.9:.2f}em" for n in chars]


def normalise_zip(data: bytes, modified: str) -> bytes:
    """Rewrite the workbook's zip with every entry dated 1980-01-01 (the earliest a zip can hold) and the
    document's modification date set to the build date: the spreadsheet writer stamps the current time on both,
    which would make each build's workbook differ."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + modified.encode(), content)
            target.writestr(fixed, content)
    return out.getvalue()
