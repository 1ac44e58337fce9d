"""The codebook's building blocks: answers, nets and grid items, read from their YAML entries with a one-line
error for each entry of the wrong shape. codebook.py assembles them into variables."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import CodebookError

LABEL_SOURCES = ("published", "assumed")


def as_mapping(value, where: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise CodebookError(f"{where}: is a {type(value).__name__}, not a mapping (expected key: value entries)")
    return value


def as_list(value, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise CodebookError(f"{where}: is a {type(value).__name__}, not a list (expected entries starting with -)")
    return value


def required_field(entry, name: str, where: str):
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


def answers_from(raw: list, where: str) -> tuple[Answer, ...]:
    answers = []
    field = f"{where}.answers"
    for entry in as_list(raw, field):
        key, code, label = (required_field(entry, name, field) for name in ("key", "code", "label"))
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


def nets_from(raw: list, answers: tuple[Answer, ...], where: str) -> tuple[Net, ...]:
    keys = {a.key for a in answers}
    nets = []
    where = f"{where}.nets"
    for entry in as_list(raw, where):
        key, label = str(required_field(entry, "key", where)), required_field(entry, "label", where)
        members = tuple(str(k) for k in as_list(required_field(entry, "answers", where), f"{where}.{key}.answers"))
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


def items_from(key: str, raw: dict, where: str) -> tuple[tuple[Item, ...], dict]:
    if "ways" in raw:
        # A grid crossed from two lists: every way of organising rated on every aspect.
        ways = {
            str(required_field(w, "key", f"{where}.ways")): str(required_field(w, "label", f"{where}.ways"))
            for w in as_list(raw["ways"], f"{where}.ways")
        }
        aspects = {
            str(required_field(a, "key", f"{where}.aspects")): str(required_field(a, "label", f"{where}.aspects"))
            for a in as_list(raw.get("aspects"), f"{where}.aspects")
        }
        if not ways or not aspects:
            raise CodebookError(f"{where}: a grid of ways needs both ways and aspects (expected two non-empty lists)")
        items = tuple(
            Item(key=f"{w}_{a}", label=f"{wl}: {al.lower()}", variable=f"{key}_{w}_{a}", way=w, aspect=a)
            for w, wl in ways.items()
            for a, al in aspects.items()
        )
        return items, {"ways": ways, "aspects": aspects}
    entries = as_list(raw.get("items"), f"{where}.items")
    items = tuple(
        Item(
            key=str(required_field(i, "key", f"{where}.items")),
            label=str(required_field(i, "label", f"{where}.items")),
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
