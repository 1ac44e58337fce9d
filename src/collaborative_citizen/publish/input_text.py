"""The text the inputs put into the report, checked where it is written: a character the report's fonts do not
have, or a web address (the report may refer to nothing on the network), is named with the file and the key that
hold it, before the HTML is built (the finished page is checked as well, but could only name the page)."""

from __future__ import annotations

import re
import unicodedata

from ..fonts import uncovered_characters

WEB_ADDRESS = re.compile(r"\b(?:https?|ftp)://\S+|\bwww\.[a-z0-9-]+\.[a-z]{2,}\S*", re.I)


def _codebook_texts(codebook) -> list[tuple[str, str]]:
    found = []
    for section, entries in (
        ("design", codebook.design),
        ("demographics", codebook.demographics),
        ("questions", codebook.questions),
    ):
        for key, variable in entries.items():
            where = f"{section}.{key}"
            found.append((f"{where}.wording", variable.wording))
            found += [(f"{where}.answers.{a.key}.label", a.label) for a in variable.answers]
            found += [(f"{where}.nets.{n.key}.label", n.label) for n in variable.nets]
            found += [(f"{where}.items.{i.key}.label", i.label) for i in variable.items]
            for kind, labels in variable.groupings.items():
                found += [(f"{where}.{kind}.{k}.label", v) for k, v in labels.items()]
    return found


def _wave_texts(wave) -> list[tuple[str, str]]:
    fields = ("title", "population", "population_short", "agency", "mode", "sample", "notes")
    return [(name, str(getattr(wave, name, "") or "")) for name in fields]


def _config_texts(config: dict) -> list[tuple[str, str]]:
    found = [(key, str(config.get(key, ""))) for key in ("title", "subtitle", "publisher")]
    found += [(f"findings.{f.get('number')}.title", str(f.get("title", ""))) for f in config.get("findings", [])]
    for n, part in enumerate(config.get("parts", [])):
        found += [(f"parts.{part.get('id', n)}.{key}", str(part[key])) for key in ("title", "lead") if part.get(key)]
    for breakdown, phrases in (config.get("group_phrases") or {}).items():
        found += [(f"group_phrases.{breakdown}.{k}", str(v)) for k, v in phrases.items()]
    return found


def file_problems(path, shown: str) -> list[str]:
    """A commentary file's characters outside the fonts, by line (its web addresses are shown without their
    scheme, as plain text, so they are not checked here)."""
    problems = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        missing = uncovered_characters(line)
        if missing:
            names = ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, 'unnamed')}" for c in missing[:5])
            problems.append(
                f"{shown}: line {number}: {names} outside the report's fonts (expected characters the "
                "embedded fonts have: add them to fonts.FONT_UNICODES and vendor the fonts again)"
            )
    return problems


def text_problems(codebook, wave, config, codebook_file: str, wave_file: str, config_file: str) -> list[str]:
    """One line per text field that holds a character outside the fonts or a web address."""
    problems = []
    for file, texts in (
        (codebook_file, _codebook_texts(codebook)),
        (wave_file, _wave_texts(wave)),
        (config_file, _config_texts(config)),
    ):
        for key, text in texts:
            missing = uncovered_characters(text)
            if missing:
                names = ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, 'unnamed')}" for c in missing[:5])
                problems.append(
                    f"{file}: {key}: {names} outside the report's fonts (expected characters the "
                    "embedded fonts have: add them to fonts.FONT_UNICODES and vendor the fonts again)"
                )
            address = WEB_ADDRESS.search(text)
            if address:
                problems.append(
                    f"{file}: {key}: {address.group(0)!r} is a web address (expected none: the report "
                    "refers to nothing on the network; name the source in words)"
                )
    return problems
