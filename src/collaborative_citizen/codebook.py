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


# libyaml's parser where PyYAML was built with it (its wheels are): the same documents, parsed ten times faster
# (each notebook reads the codebook and report.yml).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str):
    """yaml.safe_load, with libyaml's parser when there is one."""
    return yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader


class _UniqueKeyLoader(SAFE_LOADER):
    """PyYAML's safe loader, except that a mapping may not repeat a key: plain PyYAML silently keeps the last
    one, so a copied-and-edited entry would quietly replace the question above it."""


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            continue  # the base constructor reports unhashable keys itself
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                f"duplicate key {key!r} (first at line {seen[key] + 1}; a key may appear only once)",
                key_node.start_mark)
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


def load_yaml_unique(text: str):
    """Parse YAML refusing duplicate keys (yaml.ConstructorError names the key and both lines)."""
    return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass


def _yaml_problem(error: yaml.YAMLError) -> str:
    """'line 12: duplicate key 'label' (...)' from a PyYAML error, without its multi-line layout."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return where + " ".join(str(problem).split())


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
    field = f"{where}.answers"
    for entry in _list(raw, field):
        key, code, label = (_field(entry, name, field) for name in ("key", "code", "label"))
        source = entry.get("label_source")
        if source not in LABEL_SOURCES:
            raise CodebookError(f"{field}: answer {key!r} needs label_source (expected published or assumed)")
        if isinstance(code, bool) or not isinstance(code, int):
            raise CodebookError(f"{field}: answer {key!r}: code {code!r} is not a whole number (expected e.g. code: 1)")
        answers.append(Answer(key=str(key), code=code, label=str(label),
                              label_source=source, exclusive=bool(entry.get("exclusive", False))))
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
            raise CodebookError(f"{where}: net {key!r} refers to unknown answers {', '.join(unknown)} "
                                f"(expected answer keys: {', '.join(a.key for a in answers)})")
        if not members:
            raise CodebookError(f"{where}: net {key!r} has no answers (expected a list of answer keys)")
        if key in keys or key in {n.key for n in nets}:
            raise CodebookError(f"{where}: net {key!r} has the same key as an answer or another net (expected a key of its own)")
        nets.append(Net(key=key, label=str(label), answers=members))
    return tuple(nets)


def _items(key: str, raw: dict, where: str) -> tuple[tuple[Item, ...], dict]:
    if "ways" in raw:
        # A grid crossed from two lists: every way of organising rated on every aspect.
        ways = {str(_field(w, "key", f"{where}.ways")): str(_field(w, "label", f"{where}.ways"))
                for w in _list(raw["ways"], f"{where}.ways")}
        aspects = {str(_field(a, "key", f"{where}.aspects")): str(_field(a, "label", f"{where}.aspects"))
                   for a in _list(raw.get("aspects"), f"{where}.aspects")}
        if not ways or not aspects:
            raise CodebookError(f"{where}: a grid of ways needs both ways and aspects (expected two non-empty lists)")
        items = tuple(Item(key=f"{w}_{a}", label=f"{wl}: {al.lower()}", variable=f"{key}_{w}_{a}", way=w, aspect=a)
                      for w, wl in ways.items() for a, al in aspects.items())
        return items, {"ways": ways, "aspects": aspects}
    entries = _list(raw.get("items"), f"{where}.items")
    items = tuple(Item(key=str(_field(i, "key", f"{where}.items")), label=str(_field(i, "label", f"{where}.items")),
                       variable=str(i.get("variable") or f"{key}_{i['key']}"), asked_of=i.get("asked_of"))
                  for i in entries)
    if not items:
        raise CodebookError(f"{where}: items: a grid needs items (expected a list of key and label, "
                            "or ways and aspects)")
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
        raise CodebookError(f"{where}: items have asked_of but the question has no split_sample (expected split_sample: {{variable: ...}})")
    variable = Variable(key=key, wording=str(raw["wording"]), kind=kind, type=qtype, answers=answers,
                        nets=_nets(raw.get("nets"), answers, where), items=items, max_answers=max_answers,
                        split_variable=split, groupings=groupings)
    for name in variable.variables:
        if len(name) > MAX_VARIABLE_NAME:
            raise CodebookError(f"{where}: variable name {name} is too long for SPSS (expected at most {MAX_VARIABLE_NAME} characters)")
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
        problem = _yaml_problem(error)
        raise CodebookError(f"{path}: {problem}" + ("" if "duplicate key" in problem else " (expected valid YAML)")) from None
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
                raise CodebookError(f"{path}: {section}.{key}: also defined under {seen[key]} (expected each name once)")
            seen[key] = section
    codebook = Codebook(path=path, **sections)
    for question in codebook.questions.values():
        if question.split_variable and question.split_variable not in codebook.design:
            raise CodebookError(f"{path}: questions.{question.key}.split_sample: variable {question.split_variable} "
                                f"is not in the design section (expected one of: {', '.join(codebook.design) or 'none'})")
        if question.split_variable:
            halves = {a.key for a in codebook.design[question.split_variable].answers}
            for item in question.items:
                if item.asked_of not in halves:
                    raise CodebookError(f"{path}: questions.{question.key}.items.{item.key}: asked_of "
                                        f"{item.asked_of!r} is not a half of {question.split_variable} "
                                        f"(expected one of: {', '.join(sorted(halves))})")
    return codebook
