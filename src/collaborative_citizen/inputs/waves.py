"""Survey waves: each is a folder `data/waves/<id>/` holding `wave.yml` and the respondent file it names.

Figures known only from earlier publications (no respondent data) live in `data/published/`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import WaveError
from ..wave_id import is_plain_id
from .wave_settings import NOT_IN_BASE, parse_date, parse_preparation
from .yaml_files import load_yaml_unique, yaml_problem

REQUIRED = (
    "id",
    "title",
    "fieldwork",
    "population",
    "geography",
    "minimum_age",
    "agency",
    "mode",
    "data_file",
    "respondent_id",
    "weight",
)
OPTIONAL = (
    "year",
    "population_short",
    "commissioned_by",
    "sample",
    "weighting",
    "questions",
    "variable_map",
    "user_missing",
    "recode",
    "bands",
    "not_collected",
    "sample_design",
    "weighted",
    "reconstructed",
    "notes",
)
GEOGRAPHIES = ("GB", "UK")


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
    geography: str
    minimum_age: int
    agency: str
    mode: str
    data_file: Path
    respondent_id: str
    weight: str
    questions: tuple[str, ...] | None  # None: the questions whose variables are in the file
    variable_map: dict = field(default_factory=dict)  # codebook variable -> the file's own name
    reconstructed: bool = False
    notes: str = ""
    weighted: bool = True  # False: the weight variable is all ones and the report's figures are unweighted
    sample: str = ""  # where the respondents came from ("members of an online research panel ...")
    weighting: dict = field(default_factory=dict)  # method, variables (codebook keys), targets
    # How the delivered file is read (applied in memory, the file is never rewritten):
    items_asked: dict = field(default_factory=dict)  # grid question -> the items asked, where wave.yml lists them
    user_missing: dict = field(default_factory=dict)  # SPSS user-missing value -> answer key or NOT_IN_BASE
    recode: dict = field(default_factory=dict)  # codebook variable or question -> {file value: codebook code}
    bands: dict = field(default_factory=dict)  # derived demographic -> {"from": file variable, "labels": {...}}
    not_collected: tuple[str, ...] = ()  # demographics this wave did not collect
    # Strata, clusters (PSUs), fpc (file variables) and lonely_psu, or a design_factor alone: sample_design.py.
    sample_design: dict = field(default_factory=dict)

    @property
    def design_text(self) -> str:
        """How the standard errors treat the sample's design, for Methods."""
        design = self.sample_design
        if design.get("design_factor"):
            return (
                f"Standard errors are those of a weighted design multiplied by the agency's design factor of "
                f"{design['design_factor']:g}, which allows for clustering and stratification the file does not "
                "describe."
            )
        parts = [p for p, key in (("stratified", "strata"), ("clustered", "clusters")) if design.get(key)]
        if not parts:
            return (
                "Standard errors are those of a weighted design without clusters or strata, linearised as in "
                "R's survey package."
            )
        said = " and ".join(parts)
        fpc = " with a finite population correction" if design.get("fpc") else ""
        lonely = {
            "adjust": "a stratum with a single PSU is centred at the overall mean",
            "remove": "a stratum with a single PSU adds no variance",
            "certainty": "a stratum with a single PSU is taken with certainty",
            "average": "a stratum with a single PSU is given the average variance of the others",
        }.get(design.get("lonely_psu", ""), "")
        return (
            f"Standard errors allow for the {said} design{fpc}, linearised as in R's survey package, with "
            "degrees of freedom from the number of PSUs less the number of strata"
            + (f"; {lonely}" if lonely else "")
            + "."
        )

    @property
    def weighting_text(self) -> str:
        """How this wave's weights were made, as wave.yml's `weighting` says (a general sentence without it)."""
        weighting = self.weighting or {}
        variables = [v.replace("_", " ") for v in weighting.get("variables", ())]
        method = {
            "raking": "by raking (iterative proportional fitting)",
            "cell": "by cell weighting",
            "calibration": "by calibration",
            "design": "from the design's selection probabilities",
        }.get(weighting.get("method", ""), "")
        said = "Results are weighted so that the sample matches the population's profile"
        if variables:
            said += " by " + (
                ", ".join(variables[:-1]) + " and " + variables[-1] if len(variables) > 1 else variables[0]
            )
        if method:
            said += f", {method}"
        if weighting.get("targets"):
            said += f", to {weighting['targets']}"
        return said + "."

    @property
    def preparation(self) -> list[str]:
        """What wave.yml says is done to the delivered file before it is read, in plain words (the colophon)."""
        steps = []
        if self.variable_map:
            steps.append(f"{len(self.variable_map)} of the file's variables renamed to the codebook's names")
        for value, meaning in sorted(self.user_missing.items()):
            steps.append(
                f"user-missing value {plain_number(value)} read as "
                + ("not in the base" if meaning == NOT_IN_BASE else f"the answer {meaning}")
            )
        for name, mapping in sorted(self.recode.items()):
            steps.append(
                f"{name} recoded ("
                + ", ".join(f"{plain_number(k)} to {plain_number(v)}" for k, v in mapping.items())
                + ")"
            )
        for name, spec in sorted(self.bands.items()):
            steps.append(f"{name} banded from {spec['from']}")
        if self.not_collected:
            steps.append("not collected: " + ", ".join(self.not_collected))
        return steps

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

    @property
    def design_summary(self) -> str:
        """'GB adults 15+, face-to-face ...': what a comparison between waves must keep in view."""
        return f"{self.geography} adults {self.minimum_age}+, {self.mode}"

    def file_variable(self, variable: str) -> str:
        """The name a codebook variable has in this wave's file."""
        return self.variable_map.get(variable, variable)


def check_wave_id(wave_id: str) -> str:
    """A wave id is a plain folder name: never a path that could climb out of data/waves."""
    if not is_plain_id(wave_id):
        raise WaveError(f"WAVE={wave_id!r}: not a plain wave id (letters, digits, '-', '_' or '.', e.g. 2014)")
    return wave_id


def plain_number(value) -> str:
    """A value as a researcher typed it: SPSS stores every number as a float (98.0, ids included)."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _questions(value, path: Path) -> tuple[tuple[str, ...] | None, dict]:
    """`questions:` lists codebook question keys; a grid may be given as `key: [items asked]`."""
    if value is None:
        return None, {}
    where = f"{path}: questions"
    if not isinstance(value, list):
        raise WaveError(f"{where}: expected a list of codebook question keys (a grid may be `key: [items]`)")
    keys, items = [], {}
    for entry in value:
        if isinstance(entry, str):
            keys.append(entry)
        elif isinstance(entry, dict) and len(entry) == 1:
            ((key, asked),) = entry.items()
            if not (isinstance(asked, list) and asked and all(isinstance(i, str) for i in asked)):
                raise WaveError(f"{where}: {key}: expected the list of items asked, e.g. {key}: [item_a, item_b]")
            keys.append(str(key))
            items[str(key)] = tuple(asked)
        else:
            raise WaveError(f"{where}: {entry!r} (expected a codebook question key, or key: [items asked])")
    duplicated = sorted({k for k in keys if keys.count(k) > 1})
    if duplicated:
        raise WaveError(f"{where}: {', '.join(duplicated)} listed twice (expected each question once)")
    return tuple(keys), items


def _data_file(folder: Path, name: str, path: Path) -> Path:
    """The respondent file: a file inside the wave's folder, links resolved (a wave never reads from elsewhere)."""
    candidate = folder / name
    inside = folder.resolve()
    resolved = candidate.resolve()
    if Path(name).is_absolute() or not resolved.is_relative_to(inside) or resolved == inside:
        where = "a link to somewhere" if candidate.is_symlink() else "somewhere"
        raise WaveError(
            f"{path}: data_file: {name!r} leads {where} outside the wave's folder {folder} (expected "
            "the name of a file in that folder, e.g. respondents.sav)"
        )
    if resolved.exists() and not resolved.is_file():
        raise WaveError(f"{path}: data_file: {name!r} is not a file (expected the respondent file in {folder})")
    return candidate


def _text(raw: dict, key: str, path: Path) -> str:
    value = raw[key]
    if not isinstance(value, (str, int)) or str(value).strip() == "":
        raise WaveError(f"{path}: {key}: must be text (expected e.g. {key}: ...)")
    return str(value).strip()


def load_wave(folder: str | Path) -> Wave:
    folder = Path(folder)
    path = folder / "wave.yml"
    if not folder.is_dir():
        raise WaveError(f"{folder}: no such wave folder (expected data/waves/<id>/ with a wave.yml)")
    if not path.is_file():
        raise WaveError(f"{path}: no wave description (expected wave.yml in {folder})")
    try:
        raw = load_yaml_unique(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise WaveError(
            f"{path}: {yaml_problem(error)}: not valid YAML (expected field: value lines, each field "
            "once, as in data/waves/2015/wave.yml)"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise WaveError(f"{path}: cannot be read ({getattr(error, 'strerror', None) or error})") from None
    if not isinstance(raw, dict):
        raise WaveError(f"{path}: expected fields such as id, title, fieldwork (see README, Adding a new survey wave)")
    unknown = sorted(set(raw) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise WaveError(
            f"{path}: {', '.join(unknown)}: unknown field (expected one of {', '.join(REQUIRED + OPTIONAL)})"
        )
    missing = [k for k in REQUIRED if k not in raw]
    if missing:
        raise WaveError(
            f"{path}: {', '.join(missing)}: missing (required field) (expected every field the README's "
            "table marks required)"
        )
    if str(raw["id"]) != folder.name:
        raise WaveError(f"{path}: id: {raw['id']!r} does not match its folder name (expected {folder.name!r})")
    fieldwork = raw["fieldwork"] if isinstance(raw["fieldwork"], dict) else {}
    start = parse_date(fieldwork.get("start"), f"{path}: fieldwork.start")
    end = parse_date(fieldwork.get("end"), f"{path}: fieldwork.end")
    if end < start:
        raise WaveError(
            f"{path}: fieldwork.end: {end} is before fieldwork.start {start} (expected an end on or after the start)"
        )
    geography = str(raw["geography"])
    if geography not in GEOGRAPHIES:
        raise WaveError(f"{path}: geography: {geography!r} (expected one of {', '.join(GEOGRAPHIES)})")
    try:
        minimum_age = int(raw["minimum_age"])
    except (TypeError, ValueError):
        raise WaveError(
            f"{path}: minimum_age: {raw['minimum_age']!r} is not a whole number (expected e.g. 15)"
        ) from None
    variable_map = raw.get("variable_map") or {}
    if not isinstance(variable_map, dict):
        raise WaveError(f"{path}: variable_map: expected codebook variable: file variable pairs")
    weighted = raw.get("weighted", True)
    if not isinstance(weighted, bool):
        raise WaveError(f"{path}: weighted: {weighted!r} (expected true or false)")
    questions, items_asked = _questions(raw.get("questions"), path)
    preparation = parse_preparation(raw, path)
    if preparation["weighting"].get("method") == "none" and weighted:
        raise WaveError(
            f"{path}: weighting: method none, but weighted is not false (expected `weighted: false` "
            "for an unweighted wave)"
        )
    return Wave(
        id=str(raw["id"]),
        folder=folder,
        title=_text(raw, "title", path),
        year=int(raw.get("year", end.year)),
        fieldwork_start=start,
        fieldwork_end=end,
        population=_text(raw, "population", path),
        population_short=str(raw.get("population_short", raw["population"])),
        geography=geography,
        minimum_age=minimum_age,
        agency=_text(raw, "agency", path),
        mode=_text(raw, "mode", path),
        data_file=_data_file(folder, _text(raw, "data_file", path), path),
        respondent_id=_text(raw, "respondent_id", path),
        weight=_text(raw, "weight", path),
        questions=questions,
        items_asked=items_asked,
        sample=str(raw.get("sample", "")).strip(),
        **preparation,
        variable_map={str(k): str(v) for k, v in variable_map.items()},
        reconstructed=bool(raw.get("reconstructed", False)),
        notes=str(raw.get("notes", "")).strip(),
        weighted=weighted,
    )


def wave_folder(data_dir: str | Path, wave_id: str) -> Path:
    return Path(data_dir) / "waves" / check_wave_id(str(wave_id))


def available_waves(data_dir: str | Path) -> list[Wave]:
    """Every wave with respondent data in data/waves, oldest first."""
    folders = sorted(p.parent for p in (Path(data_dir) / "waves").glob("*/wave.yml"))
    return sorted((load_wave(f) for f in folders), key=lambda w: (w.fieldwork_start, w.id))
