"""The downloadable workbook, laid out as the UK Government Analysis Function's guidance on releasing statistics in
spreadsheets asks, by its own library, gptables: a cover sheet, a contents sheet, a notes sheet, then one table
per sheet after a title block, with no merged cells and no empty columns, headers marked as headers, and
shorthand in the cells the guidance names ([c] suppressed, [u] low reliability) explained in the notes.

The same tables give the same bytes: the document dates are the build date and every zip entry is dated
1980-01-01 (publish_tables.normalise_zip)."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pandas as pd

from ..analysis.results_file import FORMULA_START
from .appendix import LOW_BASE_BELOW, SUPPRESSED_BELOW, normalise_zip

SUPPRESSED = "[c]"
LOW = "[u]"
NOTES = {
    "note1": f"[c]: fewer than {SUPPRESSED_BELOW} respondents, or an effective base under {SUPPRESSED_BELOW}, were "
    "asked: the figure is not shown.",
    "note2": f"[u]: fewer than {LOW_BASE_BELOW} respondents, or an effective base under {LOW_BASE_BELOW}, were asked "
    "in this column: read its figures with caution (the shorthand is on the column's base).",
    "note3": "Figures are weighted percentages of the people asked, rounded to one decimal place; the last row of "
    "each table is the unweighted number of people asked.",
}


def _text(value: str) -> str:
    """Text a spreadsheet would take for a formula, as text."""
    return "'" + value if value.startswith(FORMULA_START) else value


def _sheet_name(title: str, used: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique."""
    name = re.sub(r"[\[\]:*?/\\']", "", title).strip()[:31] or "Table"
    candidate, n = name, 2
    while candidate.lower() in used:
        suffix = f" {n}"
        candidate, n = name[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate.lower())
    return candidate


def _frame(table: dict, cols: list[dict]) -> pd.DataFrame:
    """One table: a row per answer and net, then the base; a column per group, named with its breakdown."""
    headings = ["Answer"] + [f"{c['heading']}: {c['label']}" if c["heading"] else c["label"] for c in cols]
    rows = []
    for row in table["rows"]:
        values = []
        for cell in row["cells"]:
            if cell["value"] == "*":
                values.append(SUPPRESSED)
            elif cell["value"] is None or pd.isna(cell["value"]):
                values.append(SUPPRESSED)  # a group with a base but no figure is suppressed too
            else:
                values.append(round(float(cell["value"]), 1))
        rows.append([_text(row["label"])] + values)
    bases = []
    for cell in table["bases"]:
        base = cell["value"]
        if base is None:
            bases.append(SUPPRESSED)
        elif base < SUPPRESSED_BELOW:
            bases.append(f"{base} {SUPPRESSED}")
        elif base < LOW_BASE_BELOW:
            bases.append(f"{base} {LOW}")
        else:
            bases.append(int(base))
    rows.append(["Unweighted base"] + bases)
    frame = pd.DataFrame(rows, columns=headings)
    # A column with nothing in it (a group no one in this wave belongs to) is dropped, as the guidance asks.
    empty = [
        c
        for c in frame.columns[1:]
        if frame[c].map(lambda v: v in (SUPPRESSED, "", None)).all() and frame[c].iloc[-1] in (SUPPRESSED, "", None)
    ]
    return frame.drop(columns=empty)


def write_accessible_workbook(blocks: list[dict], cols: list[dict], about: dict, date: dt.datetime, path: Path) -> int:
    """The workbook at `path`; returns the number of table sheets."""
    import gptables as gpt

    sheets, used = {}, {"cover", "contents", "notes"}
    for number, block in enumerate(blocks, 1):
        found = re.match(r"Finding (\d+)", block["title"])
        label = found.group(1) if found else f"{number}"
        for letter, table in zip("abcdefghijklmnopqrstuvwxyz", block["tables"]):
            title = block["title"] + (f": {table['caption']}" if table["caption"] else "")
            # "Table 3a": short, in report order; the contents sheet gives each one's title.
            name = _sheet_name(f"Table {label}" + (letter if len(block["tables"]) > 1 else ""), used)
            frame = _frame(table, cols)
            sheets[name] = gpt.GPTable(
                table=frame,
                table_name=re.sub(r"\W+", "_", name).strip("_").lower() or "table",
                title=_text(title),
                subtitles=[_text(block["wording"]), "Shorthand: [c] not shown $$note1$$; [u] low base $$note2$$"],
                instructions="This worksheet contains one table. Some cells have shorthand: see the notes.",
                source=_text(about["source"]),
                scope=_text(about["scope"]),
                units={n: "%" for n in range(1, len(frame.columns))},
                table_notes={0: "$$note3$$"},
                index_columns={2: 0},
            )
    notes = pd.DataFrame({"Note number": list(NOTES), "Note text": list(NOTES.values())})
    cover = gpt.Cover(
        title=_text(about["title"]),
        intro=[_text(line) for line in about["intro"]],
        about=[_text(line) for line in about["about"]],
        contact=[_text(line) for line in about["contact"]],
    )
    buffer = io.BytesIO()
    workbook = gpt.produce_workbook(
        filename=buffer,
        sheets=sheets,
        cover=cover,
        notes_table=notes,
        contentsheet_options={"additional_elements": ["subtitles"]},
        workbook_options={"in_memory": True},
    )
    workbook.set_properties(
        {
            "title": about["title"],
            "author": about["publisher"],
            "created": date,
            "comments": "Built by collaborative_citizen.publish.report",
        }
    )
    workbook.set_custom_property("Language", "en-GB")
    workbook.close()
    path.write_bytes(normalise_zip(buffer.getvalue(), date.strftime("%Y-%m-%dT%H:%M:%SZ")))
    return len(sheets)
