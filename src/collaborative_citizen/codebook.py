"""The questionnaire as data: questions, answers, nets and how each is stored in a respondent file."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

QUESTION_TYPES = ("single", "multi", "grid")
LABEL_SOURCES = ("published", "assumed")
# SPSS variable names may not be longer than this.
MAX_VARIABLE_NAME = 64


class CodebookError(ValueError):
    """The codebook itself is inconsistent; raised with the file name and the offending key."""


@dataclass(frozen=True)
class Answer:
    key: str
    code: int
    label: str
    label_source: str
    exclusive: bool = False


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

    def __getitem__(self, key: str) -> Variable:
        for group in (self.questions, self.demographics, self.design):
            if key in group:
                return group[key]
        raise KeyError(f"{self.path.name}: no question or variable {key!r}")

    @property
    def all_variables(self) -> dict[str, Variable]:
        return {**self.design, **self.demographics, **self.questions}


def _answers(raw: list, where: str) -> tuple[Answer, ...]:
    answers = []
    for entry in raw or []:
        source = entry.get("label_source")
        if source not in LABEL_SOURCES:
            raise CodebookError(f"{where}: answer {entry.get('key')!r} needs label_source published or assumed")
        answers.append(Answer(key=str(entry["key"]), code=int(entry["code"]), label=str(entry["label"]),
                              label_source=source, exclusive=bool(entry.get("exclusive", False))))
    if not answers:
        raise CodebookError(f"{where}: no answers")
    for attr in ("key", "code"):
        values = [getattr(a, attr) for a in answers]
        duplicates = sorted({str(v) for v in values if values.count(v) > 1})
        if duplicates:
            raise CodebookError(f"{where}: duplicate answer {attr}s {', '.join(duplicates)}")
    return tuple(answers)


def _nets(raw: list, answers: tuple[Answer, ...], where: str) -> tuple[Net, ...]:
    keys = {a.key for a in answers}
    nets = []
    for entry in raw or []:
        members = tuple(str(k) for k in entry["answers"])
        unknown = [k for k in members if k not in keys]
        if unknown:
            raise CodebookError(f"{where}: net {entry['key']!r} refers to unknown answers {', '.join(unknown)}")
        if entry["key"] in keys:
            raise CodebookError(f"{where}: net {entry['key']!r} has the same key as an answer")
        nets.append(Net(key=str(entry["key"]), label=str(entry["label"]), answers=members))
    return tuple(nets)


def _items(key: str, raw: dict, where: str) -> tuple[tuple[Item, ...], dict]:
    if "ways" in raw:
        # A grid crossed from two lists: every way of organising rated on every aspect.
        ways = {str(w["key"]): str(w["label"]) for w in raw["ways"]}
        aspects = {str(a["key"]): str(a["label"]) for a in raw["aspects"]}
        items = tuple(Item(key=f"{w}_{a}", label=f"{wl}: {al.lower()}", variable=f"{key}_{w}_{a}", way=w, aspect=a)
                      for w, wl in ways.items() for a, al in aspects.items())
        return items, {"ways": ways, "aspects": aspects}
    items = tuple(Item(key=str(i["key"]), label=str(i["label"]), variable=str(i.get("variable", f"{key}_{i['key']}")),
                       asked_of=i.get("asked_of")) for i in raw.get("items") or [])
    if not items:
        raise CodebookError(f"{where}: a grid needs items (or ways and aspects)")
    return items, {}


def _variable(key: str, raw: dict, kind: str, path: Path) -> Variable:
    where = f"{path.name}: {key}"
    if not isinstance(raw, dict) or "wording" not in raw:
        raise CodebookError(f"{where}: needs a wording")
    qtype = raw.get("type", "single")
    if qtype not in QUESTION_TYPES:
        raise CodebookError(f"{where}: type {qtype!r} is not one of {', '.join(QUESTION_TYPES)}")
    answers = _answers(raw.get("answers"), where)
    items, groupings = _items(key, raw, where) if qtype == "grid" else ((), {})
    max_answers = raw.get("max_answers")
    if qtype == "multi" and not isinstance(max_answers, int):
        raise CodebookError(f"{where}: a multi question needs max_answers")
    split = (raw.get("split_sample") or {}).get("variable")
    if split is None and any(i.asked_of for i in items):
        raise CodebookError(f"{where}: items have asked_of but the question has no split_sample variable")
    variable = Variable(key=key, wording=str(raw["wording"]), kind=kind, type=qtype, answers=answers,
                        nets=_nets(raw.get("nets"), answers, where), items=items, max_answers=max_answers,
                        split_variable=split, groupings=groupings)
    for name in variable.variables:
        if len(name) > MAX_VARIABLE_NAME:
            raise CodebookError(f"{where}: variable name {name} is longer than SPSS allows ({MAX_VARIABLE_NAME})")
    return variable


def load_codebook(path: str | Path) -> Codebook:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CodebookError(f"{path}: codebook not found") from None
    except yaml.YAMLError as error:
        raise CodebookError(f"{path}: not valid YAML ({error})") from None
    sections = {}
    for section, kind in (("questions", "question"), ("demographics", "demographic"), ("design", "design")):
        sections[section] = {str(k): _variable(str(k), v, kind, path) for k, v in (raw.get(section) or {}).items()}
    codebook = Codebook(path=path, **sections)
    for question in codebook.questions.values():
        if question.split_variable and question.split_variable not in codebook.design:
            raise CodebookError(f"{path.name}: {question.key}: split variable {question.split_variable} "
                                "is not in the design section")
        if question.split_variable:
            halves = {a.key for a in codebook.design[question.split_variable].answers}
            for item in question.items:
                if item.asked_of not in halves:
                    raise CodebookError(f"{path.name}: {question.key}.{item.key}: asked_of must be one of "
                                        f"{', '.join(sorted(halves))}")
    return codebook
