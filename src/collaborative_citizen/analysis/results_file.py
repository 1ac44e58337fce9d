"""results.csv, the weighted tables as a file: written atomically with text a spreadsheet would run as a formula
kept as text, read back with the types every later step expects, and looked up cell by cell."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

# A text cell a spreadsheet would take for a formula (=, +, -, @) or a control sequence (tab, carriage return).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def as_spreadsheet_text(value):
    """Text that a spreadsheet would run as a formula, with the apostrophe that makes it text; anything else as it
    is (numbers, including negative ones, are not text)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_results(table: pd.DataFrame, path: Path) -> bool:
    """Write results.csv atomically, so a failed build never leaves half a table behind; text cells that a
    spreadsheet would read as a formula are written as text. A file whose content would not change is left as
    it is, time included (make then re-runs nothing that reads it). Whether the file changed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".csv.partial")
    text = [c for c in table.columns if table[c].dtype == object or pd.api.types.is_string_dtype(table[c])]
    if text:
        table = table.copy()
        for column in text:
            table[column] = table[column].map(as_spreadsheet_text)
    try:
        table.to_csv(partial, index=False, float_format="%.10g", lineterminator="\n")
        if path.is_file() and path.read_bytes() == partial.read_bytes():
            partial.unlink()
            return False
        partial.replace(path)
        return True
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise OSError(error.errno, f"could not be written ({error.strerror or error})", str(path)) from None


def read_results(path: Path) -> pd.DataFrame:
    return pd.read_csv(
        path,
        dtype={"wave": str, "item": str, "group": str, "ci_method": str},
        keep_default_na=False,
        na_values={
            c: [""]
            for c in (
                "pct",
                "se",
                "ci_low",
                "ci_high",
                "deff",
                "pct_rest",
                "z_vs_rest",
                "p_vs_rest",
                "p_vs_rest_adjusted",
                "base_weighted",
                "base_effective",
            )
        },
    )


def lookup(
    table: pd.DataFrame, question: str, answer: str, item: str = "", breakdown: str = "total", group: str = "total"
) -> pd.Series:
    """The single row of results for one cell; KeyError naming the cell when it is absent."""
    match = table[
        (table.question == question)
        & (table["item"] == item)
        & (table.answer == answer)
        & (table.breakdown == breakdown)
        & (table.group == group)
    ]
    if len(match) != 1:
        raise KeyError(f"results: no single row for {question}/{item or '-'}/{answer} in {breakdown}={group}")
    return match.iloc[0]
