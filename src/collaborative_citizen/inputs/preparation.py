"""A delivery as the agency made it, read as wave.yml says: renamed, user-missing values placed, recoded, banded.

Everything happens in memory: the delivered file is never rewritten. Every problem is collected (the wave.yml's
fields checked against the codebook first, then the file's values), so a delivery is fixed in one round."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .codebook import Codebook, Variable
from .wave_settings import NOT_IN_BASE
from .waves import Wave, plain_number

# File variables that look like questions (Q8, q12a, QAGE ...): unmapped ones are worth a note.
QUESTION_LIKE = re.compile(r"[Qq]\d+[A-Za-z0-9_]*")
# Beyond this many rows with the same problem in one variable, the rest are counted, not listed.
ROWS_LISTED = 10


@dataclass
class Delivery:
    """The raw table of a respondent file with what the file says about its values."""

    frame: pd.DataFrame
    labels: dict = field(default_factory=dict)  # file variable -> {value: label}
    missing: dict = field(default_factory=dict)  # file variable -> [(low, high)] SPSS user-missing values


@dataclass
class Prepared:
    frame: pd.DataFrame  # codebook names; NaN where not asked or not in the base
    names: dict  # codebook variable -> the file's own name, where they differ
    excluded: dict  # codebook variable -> boolean mask of respondents answered but not in the base
    problems: list
    notes: list


class Rows:
    """Names a respondent in a message by row (1 = first) and id, and a variable by its file and codebook names."""

    def __init__(self, file: str, ids, names: dict):
        self.file, self.ids, self.names = file, ids, names

    def variable(self, name: str) -> str:
        theirs = self.names.get(name)
        return f"{theirs} ({name})" if theirs and theirs != name else name

    def row(self, row: int) -> str:
        if self.ids is None:
            return f"row {row}"
        value = self.ids[row - 1]
        return f"row {row}, respondent {plain_number(value)}" if not _is_missing(value) else f"row {row}"

    def report(self, problems: list, name: str | None, rows: np.ndarray, message, subject: str = "variable") -> None:
        """One line per offending row, then a count of the rest."""
        prefix = f"{self.file}: {subject} {self.variable(name) if subject == 'variable' else name}"
        for row in rows[:ROWS_LISTED]:
            problems.append(f"{prefix}, {self.row(row)}: {message(row)}")
        if len(rows) > ROWS_LISTED:
            problems.append(f"{prefix}: {len(rows) - ROWS_LISTED} more rows with the same problem")


def _is_missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _nearest(name: str, choices) -> str:
    close = difflib.get_close_matches(name, sorted(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


def _entries_by_column(codebook: Codebook) -> dict[str, Variable]:
    return {name: entry for entry in codebook.all_variables.values() for name in entry.variables}


def check_wave_against_codebook(wave: Wave, codebook: Codebook, columns) -> list[str]:
    """wave.yml's fields that name codebook things must name real ones (with the nearest name when not)."""
    where = f"{wave.folder / 'wave.yml'}"
    known = codebook.column_names
    problems = []
    for ours, theirs in wave.variable_map.items():
        if ours not in known:
            problems.append(
                f"{where}: variable_map: {ours}: not a codebook variable{_nearest(ours, known)} "
                "(expected codebook variable: file variable)"
            )
        elif theirs not in columns:
            problems.append(
                f"{where}: variable_map: {ours}: {wave.data_file.name} has no variable {theirs!r}"
                f"{_nearest(theirs, columns)} (expected one of the file's variables)"
            )
    questions = codebook.questions
    for key in wave.questions or ():
        if key not in questions:
            problems.append(f"{where}: questions: {key}: not a codebook question{_nearest(key, questions)}")
    for key, items in wave.items_asked.items():
        question = questions.get(key)
        if question is None:
            continue
        if question.type != "grid":
            problems.append(f"{where}: questions: {key}: items listed, but {key} is not a grid (expected {key} alone)")
            continue
        for item in items:
            if item not in {i.key for i in question.items}:
                problems.append(
                    f"{where}: questions: {key}: {item}: not an item of {key}"
                    f"{_nearest(item, [i.key for i in question.items])}"
                )
    answers = {a.key for v in codebook.all_variables.values() for a in v.answers}
    for value, meaning in wave.user_missing.items():
        if meaning != NOT_IN_BASE and meaning not in answers:
            problems.append(
                f"{where}: user_missing: {plain_number(value)}: {meaning!r} is not a codebook answer"
                f"{_nearest(meaning, answers)} (expected an answer key such as dont_know, or "
                f"{NOT_IN_BASE})"
            )
    for key in wave.recode:
        if key not in known and key not in questions:
            problems.append(
                f"{where}: recode: {key}: not a codebook variable or question{_nearest(key, known | set(questions))}"
            )
    demographics = codebook.demographics
    for key, spec in wave.bands.items():
        entry = demographics.get(key)
        if entry is None or not entry.banded:
            banded = [k for k, v in demographics.items() if v.banded]
            problems.append(
                f"{where}: bands: {key}: not a banded codebook demographic (expected one of "
                f"{', '.join(banded) or 'none'}: give its answers `lower:` values in the codebook)"
            )
        elif spec["from"] not in columns:
            problems.append(
                f"{where}: bands: {key}: the file has no variable {spec['from']!r}"
                f"{_nearest(spec['from'], columns)} (expected the file's numeric variable)"
            )
        elif key in wave.variable_map:
            problems.append(f"{where}: bands: {key}: also in variable_map (expected one or the other)")
        if entry is not None:
            unknown = sorted(set(spec["labels"]) - {a.key for a in entry.answers})
            if unknown:
                problems.append(f"{where}: bands: {key}: labels: {', '.join(unknown)}: not an answer of {key}")
    for key in wave.not_collected:
        if key not in demographics:
            problems.append(f"{where}: not_collected: {key}: not a codebook demographic{_nearest(key, demographics)}")
    for key in (wave.weighting or {}).get("variables", ()):
        if key not in demographics:
            problems.append(
                f"{where}: weighting: variables: {key}: not a codebook demographic{_nearest(key, demographics)}"
            )
    return problems


def _declared_missing(values: np.ndarray, ranges) -> np.ndarray:
    mask = np.zeros(len(values), dtype=bool)
    for low, high in ranges:
        mask |= (values >= low) & (values <= high)
    return mask


def _numbers(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)


def prepare(delivery: Delivery, wave: Wave, codebook: Codebook, file: str) -> Prepared:
    """The delivery in codebook names and codes, as wave.yml says to read it."""
    raw = delivery.frame
    problems = check_wave_against_codebook(wave, codebook, list(raw.columns))
    mapped = {ours: theirs for ours, theirs in wave.variable_map.items() if theirs in raw.columns}
    frame = raw.rename(columns={theirs: ours for ours, theirs in mapped.items()})
    names = dict(mapped)
    for key, spec in wave.bands.items():
        names[key] = spec["from"]
    ids = frame[wave.respondent_id].to_numpy() if wave.respondent_id in frame.columns else None
    rows = Rows(file, ids, names)
    entries = _entries_by_column(codebook)
    excluded: dict[str, np.ndarray] = {}
    file_name = {ours: theirs for ours, theirs in mapped.items()}

    # Values each column holds that SPSS declares user-missing: placed as wave.yml's user_missing says.
    placed: dict[str, np.ndarray] = {}  # column -> mask of user-missing values (already replaced)
    band_sources = {spec["from"]: key for key, spec in wave.bands.items() if spec["from"] in frame.columns}
    for column in list(frame.columns):
        theirs = file_name.get(column, column)
        ranges = delivery.missing.get(theirs)
        entry = entries.get(column) or codebook.demographics.get(band_sources.get(column, ""))
        if not ranges or entry is None:
            continue
        values = _numbers(frame[column])
        mask = _declared_missing(values, ranges)
        if not mask.any():
            continue
        shown_name = column if column not in band_sources else band_sources[column]
        new = values.copy()
        out = np.zeros(len(values), dtype=bool)
        for value in sorted(set(values[mask])):
            at = mask & (values == value)
            label = delivery.labels.get(theirs, {}).get(value) or delivery.labels.get(theirs, {}).get(int(value))
            said = f"user-missing value {plain_number(value)}" + (f" ({label!r})" if label else "")
            meaning = wave.user_missing.get(int(value) if float(value).is_integer() else value)
            if meaning is None:
                rows.report(
                    problems,
                    shown_name,
                    np.flatnonzero(at) + 1,
                    lambda r, s=said: (
                        f"{s} is not placed by wave.yml (expected user_missing: "
                        f"{{{plain_number(value)}: <an answer key such as dont_know> or {NOT_IN_BASE}}})"
                    ),
                )
                continue
            if meaning == NOT_IN_BASE:
                new[at] = np.nan
                out |= at
                continue
            answer = next((a for a in entry.answers if a.key == meaning), None)
            if answer is None or entry.type == "multi" or column in band_sources:
                rows.report(
                    problems,
                    shown_name,
                    np.flatnonzero(at)[:1] + 1,
                    lambda r, s=said, m=meaning: (
                        f"{s} is read as {m!r} (user_missing), which is not an "
                        f"answer of {entry.key} (expected {NOT_IN_BASE} or one of "
                        f"{', '.join(a.key for a in entry.answers)})"
                    ),
                )
                continue
            new[at] = answer.code
        placed[column] = mask
        frame[column] = new
        if out.any():
            excluded[column] = out

    # Recodes: an agency's own codes to the codebook's, applied to every value not already placed above.
    for key, mapping in wave.recode.items():
        targets = (
            [key]
            if key in codebook.column_names
            else (codebook.questions[key].variables if key in codebook.questions else [])
        )
        for column in targets:
            if column not in frame.columns:
                continue
            values = _numbers(frame[column])
            todo = ~placed.get(column, np.zeros(len(values), dtype=bool)) & ~np.isnan(values)
            known = np.isin(values, list(mapping))
            unmapped = np.flatnonzero(todo & ~known) + 1
            expected = ", ".join(plain_number(k) for k in mapping)
            rows.report(
                problems,
                column,
                unmapped,
                lambda r, v=values: (
                    f"value {plain_number(v[r - 1])} is not in wave.yml's recode of {key} (expected one of {expected})"
                ),
            )
            recoded = values.copy()
            for source, target in mapping.items():
                recoded[todo & (values == source)] = target
            frame[column] = recoded

    # Bands derived from a numeric variable (exact age -> age_band), with the codebook's break points.
    for key, spec in wave.bands.items():
        entry = codebook.demographics.get(key)
        source = spec["from"]
        if entry is None or not entry.banded or source not in frame.columns:
            continue
        values = pd.to_numeric(frame[source], errors="coerce").to_numpy(dtype=float)
        text = frame[source].to_numpy()
        not_number = np.flatnonzero(np.isnan(values) & frame[source].notna().to_numpy()) + 1
        rows.report(
            problems,
            key,
            not_number,
            lambda r: f"value {text[r - 1]!r} is not a number (expected {entry.wording.lower()} as a number)",
        )
        low = max(wave.minimum_age, min(a.lower for a in entry.answers))
        young = np.flatnonzero(values < low) + 1
        rows.report(
            problems,
            key,
            young,
            lambda r: (
                f"{plain_number(values[r - 1])} is below the wave's minimum_age {wave.minimum_age} "
                f"(expected at least {low})"
            ),
        )
        frame[key] = entry.band_of(np.where(values < low, np.nan, values))
        if source in excluded:
            excluded[key] = excluded.pop(source)

    for key in wave.not_collected:
        if key in frame.columns:
            frame = frame.drop(columns=key)

    notes = []
    used = set(mapped.values()) | {spec["from"] for spec in wave.bands.values()} | {wave.respondent_id, wave.weight}
    unmapped = [
        c for c in raw.columns if c not in used and c not in codebook.column_names and QUESTION_LIKE.fullmatch(str(c))
    ]
    if unmapped:
        which = (
            "variables that look like questions are" if len(unmapped) > 1 else "variable that looks like a question is"
        )
        shown = ", ".join(unmapped[:10]) + (" ..." if len(unmapped) > 10 else "")
        notes.append(
            f"{file}: {len(unmapped)} {which} not read: {shown} (map them in wave.yml's variable_map if the codebook "
            "has them)"
        )
    return Prepared(frame=frame, names=names, excluded=excluded, problems=problems, notes=notes)
