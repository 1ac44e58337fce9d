"""Earlier surveys known only from the figures a publication quoted (data/published/*.yml): aggregates without
respondent data, compared with a wave where the question matches."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..errors import WaveError
from .wave_settings import parse_date
from .yaml_files import load_yaml, yaml_problem


@dataclass(frozen=True)
class PublishedWave:
    """An earlier survey known only from figures quoted in a publication: aggregates, no respondent data."""

    id: str
    year: int
    fieldwork_start: dt.date
    population: str
    geography: str | None
    minimum_age: int | None
    mode: str
    source: str
    figures: tuple[dict, ...]  # question, item, answer, pct, base (None where unknown)

    @property
    def design_summary(self) -> str:
        who = f"{self.geography} adults" if self.geography else "adults"
        return f"{who}{f' {self.minimum_age}+' if self.minimum_age else ''}, {self.mode}"


def published_waves(data_dir: str | Path) -> list[PublishedWave]:
    """Every file of data/published, oldest first."""
    found = []
    for path in sorted((Path(data_dir) / "published").glob("*.yml")):
        try:
            raw = load_yaml(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as error:
            raise WaveError(f"{path}: {yaml_problem(error)} (expected field: value lines)") from None
        for key in ("id", "year", "population", "mode", "source", "figures"):
            if key not in raw:
                raise WaveError(
                    f"{path}: {key}: missing (required field) (expected id, year, population, mode, source and figures)"
                )
        figures = []
        for number, figure in enumerate(raw["figures"], 1):
            if not {"question", "answer", "pct"} <= set(figure):
                raise WaveError(f"{path}: figures, entry {number}: incomplete (expected question, answer and pct)")
            figures.append(
                {
                    "question": figure["question"],
                    "item": figure.get("item", ""),
                    "answer": figure["answer"],
                    "pct": float(figure["pct"]),
                    "base": figure.get("base"),
                }
            )
        found.append(
            PublishedWave(
                id=str(raw["id"]),
                year=int(raw["year"]),
                fieldwork_start=parse_date(
                    raw.get("fieldwork_start", f"{raw['year']}-01-01"), f"{path}: fieldwork_start"
                ),
                population=str(raw["population"]),
                geography=raw.get("geography"),
                minimum_age=raw.get("minimum_age"),
                mode=str(raw["mode"]),
                source=str(raw["source"]),
                figures=tuple(figures),
            )
        )
    return sorted(found, key=lambda w: (w.fieldwork_start, w.id))
