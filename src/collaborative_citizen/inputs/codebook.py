"""The questionnaire as data: questions, answers, nets and how each is stored in a respondent file."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from ..errors import CodebookError
from .yaml_files import load_yaml_unique, yaml_problem

QUESTION_TYPES = ("single", "multi", "grid")
LABEL_SOURCES = ("published", "assumed")
# SPSS variable names may not be longer than this.
MAX_VARIABLE_NAME = 64


def _mapping(value, where: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise CodebookError(f"{where}: is a {type(value).__name__}, not a mapping (expected key: value entries)")
    return value


def _list(value, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise CodebookError(f"{where}: is a {type(value).__name__}, not a list (expected entries starting with -)")
    return value


def _field(entry, name: str, where: str):
    if not isinstance(entry, dict):
        raise CodebookError(f"{where}: entry {entry!r} is not a mapping (expected {{key: ..., {name}: ...}})")
    if entry.get(name) is None:
        raise CodebookError(f"{where}: entry {entry.get('key', entry)!r} has no {name} (expected {name}: ...)")
    return entry[name]


RESIDUAL_KEYS = {"other", "none", "dont_know", "refused", "prefer_not_to_say"}


@dataclass(frozen=True)
class Answer:
    key: str
    code: int
    label: str
    label_source: str
    exclusive: bool = False
    lower: int | None = None  # a band of a numeric variable (age): its lowest value; the band runs to the next's

    @property
    def residual(self) -> bool:
        """Other, none of these, don't know: answers a chart places after the substantive ones."""
        return self.exclusive or self.key in RESIDUAL_KEYS


@dataclass(frozen=True)
class Net:
    key: str
    label: str
    answers: tuple[str, ...]


@dataclass(frozen=True)
class Item:
    key: str
    label: str
    variable: str
    asked_of: str | None = None  # split-sample half, None when everyone was asked
    way: str | None = None
    aspect: str | None = None


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


def _answers(raw: list, where: str) -> tuple[Answer, ...]:
    answers = []
    field = f"{where}.answers"
    for entry in _list(raw, field):
        key, code, label = (_field(entry, name, field) for name in ("key", "code", "label"))
        source = entry.get("label_source")
        if source not in LABEL_SOURCES:
            raise CodebookError(f"{field}: answer {key!r} needs label_source (expected published or assumed)")
        if isinstance(code, bool) or not isinstance(code, int):
            raise CodebookError(f"{field}: answer {key!r}: code {code!r} is not a whole number (expected e.g. code: 1)")
        lower = entry.get("lower")
        if lower is not None and (isinstance(lower, bool) or not isinstance(lower, int)):
            raise CodebookError(
                f"{field}: answer {key!r}: lower {lower!r} is not a whole number (expected the "
                "band's lowest value, e.g. lower: 25)"
            )
        answers.append(
            Answer(
                key=str(key),
                code=code,
                label=str(label),
                label_source=source,
                exclusive=bool(entry.get("exclusive", False)),
                lower=lower,
            )
        )
    if not answers:
        raise CodebookError(f"{field}: no answers (expected a list of key, code, label, label_source)")
    for attr in ("key", "code"):
        values = [getattr(a, attr) for a in answers]
        duplicates = sorted({str(v) for v in values if values.count(v) > 1})
        if duplicates:
            raise CodebookError(f"{where}: duplicate answer {attr}s {', '.join(duplicates)} (expected each once)")
    return tuple(answers)


def _nets(raw: list, answers: tuple[Answer, ...], where: str) -> tuple[Net, ...]:
    keys = {a.key for a in answers}
    nets = []
    where = f"{where}.nets"
    for entry in _list(raw, where):
        key, label = str(_field(entry, "key", where)), _field(entry, "label", where)
        members = tuple(str(k) for k in _list(_field(entry, "answers", where), f"{where}.{key}.answers"))
        unknown = [k for k in members if k not in keys]
        if unknown:
            raise CodebookError(
                f"{where}: net {key!r} refers to unknown answers {', '.join(unknown)} "
                f"(expected answer keys: {', '.join(a.key for a in answers)})"
            )
        if not members:
            raise CodebookError(f"{where}: net {key!r} has no answers (expected a list of answer keys)")
        if key in keys or key in {n.key for n in nets}:
            raise CodebookError(
                f"{where}: net {key!r} has the same key as an answer or another net (expected a key of its own)"
            )
        nets.append(Net(key=key, label=str(label), answers=members))
    return tuple(nets)


def _items(key: str, raw: dict, where: str) -> tuple[tuple[Item, ...], dict]:
    if "ways" in raw:
        # A grid crossed from two lists: every way of organising rated on every aspect.
        ways = {
            str(_field(w, "key", f"{where}.ways")): str(_field(w, "label", f"{where}.ways"))
            for w in _list(raw["ways"], f"{where}.ways")
        }
        aspects = {
            str(_field(a, "key", f"{where}.aspects")): str(_field(a, "label", f"{where}.aspects"))
            for a in _list(raw.get("aspects"), f"{where}.aspects")
        }
        if not ways or not aspects:
            raise CodebookError(f"{where}: a grid of ways needs both ways and aspects (expected two non-empty lists)")
        items = tuple(
            Item(key=f"{w}_{a}", label=f"{wl}: {al.lower()}", variable=f"{key}_{w}_{a}", way=w, aspect=a)
            for w, wl in ways.items()
            for a, al in aspects.items()
        )
        return items, {"ways": ways, "aspects": aspects}
    entries = _list(raw.get("items"), f"{where}.items")
    items = tuple(
        Item(
            key=str(_field(i, "key", f"{where}.items")),
            label=str(_field(i, "label", f"{where}.items")),
            variable=str(i.get("variable") or f"{key}_{i['key']}"),
            asked_of=i.get("asked_of"),
        )
        for i in entries
    )
    if not items:
        raise CodebookError(
            f"{where}: items: a grid needs items (expected a list of key and label, or ways and aspects)"
        )
    for attr in ("key", "variable"):
        values = [getattr(i, attr) for i in items]
        duplicates = sorted({v for v in values if values.count(v) > 1})
        if duplicates:
            raise CodebookError(f"{where}.items: duplicate item {attr}s {', '.join(duplicates)} (expected each once)")
    return items, {}


def _variable(key: str, raw: dict, kind: str, path: Path, section: str = "") -> Variable:
    where = f"{path}: {section + '.' if section else ''}{key}"
    if not isinstance(raw, dict) or "wording" not in raw:
        raise CodebookError(f"{where}: wording: missing (expected the question as asked)")
    qtype = raw.get("type", "single")
    if qtype not in QUESTION_TYPES:
        raise CodebookError(f"{where}: type {qtype!r} (expected one of {', '.join(QUESTION_TYPES)})")
    answers = _answers(raw.get("answers"), where)
    items, groupings = _items(key, raw, where) if qtype == "grid" else ((), {})
    max_answers = raw.get("max_answers")
    if qtype == "multi" and (isinstance(max_answers, bool) or not isinstance(max_answers, int) or max_answers < 1):
        raise CodebookError(f"{where}: a multi question needs max_answers (expected a whole number of at least 1)")
    split = _mapping(raw.get("split_sample"), f"{where}.split_sample").get("variable")
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
        nets=_nets(raw.get("nets"), answers, where),
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
    path = Path(path)
    try:
        raw = load_yaml_unique(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CodebookError(f"{path}: codebook not found (expected data/codebook.yml)") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CodebookError(f"{path}: cannot be read ({error})") from None
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
        entries = _mapping(raw.get(section), f"{path}: {section}")
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
