"""The respondent file checked against the codebook: every value a code the question allows (or a declared
missing value), multi-coded answers consistent, ids unique, the variables a wave asks present; each problem one
line naming the file, the variable (the file's name and the codebook's) and the respondent."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .codebook import Codebook, Variable
from .preparation import Rows
from .waves import Wave, plain_number

# What each extension promises, for messages about a file that is not what its name says.
FORMATS = {
    ".sav": "an SPSS .sav file",
    ".csv": "a comma-separated text file with a header row",
    ".parquet": "an Apache Parquet file",
}


def plain_text(text) -> str:
    return " ".join(str(text).split()).casefold()


def _rows(mask: np.ndarray) -> np.ndarray:
    return np.flatnonzero(mask) + 1


def _numeric(frame: pd.DataFrame, name: str, rows: Rows, problems: list[str]) -> np.ndarray | None:
    values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
    bad = _rows(np.isnan(values) & frame[name].notna().to_numpy())
    if len(bad):
        raw = frame[name].to_numpy()
        rows.report(problems, name, bad, lambda r: f"value {raw[r - 1]!r} is not a number (expected a numeric code)")
        return None
    return values


def _check_single(
    values: np.ndarray, entry: Variable, name: str, asked: np.ndarray, rows: Rows, problems: list[str]
) -> None:
    codes = np.array(sorted(entry.codes), dtype=float)
    unknown = _rows(~np.isnan(values) & ~np.isin(values, codes))
    valid = ", ".join(str(int(c)) for c in codes)
    rows.report(
        problems, name, unknown, lambda r: f"code {values[r - 1]:g} is not in the codebook (expected one of {valid})"
    )
    unanswered = _rows(asked & np.isnan(values))
    rows.report(
        problems,
        name,
        unanswered,
        lambda r: (
            "no answer recorded (expected a code for every respondent "
            "asked, don't know included, or a user-missing value that "
            "wave.yml places)"
        ),
    )


def _check_multi(frame: pd.DataFrame, entry: Variable, rows: Rows, excluded: dict, problems: list[str]) -> None:
    columns = {}
    out = np.zeros(len(frame), dtype=bool)
    for answer in entry.answers:
        name = entry.answer_variable(answer.key)
        values = _numeric(frame, name, rows, problems)
        if values is None:
            return
        bad = _rows(~np.isnan(values) & ~np.isin(values, (0.0, 1.0)))
        rows.report(
            problems,
            name,
            bad,
            lambda r, v=values: (
                f"value {v[r - 1]:g} (expected 0, not chosen, or 1, chosen; a recode in wave.yml if the file codes 1/2)"
            ),
        )
        columns[answer.key] = np.where(values == 1.0, 1, 0)
        out |= excluded.get(name, False)
    chosen = np.column_stack(list(columns.values()))
    count = chosen.sum(axis=1)
    rows.report(
        problems,
        entry.key,
        _rows(count > entry.max_answers),
        lambda r: f"{count[r - 1]} answers chosen (expected at most {entry.max_answers})",
        subject="question",
    )
    rows.report(
        problems,
        entry.key,
        _rows((count == 0) & ~out),
        lambda r: "no answer chosen (expected at least one; don't know is an answer)",
        subject="question",
    )
    for answer in entry.answers:
        if answer.exclusive:
            clash = _rows((columns[answer.key] == 1) & (count > 1))
            rows.report(
                problems,
                entry.answer_variable(answer.key),
                clash,
                lambda r, a=answer: f"{a.key} chosen together with other answers (expected it alone)",
            )


def asked_questions(frame: pd.DataFrame, codebook: Codebook, wave: Wave) -> dict[str, tuple[str, ...]]:
    """Which questions (and grid items) the wave asked. A wave.yml `questions` list is a contract: every listed
    question (and, where it lists them, every listed grid item) must be in the file. Without it, a question whose
    variables are all absent was not asked, and a grid item whose variable is absent was not asked."""
    present = set(frame.columns)
    asked = {}
    for question in codebook.questions.values():
        if wave.questions is not None:
            if question.key in wave.questions:
                listed = wave.items_asked.get(question.key)
                asked[question.key] = tuple(i.key for i in question.items if listed is None or i.key in listed) or ("",)
            continue
        if question.type == "grid":
            items = tuple(i.key for i in question.items if i.variable in present)
            if items:
                asked[question.key] = items
        elif any(name in present for name in question.variables):
            asked[question.key] = ("",)
    return asked


def variables_needed(entry: Variable, asked: dict) -> list[str]:
    if entry.kind != "question":
        return entry.variables
    if entry.type == "grid":
        return [i.variable for i in entry.items if i.key in asked.get(entry.key, ())]
    return entry.variables if entry.key in asked else []


def validate(
    frame: pd.DataFrame,
    codebook: Codebook,
    wave: Wave,
    file: str,
    asked: dict | None = None,
    names: dict | None = None,
    excluded: dict | None = None,
) -> list[str]:
    """Every way the table breaks the codebook, one line each; an empty list when it is valid. `names` gives the
    file's own name of a renamed variable, `excluded` the respondents a user-missing value left out of a base."""
    problems: list[str] = []
    excluded = excluded or {}
    asked = asked_questions(frame, codebook, wave) if asked is None else asked
    entries = [
        v
        for v in codebook.all_variables.values()
        if (v.kind != "question" or v.key in asked) and v.key not in wave.not_collected
    ]
    needed = [wave.respondent_id, wave.weight] + [name for v in entries for name in variables_needed(v, asked)]
    split_needed = {
        v.split_variable
        for v in entries
        if v.split_variable and any(i.asked_of for i in v.items if i.key in asked.get(v.key, ()))
    }
    needed += [s for s in split_needed if s not in needed]
    ids = frame[wave.respondent_id].to_numpy() if wave.respondent_id in frame.columns else None
    rows = Rows(file, ids, names or {})
    demographics = set(codebook.demographics)
    for name in needed:
        if name not in frame.columns:
            also = " or list it under not_collected if this wave did not collect it" if name in demographics else ""
            problems.append(
                f"{file}: variable {name}: missing from the file (expected by the codebook; name it in "
                f"wave.yml's variable_map if the file calls it something else{also})"
            )
    present = set(frame.columns)

    if wave.respondent_id in present:
        id_rows = Rows(file, None, {})
        ids_series = frame[wave.respondent_id]
        id_rows.report(
            problems,
            wave.respondent_id,
            _rows(ids_series.isna().to_numpy()),
            lambda r: "respondent id missing (expected an id on every row)",
        )
        duplicated = ids_series.notna() & ids_series.duplicated(keep=False)
        first_row = {}
        for row, value in zip(_rows(duplicated.to_numpy()), ids_series[duplicated]):
            if value in first_row:
                problems.append(
                    f"{file}: variable {wave.respondent_id}, row {row}: duplicate respondent id "
                    f"{plain_number(value)} (expected each id once; first at row {first_row[value]})"
                )
            else:
                first_row[value] = row

    if wave.weight in present:
        weights = pd.to_numeric(frame[wave.weight], errors="coerce").to_numpy(dtype=float)
        positive = "(expected a positive number)"
        name = wave.weight
        raw = frame[wave.weight].to_numpy()
        text = np.isnan(weights) & frame[wave.weight].notna().to_numpy()
        if text.any():
            comma = text & pd.Series(raw).astype(str).str.fullmatch(r"\s*-?\d+,\d+\s*").to_numpy()
            rows.report(
                problems,
                name,
                _rows(comma),
                lambda r: f"weight {raw[r - 1]!r} has a decimal comma (expected a decimal point, e.g. 1.25)",
            )
            rows.report(
                problems, name, _rows(text & ~comma), lambda r: f"weight {raw[r - 1]!r} is not a number {positive}"
            )
            weights = np.where(text, 1.0, weights)  # reported above; not again as missing
        rows.report(problems, name, _rows(np.isnan(weights)), lambda r: f"weight missing {positive}")
        rows.report(
            problems, name, _rows(np.isinf(weights)), lambda r: f"weight {weights[r - 1]} is not finite {positive}"
        )
        rows.report(problems, name, _rows(weights == 0), lambda r: f"weight is zero {positive}")
        rows.report(problems, name, _rows(weights < 0), lambda r: f"weight {weights[r - 1]:g} is negative {positive}")
        valid = weights[np.isfinite(weights) & (weights > 0)]
        if wave.weighted and len(weights) > 1 and len(valid) == len(weights) and np.all(valid == valid[0]):
            # A weight variable that was never filled in: the report would call unweighted figures weighted.
            problems.append(
                f"{file}: variable {name}: every respondent has the same weight, "
                f"{plain_number(float(valid[0]))} (expected weights that vary, as wave.yml says the data is "
                "weighted; write `weighted: false` there if it is not)"
            )

    everyone = np.ones(len(frame), dtype=bool)
    halves = {}
    for entry in entries:
        names_needed = variables_needed(entry, asked)
        if not names_needed or any(name not in present for name in names_needed):
            continue
        if entry.type == "multi":
            _check_multi(frame, entry, rows, excluded, problems)
            continue
        split = None
        if entry.split_variable and entry.split_variable in present:
            split = halves.get(entry.split_variable)
            if split is None:
                split = pd.to_numeric(frame[entry.split_variable], errors="coerce").to_numpy(dtype=float)
                halves[entry.split_variable] = split
        for item_or_self, name in zip(entry.items or [None], entry.variables):
            if name not in names_needed:
                continue
            values = _numeric(frame, name, rows, problems)
            if values is None:
                continue
            asked_rows = everyone
            if item_or_self is not None and item_or_self.asked_of and split is not None:
                half = codebook[entry.split_variable].answer(item_or_self.asked_of)
                asked_rows = split == half.code
                outside = _rows(~asked_rows & ~np.isnan(split) & ~np.isnan(values))
                rows.report(
                    problems,
                    name,
                    outside,
                    lambda r: (
                        f"answered by a respondent outside half {half.key} (expected no answer: only "
                        f"half {half.key} was asked)"
                    ),
                )
            if name in excluded:
                asked_rows = asked_rows & ~excluded[name]
            _check_single(values, entry, name, asked_rows, rows, problems)
    return problems
