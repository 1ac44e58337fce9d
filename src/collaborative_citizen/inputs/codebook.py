"""The questionnaire as data: questions, answers, nets and how each is stored in a respondent file."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from ..errors import CodebookError
from .codebook_entries import Answer, Item, Net, answers_from, as_mapping, items_from, nets_from
from .yaml_files import load_yaml_unique, yaml_problem

QUESTION_TYPES = ("single", "multi", "grid")
# SPSS variable names may not be longer than this.
MAX_VARIABLE_NAME = 64


@dataclass(frozen=True)
class Variable:
    """A question, demographic or design variable of the codebook."""

    key: str
    wording: str
    kind: str  # "question", "demographic" or "design"
    type: str
    answers: tuple[Answer, ...]
    nets: tuple[Net, ...] = ()
    items: tuple[Item, ...] = ()
    max_answers: int | None = None
    split_variable: str | None = None
    groupings: dict = field(default_factory=dict)  # e.g. ways and aspects of a grid, key -> label
    dont_know_in_base: bool = True  # False: those answering don't know are left out of the question's base

    @property
    def banded(self) -> bool:
        """Whether the answers are bands of a numeric variable, with break points (`lower:` on each answer)."""
        return bool(self.answers) and all(a.lower is not None for a in self.answers)

    def band_of(self, values):
        """The code of the band each value falls in (NaN below the first band or where the value is NaN)."""
        import numpy as np

        answers = sorted(self.answers, key=lambda a: a.lower)
        lowers = np.array([a.lower for a in answers], dtype=float)
        codes = np.array([a.code for a in answers], dtype=float)
        values = np.asarray(values, dtype=float)
        position = np.searchsorted(lowers, values, side="right") - 1
        return np.where(np.isnan(values) | (position < 0), np.nan, codes[np.clip(position, 0, None)])

    def band_labels(self, minimum: int | None) -> dict[str, str]:
        """'16-24', '25-34' ... '65+': each band's label from the break points, the youngest starting at the
        wave's minimum age."""
        answers = sorted(self.answers, key=lambda a: a.lower)
        labels = {}
        for n, answer in enumerate(answers):
            low = max(answer.lower, minimum) if n == 0 and minimum is not None else answer.lower
            labels[answer.key] = f"{low}+" if n == len(answers) - 1 else f"{low}-{answers[n + 1].lower - 1}"
        return labels

    @property
    def codes(self) -> dict[int, Answer]:
        return {a.code: a for a in self.answers}

    def answer(self, key: str) -> Answer:
        for a in self.answers:
            if a.key == key:
                return a
        raise KeyError(f"{self.key}: no answer {key!r}")

    def net(self, key: str) -> Net:
        for n in self.nets:
            if n.key == key:
                return n
        raise KeyError(f"{self.key}: no net {key!r}")

    def item(self, key: str) -> Item:
        for i in self.items:
            if i.key == key:
                return i
        raise KeyError(f"{self.key}: no item {key!r}")

    def answer_variable(self, answer_key: str) -> str:
        """Name of the 0/1 variable recording one answer of a multi question."""
        return f"{self.key}_{answer_key}"

    @property
    def variables(self) -> list[str]:
        """Every column of the respondent file this entry needs."""
        if self.type == "multi":
            return [self.answer_variable(a.key) for a in self.answers]
        if self.type == "grid":
            return [i.variable for i in self.items]
        return [self.key]

    def label_of(self, key: str) -> str:
        """Label of an answer or a net, by key."""
        for a in self.answers:
            if a.key == key:
                return a.label
        return self.net(key).label


@dataclass(frozen=True)
class Codebook:
    path: Path
    questions: dict[str, Variable]
    demographics: dict[str, Variable]
    design: dict[str, Variable]
    source: "Codebook | None" = None  # for a wave's view (for_wave): the codebook it was made from

    def __getitem__(self, key: str) -> Variable:
        for group in (self.questions, self.demographics, self.design):
            if key in group:
                return group[key]
        raise KeyError(f"{self.path.name}: no question or variable {key!r}")

    @property
    def all_variables(self) -> dict[str, Variable]:
        return {**self.design, **self.demographics, **self.questions}

    @property
    def column_names(self) -> set[str]:
        """Every respondent-file column the codebook knows: demographics, design variables, question variables."""
        return {name for v in self.all_variables.values() for name in v.variables}

    def for_wave(self, wave) -> "Codebook":
        """The codebook as one wave's report sees it: the demographics it did not collect left out, banded
        answers labelled for its minimum age (or as wave.yml's bands give), don't know left out of the answers
        of a question whose base excludes it."""
        demographics = {}
        for key, variable in self.demographics.items():
            if key in wave.not_collected:
                continue
            if variable.banded:
                labels = {**variable.band_labels(wave.minimum_age), **wave.bands.get(key, {}).get("labels", {})}
                variable = replace(
                    variable, answers=tuple(replace(a, label=labels.get(a.key, a.label)) for a in variable.answers)
                )
            demographics[key] = variable
        questions = {}
        for key, question in self.questions.items():
            if not question.dont_know_in_base:
                question = replace(
                    question,
                    answers=tuple(a for a in question.answers if a.key != "dont_know"),
                    nets=tuple(n for n in question.nets if "dont_know" not in n.answers),
                )
            questions[key] = question
        return replace(self, demographics=demographics, questions=questions, source=self)

    def original_label(self, variable: str, key: str) -> str:
        """An answer's label as the codebook writes it (before a wave's view relabelled it)."""
        base = self.source or self
        return base[variable].label_of(key)


def _variable(key: str, raw: dict, kind: str, path: Path, section: str = "") -> Variable:
    where = f"{path}: {section + '.' if section else ''}{key}"
    if not isinstance(raw, dict) or "wording" not in raw:
        raise CodebookError(f"{where}: wording: missing (expected the question as asked)")
    qtype = raw.get("type", "single")
    if qtype not in QUESTION_TYPES:
        raise CodebookError(f"{where}: type {qtype!r} (expected one of {', '.join(QUESTION_TYPES)})")
    answers = answers_from(raw.get("answers"), where)
    items, groupings = items_from(key, raw, where) if qtype == "grid" else ((), {})
    max_answers = raw.get("max_answers")
    if qtype == "multi" and (isinstance(max_answers, bool) or not isinstance(max_answers, int) or max_answers < 1):
        raise CodebookError(f"{where}: a multi question needs max_answers (expected a whole number of at least 1)")
    split = as_mapping(raw.get("split_sample"), f"{where}.split_sample").get("variable")
    if split is None and any(i.asked_of for i in items):
        raise CodebookError(
            f"{where}: items have asked_of but the question has no split_sample "
            "(expected split_sample: {variable: ...})"
        )
    in_base = raw.get("dont_know_in_base", True)
    if not isinstance(in_base, bool):
        raise CodebookError(f"{where}: dont_know_in_base: {in_base!r} (expected true or false)")
    if not in_base and (qtype == "multi" or "dont_know" not in {a.key for a in answers}):
        raise CodebookError(
            f"{where}: dont_know_in_base: false needs a dont_know answer of a single or grid "
            "question (expected the answer key dont_know)"
        )
    lowers = [a.lower for a in answers if a.lower is not None]
    if lowers and (len(lowers) != len(answers) or lowers != sorted(set(lowers))):
        raise CodebookError(
            f"{where}: lower: every band needs a lowest value, increasing in code order (expected e.g. 15, 25, 35)"
        )
    variable = Variable(
        key=key,
        wording=str(raw["wording"]),
        kind=kind,
        type=qtype,
        answers=answers,
        nets=nets_from(raw.get("nets"), answers, where),
        items=items,
        max_answers=max_answers,
        split_variable=split,
        groupings=groupings,
        dont_know_in_base=in_base,
    )
    for name in variable.variables:
        if len(name) > MAX_VARIABLE_NAME:
            raise CodebookError(
                f"{where}: variable name {name} is too long for SPSS (expected at most {MAX_VARIABLE_NAME} characters)"
            )
    return variable


def load_codebook(path: str | Path) -> Codebook:
    """The codebook, checked. A process that reads it again unchanged (`make preview`'s, on every save) gets the
    same object back: a Codebook is never modified once read (a wave's view is a new one, `for_wave`)."""
    path = Path(path)
    try:
        state = path.stat()
        return _read_codebook(path, path.resolve(), state.st_mtime_ns, state.st_ctime_ns, state.st_ino, state.st_size)
    except FileNotFoundError:
        raise CodebookError(f"{path}: codebook not found (expected data/codebook.yml)") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CodebookError(f"{path}: cannot be read ({error})") from None


@functools.lru_cache(maxsize=4)
def _read_codebook(path: Path, resolved: Path, mtime_ns: int, ctime_ns: int, inode: int, size: int) -> Codebook:
    try:
        raw = load_yaml_unique(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        problem = yaml_problem(error)
        raise CodebookError(
            f"{path}: {problem}" + ("" if "duplicate key" in problem else " (expected valid YAML)")
        ) from None
    if not isinstance(raw, dict):
        raise CodebookError(f"{path}: is empty or not a mapping (expected sections questions, demographics, design)")
    if not raw.get("questions"):
        raise CodebookError(f"{path}: questions: missing or empty (expected one entry per question)")
    sections = {}
    for section, kind in (("questions", "question"), ("demographics", "demographic"), ("design", "design")):
        entries = as_mapping(raw.get(section), f"{path}: {section}")
        sections[section] = {str(k): _variable(str(k), v, kind, path, section) for k, v in entries.items()}
    seen: dict[str, str] = {}
    for section, entries in sections.items():
        for key in entries:
            if key in seen:
                raise CodebookError(
                    f"{path}: {section}.{key}: also defined under {seen[key]} (expected each name once)"
                )
            seen[key] = section
    codebook = Codebook(path=path, **sections)
    for question in codebook.questions.values():
        if question.split_variable and question.split_variable not in codebook.design:
            raise CodebookError(
                f"{path}: questions.{question.key}.split_sample: variable {question.split_variable} "
                f"is not in the design section (expected one of: {', '.join(codebook.design) or 'none'})"
            )
        if question.split_variable:
            halves = {a.key for a in codebook.design[question.split_variable].answers}
            for item in question.items:
                if item.asked_of not in halves:
                    raise CodebookError(
                        f"{path}: questions.{question.key}.items.{item.key}: asked_of "
                        f"{item.asked_of!r} is not a half of {question.split_variable} "
                        f"(expected one of: {', '.join(sorted(halves))})"
                    )
    return codebook
