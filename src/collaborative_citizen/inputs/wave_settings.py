"""Two sections of wave.yml read and checked: `preparation` (how the agency's file becomes the codebook's
variables) and `sample_design` (strata, clusters and what to do with a lonely PSU)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..errors import WaveError

# What a user-missing value may stand for besides a codebook answer: answered, but left out of the base.
NOT_IN_BASE = "not_in_base"
WEIGHTING_METHODS = ("raking", "cell", "calibration", "design", "none")


def _number_key(key, where: str):
    """A file value as wave.yml writes it (98, 2.5); YAML may give an int, a float or a quoted string."""
    if isinstance(key, bool):
        raise WaveError(f"{where}: {key!r} is not a number (expected a value of the file, e.g. 98)")
    try:
        value = float(key)
    except (TypeError, ValueError):
        raise WaveError(f"{where}: {key!r} is not a number (expected a value of the file, e.g. 98)") from None
    return int(value) if value.is_integer() else value


def parse_date(value, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise WaveError(f"{where}: {value!r} is not a date (expected YYYY-MM-DD)") from None


def parse_preparation(raw: dict, path: Path) -> dict:
    """The fields saying how to read the delivered file, checked for shape (the codebook checks meaning)."""
    found = {}
    user_missing = raw.get("user_missing") or {}
    if not isinstance(user_missing, dict):
        raise WaveError(f"{path}: user_missing: expected value: meaning pairs, e.g. 98: dont_know, 99: {NOT_IN_BASE}")
    found["user_missing"] = {}
    for value, meaning in user_missing.items():
        if not isinstance(meaning, str) or not meaning:
            raise WaveError(
                f"{path}: user_missing: {value}: {meaning!r} (expected a codebook answer key such as "
                f"dont_know, or {NOT_IN_BASE})"
            )
        found["user_missing"][_number_key(value, f"{path}: user_missing")] = meaning
    recode = raw.get("recode") or {}
    if not isinstance(recode, dict):
        raise WaveError(f"{path}: recode: expected variable: {{file value: codebook code}} entries")
    found["recode"] = {}
    for name, mapping in recode.items():
        where = f"{path}: recode: {name}"
        if not isinstance(mapping, dict) or not mapping:
            raise WaveError(f"{where}: expected file value: codebook code pairs, e.g. {{1: 1, 2: 0}}")
        found["recode"][str(name)] = {_number_key(k, where): _number_key(v, where) for k, v in mapping.items()}
    bands = raw.get("bands") or {}
    if not isinstance(bands, dict):
        raise WaveError(f"{path}: bands: expected demographic: {{from: file variable}} entries")
    found["bands"] = {}
    for name, spec in bands.items():
        where = f"{path}: bands: {name}"
        if not isinstance(spec, dict) or not isinstance(spec.get("from"), str):
            raise WaveError(f"{where}: expected {{from: <the file's numeric variable>}}, e.g. {{from: QAGE}}")
        unknown = sorted(set(spec) - {"from", "labels"})
        if unknown:
            raise WaveError(f"{where}: {', '.join(unknown)}: unknown field (expected from and, optionally, labels)")
        labels = spec.get("labels") or {}
        if not isinstance(labels, dict):
            raise WaveError(f"{where}: labels: expected answer key: label pairs")
        found["bands"][str(name)] = {"from": spec["from"], "labels": {str(k): str(v) for k, v in labels.items()}}
    not_collected = raw.get("not_collected") or []
    if not (isinstance(not_collected, list) and all(isinstance(v, str) for v in not_collected)):
        raise WaveError(f"{path}: not_collected: expected a list of codebook demographics, e.g. [internet_access]")
    found["not_collected"] = tuple(not_collected)
    weighting = raw.get("weighting") or {}
    if isinstance(weighting, str):
        weighting = {"method": weighting}
    if not isinstance(weighting, dict):
        raise WaveError(f"{path}: weighting: expected method, variables and targets")
    unknown = sorted(set(weighting) - {"method", "variables", "targets"})
    if unknown:
        raise WaveError(f"{path}: weighting: {', '.join(unknown)}: unknown field (expected method, variables, targets)")
    if weighting and weighting.get("method") not in WEIGHTING_METHODS:
        raise WaveError(
            f"{path}: weighting: method: {weighting.get('method')!r} (expected one of {', '.join(WEIGHTING_METHODS)})"
        )
    variables = weighting.get("variables") or []
    if not (isinstance(variables, list) and all(isinstance(v, str) for v in variables)):
        raise WaveError(f"{path}: weighting: variables: expected a list of codebook demographics")
    found["weighting"] = (
        {
            "method": weighting.get("method", ""),
            "variables": tuple(variables),
            "targets": str(weighting.get("targets", "")).strip(),
        }
        if weighting
        else {}
    )
    found["sample_design"] = parse_sample_design(raw.get("sample_design"), path)
    return found


def parse_sample_design(value, path: Path) -> dict:
    if not value:
        return {}
    where = f"{path}: sample_design"
    if not isinstance(value, dict):
        raise WaveError(f"{where}: expected strata, clusters, fpc and lonely_psu, or a design_factor")
    unknown = sorted(set(value) - {"strata", "clusters", "fpc", "lonely_psu", "design_factor"})
    if unknown:
        raise WaveError(
            f"{where}: {', '.join(unknown)}: unknown field (expected strata, clusters, fpc, lonely_psu "
            "or design_factor)"
        )
    found = {k: str(v) for k, v in value.items() if k in ("strata", "clusters", "fpc") and v}
    if "design_factor" in value:
        factor = value["design_factor"]
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not factor >= 1:
            raise WaveError(f"{where}: design_factor: {factor!r} (expected a number of at least 1, e.g. 1.3)")
        if found:
            raise WaveError(f"{where}: design_factor with strata or clusters (expected one or the other)")
        return {"design_factor": float(factor)}
    if not found.get("strata") and not found.get("clusters"):
        raise WaveError(f"{where}: expected strata or clusters (the file's variables), or a design_factor")
    lonely = value.get("lonely_psu", "fail")
    if lonely not in ("fail", "remove", "certainty", "adjust", "average"):
        raise WaveError(
            f"{where}: lonely_psu: {lonely!r} (expected fail, remove, certainty, adjust or average, "
            "as R's survey.lonely.psu)"
        )
    return {**found, "lonely_psu": lonely}
