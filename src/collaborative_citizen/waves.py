"""Survey waves: each is a folder `data/waves/<id>/` holding `wave.yml` and, for waves with respondent
data, the data file it names."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REQUIRED = ("id", "title", "fieldwork", "population", "agency", "mode")


class WaveError(ValueError):
    """A wave description is missing or incomplete."""


@dataclass(frozen=True)
class Wave:
    id: str
    folder: Path
    title: str
    year: int
    fieldwork_start: dt.date
    fieldwork_end: dt.date
    population: str
    population_short: str
    agency: str
    mode: str
    data_file: Path | None
    respondent_id: str | None
    weight: str | None
    questions: tuple[str, ...] | None  # None: every question of the codebook was asked
    reconstructed: bool = False
    notes: str = ""
    published: tuple[dict, ...] = field(default=())  # figures known only as published aggregates

    @property
    def fieldwork_text(self) -> str:
        """'31 January - 6 February 2014', the form a base line uses."""
        start, end = self.fieldwork_start, self.fieldwork_end
        if start.year != end.year:
            return f"{start.day} {start:%B %Y} - {end.day} {end:%B %Y}"
        if start.month != end.month:
            return f"{start.day} {start:%B} - {end.day} {end:%B %Y}"
        return f"{start.day}-{end.day} {end:%B %Y}"

    @property
    def fieldwork_prose(self) -> str:
        """'31 January to 6 February 2014', the form a sentence uses."""
        return self.fieldwork_text.replace(" - ", " to ")

    def asks(self, question: str) -> bool:
        return self.questions is None or question in self.questions


def _date(value, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise WaveError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


def load_wave(folder: str | Path) -> Wave:
    folder = Path(folder)
    path = folder / "wave.yml"
    if not path.is_file():
        raise WaveError(f"{path}: no wave description (expected wave.yml in {folder})")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise WaveError(f"{path}: not valid YAML ({error})") from None
    missing = [k for k in REQUIRED if k not in raw]
    if missing:
        raise WaveError(f"{path}: missing {', '.join(missing)}")
    if str(raw["id"]) != folder.name:
        raise WaveError(f"{path}: id {raw['id']!r} does not match its folder name {folder.name!r}")
    fieldwork = raw["fieldwork"] or {}
    start = _date(fieldwork.get("start"), f"{path}: fieldwork.start")
    end = _date(fieldwork.get("end"), f"{path}: fieldwork.end")
    data_file = raw.get("data_file")
    if data_file and not (raw.get("respondent_id") and raw.get("weight")):
        raise WaveError(f"{path}: a wave with a data file needs respondent_id and weight")
    questions = raw.get("questions")
    return Wave(
        id=str(raw["id"]), folder=folder, title=str(raw["title"]), year=int(raw.get("year", end.year)),
        fieldwork_start=start, fieldwork_end=end, population=str(raw["population"]),
        population_short=str(raw.get("population_short", raw["population"])), agency=str(raw["agency"]),
        mode=str(raw["mode"]), data_file=folder / data_file if data_file else None,
        respondent_id=raw.get("respondent_id"), weight=raw.get("weight"),
        questions=tuple(questions) if questions else None, reconstructed=bool(raw.get("reconstructed", False)),
        notes=str(raw.get("notes", "")).strip(), published=tuple(raw.get("published") or ()),
    )


def wave_folder(data_dir: str | Path, wave_id: str) -> Path:
    return Path(data_dir) / "waves" / str(wave_id)


def available_waves(data_dir: str | Path) -> list[Wave]:
    """Every wave in data/waves, oldest first."""
    folders = sorted(p.parent for p in (Path(data_dir) / "waves").glob("*/wave.yml"))
    return sorted((load_wave(f) for f in folders), key=lambda w: (w.fieldwork_start, w.id))
