"""Read a wave's respondent file (.sav, .csv or .parquet) and check it against the codebook.

Every problem is collected before anything is raised, so a researcher fixing a file sees all of them
at once, one line each, naming the file, the variable and the row (1 = first respondent)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataValidationError
from .codebook import Codebook
from .preparation import ROWS_LISTED, Delivery, prepare
from .validation import asked_questions, plain_text, validate, variables_needed
from .waves import Wave, plain_number

# What each extension promises, for messages about a file that is not what its name says.
FORMATS = {
    ".sav": "an SPSS .sav file",
    ".csv": "a comma-separated text file with a header row",
    ".parquet": "an Apache Parquet file",
}


@dataclass
class Respondents:
    """Validated respondent data: one row per respondent, codebook variables as numeric codes
    (NaN where a question was not asked)."""

    wave: Wave
    codebook: Codebook
    data: pd.DataFrame
    source: Path
    asked: dict  # question key -> item keys asked ("" for a question without items)
    warnings: list = field(default_factory=list)  # what deserves a look but does not stop the build
    design: object = None  # a sample_design.SampleDesign when wave.yml declares strata or clusters
    design_factor: float | None = None  # an agency's design factor, when that is all it gives

    def asks(self, question: str) -> bool:
        return question in self.asked

    def asks_item(self, question: str, item: str) -> bool:
        return item in self.asked.get(question, ())

    @property
    def weights(self) -> np.ndarray:
        return self.data[self.wave.weight].to_numpy(dtype=float)

    @property
    def ids(self) -> np.ndarray:
        return self.data[self.wave.respondent_id].to_numpy()

    def __len__(self) -> int:
        return len(self.data)

    def codes(self, variable: str) -> np.ndarray:
        return self.data[variable].to_numpy(dtype=float)

    def categorical(self, key: str) -> pd.Categorical:
        """A single-coded variable as categories named by answer key, in code order (the questionnaire's)."""
        entry = self.codebook[key]
        answers = sorted(entry.answers, key=lambda a: a.code)
        mapping = {a.code: a.key for a in answers}
        values = self.data[key].map(mapping)
        return pd.Categorical(values, categories=[a.key for a in answers], ordered=True)


def read_table(path: Path) -> pd.DataFrame:
    """The raw table of a respondent file, numeric codes only (value labels are the codebook's business)."""
    return read_delivery(path).frame


def read_delivery(path: Path) -> Delivery:
    """The raw table and, for a .sav file, its value labels and SPSS user-missing values by variable. User-missing
    values are kept as the values they are (pyreadstat's user_missing=True): wave.yml says what each means."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise DataValidationError(
            [f"{path}: file not found (expected the respondent file wave.yml's data_file names, in the wave's folder)"]
        )
    if suffix not in FORMATS:
        raise DataValidationError(
            [f"{path}: unsupported file type {suffix or '(none)'} (expected .sav, .csv or .parquet)"]
        )
    if path.stat().st_size == 0:
        raise DataValidationError([f"{path}: empty file: no respondents (expected one row per respondent)"])
    labels: dict = {}
    missing: dict = {}
    try:
        if suffix == ".sav":
            import pyreadstat

            frame, meta = pyreadstat.read_sav(str(path), apply_value_formats=False, user_missing=True)
            labels = meta.variable_value_labels or {}
            missing = {
                name: [
                    (float(r["lo"]), float(r["hi"]))
                    for r in ranges
                    if isinstance(r.get("lo"), (int, float)) and isinstance(r.get("hi"), (int, float))
                ]
                for name, ranges in (meta.missing_ranges or {}).items()
            }
        elif suffix == ".csv":
            frame = read_csv_delivery(path)
        else:
            frame = pd.read_parquet(path)
    except DataValidationError:
        raise
    except Exception as error:  # each reader raises its own types; the message is what matters
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if "expected number of rows" in first_line:
            first_line += ": the file is truncated"
        raise DataValidationError(
            [f"{path}: could not be read as {suffix[1:]}: {first_line} (expected {FORMATS[suffix]})"]
        ) from None
    if len(frame) == 0:
        raise DataValidationError([f"{path}: empty file: no respondents (expected one row per respondent)"])
    return Delivery(frame=frame, labels=labels, missing={k: v for k, v in missing.items() if v})


def read_csv_delivery(path: Path) -> pd.DataFrame:
    """A comma-separated file, with the dialect problems agencies' exports have named for what they are: another
    delimiter, a column twice, the header repeated as data; blank rows at the end are dropped."""
    import csv

    with open(path, newline="", encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle), [])
    if len(header) == 1 and any(d in header[0] for d in ";\t|"):
        delimiter = next(d for d in ";\t|" if d in header[0])
        shown = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}[delimiter]
        raise DataValidationError(
            [
                f"{path}: the header row is separated by {shown}, not commas (expected a "
                "comma-separated file; export it again with commas, or as .sav)"
            ]
        )
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise DataValidationError(
            [
                f"{path}: column {name!r} appears {header.count(name)} times in the header row "
                "(expected each variable once)"
                for name in duplicated
            ]
        )
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    blank = frame.isna().all(axis=1).to_numpy()
    trailing = len(frame) - (np.flatnonzero(~blank)[-1] + 1 if (~blank).any() else 0)
    if trailing:
        frame = frame.iloc[: len(frame) - trailing]
    repeated = [n + 1 for n, row in enumerate(frame.itertuples(index=False)) if list(row) == header]
    if repeated:
        raise DataValidationError(
            [
                f"{path}: row {row} repeats the header row (expected one header, then one row per respondent)"
                for row in repeated[:ROWS_LISTED]
            ]
        )
    # Numbers as numbers; text (a string id, a value written as a word) stays text for the checks to quote.
    for column in frame.columns:
        numbers = pd.to_numeric(frame[column], errors="coerce")
        if numbers.notna().sum() == frame[column].notna().sum():
            frame[column] = numbers
    return frame


def label_warnings(labels: dict, codebook: Codebook, wave: Wave, file: str) -> list[str]:
    """Value labels of the file worded differently from the codebook's answers: agencies reword labels, so this
    is worth a look but the codebook's wording is what the report uses. One line per variable."""
    found = []
    own_name = {theirs: ours for ours, theirs in wave.variable_map.items()}
    variables = {}
    for entry in codebook.all_variables.values():
        if entry.type == "multi":
            continue  # 0/1 indicators: their labels are "chosen" / "not chosen", not answers
        for name in entry.variables:
            variables[name] = entry
    for file_name, mapping in sorted(labels.items()):
        name = own_name.get(file_name, file_name)
        entry = variables.get(name)
        if entry is None or not mapping:
            continue
        ours = {float(a.code): a.label for a in entry.answers}
        # A recoded variable's file codes are compared with the codebook codes they are read as.
        recode = wave.recode.get(name) or wave.recode.get(entry.key) or {}
        mapping = {
            float(recode.get(int(c) if float(c).is_integer() else c, c)): t
            for c, t in mapping.items()
            if not recode or (int(c) if float(c).is_integer() else c) in recode
        }
        differ = [
            (code, text, ours[float(code)])
            for code, text in sorted(mapping.items())
            if float(code) in ours and plain_text(text) != plain_text(ours[float(code)])
        ]
        if differ:
            shown = "; ".join(
                f"code {plain_number(float(code))} is {text!r} in the file, {mine!r} in the codebook"
                for code, text, mine in differ[:3]
            )
            more = f"; {len(differ) - 3} more" if len(differ) > 3 else ""
            found.append(
                f"{file}: variable {file_name}: value labels worded differently from the codebook: "
                f"{shown}{more} (the codebook's wording is used)"
            )
    return found


def load_respondents(wave: Wave, codebook: Codebook, path: Path | None = None) -> Respondents:
    """Read the wave's respondent file, prepare it as wave.yml says (in memory) and validate it; raises
    DataValidationError listing every problem. The respondents' codebook is the wave's view of it
    (Codebook.for_wave): demographics it did not collect left out, bands labelled for its minimum age."""
    if path is None and wave.data_file is None:
        raise DataValidationError([f"{wave.folder / 'wave.yml'}: this wave has no respondent data file"])
    path = Path(path or wave.data_file)
    codebook = codebook.source or codebook  # another wave's view of it, when comparing waves
    delivery = read_delivery(path)
    prepared = prepare(delivery, wave, codebook, str(path))
    frame = prepared.frame
    asked = asked_questions(frame, codebook, wave)
    found = validate(frame, codebook, wave, str(path), asked, prepared.names, prepared.excluded)
    # A variable_map entry naming a variable the file lacks is reported once, against wave.yml.
    unread = {ours for ours, theirs in wave.variable_map.items() if theirs not in delivery.frame.columns}
    found = [p for p in found if not any(p.startswith(f"{path}: variable {name}: missing") for name in unread)]
    problems = prepared.problems + found
    if problems:
        raise DataValidationError(problems)
    warnings = label_warnings(delivery.labels, codebook, wave, str(path)) + prepared.notes
    keep = [wave.respondent_id, wave.weight] + [c for c in frame.columns if c not in (wave.respondent_id, wave.weight)]
    data = frame[keep].copy()
    for column in data.columns:
        if column != wave.respondent_id:
            data[column] = pd.to_numeric(data[column], errors="coerce").astype(float)
    # A question whose base leaves out don't know: those answers become "not in the base" for its tables.
    for question in codebook.questions.values():
        if question.dont_know_in_base or question.key not in asked:
            continue
        code = question.answer("dont_know").code
        for name in variables_needed(question, asked):
            data.loc[data[name] == code, name] = np.nan
    design = sample_design_of(wave, frame.reset_index(drop=True), str(path))
    return Respondents(
        wave=wave,
        codebook=codebook.for_wave(wave),
        data=data.reset_index(drop=True),
        source=path,
        asked=asked,
        warnings=warnings,
        design=design,
        design_factor=wave.sample_design.get("design_factor"),
    )


def sample_design_of(wave: Wave, frame: pd.DataFrame, file: str):
    """The design wave.yml declares, from the file's own variables; one line per problem."""
    from .sample_design import SampleDesign

    spec = wave.sample_design
    if not spec.get("strata") and not spec.get("clusters"):
        return None
    problems = []
    columns = {}
    for key in ("strata", "clusters", "fpc"):
        name = spec.get(key)
        if not name:
            continue
        if name not in frame.columns:
            problems.append(f"{wave.folder / 'wave.yml'}: sample_design: {key}: the file has no variable {name!r}")
            continue
        values = frame[name]
        missing = np.flatnonzero(values.isna().to_numpy()) + 1
        for row in missing[:ROWS_LISTED]:
            problems.append(f"{file}: variable {name}, row {row}: no {key} recorded (expected a value on every row)")
        columns[key] = values.to_numpy()
    if "fpc" in columns:
        fpc = pd.to_numeric(pd.Series(columns["fpc"]), errors="coerce").to_numpy()
        if np.isnan(fpc).any() or (fpc <= 0).any():
            problems.append(f"{file}: variable {spec['fpc']}: population PSUs per stratum must be positive numbers")
        columns["fpc"] = fpc
    if problems:
        raise DataValidationError(problems)
    design = SampleDesign.from_columns(
        columns.get("strata"), columns.get("clusters"), columns.get("fpc"), spec.get("lonely_psu", "fail")
    )
    lonely = design.lonely_strata()
    if lonely and design.lonely_psu == "fail":
        raise DataValidationError(
            [
                f"{file}: variable {spec.get('strata')}: stratum {', '.join(map(str, lonely))} "
                "has only one PSU (expected two or more, or lonely_psu in wave.yml's "
                "sample_design: remove, certainty, adjust or average, as R's survey.lonely.psu)"
            ]
        )
    if design.fpc is not None:
        counts = design.psu_counts()[design.strata]
        if (design.fpc < counts).any():
            problems = [f"{file}: variable {spec['fpc']}: fewer population PSUs than sampled ones in a stratum"]
            raise DataValidationError(problems)
    return design
