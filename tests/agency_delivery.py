"""A new wave as a fieldwork agency delivers it, for the tests: an online panel's SPSS file with the agency's own
variable names and codes, SPSS user-missing values, 1 = Yes / 2 = No multi-answer indicators, exact ages, a
string respondent id, no internet-access variable, one grid item dropped and one question new, plus the
wave.yml that says how to read it (the file itself is never edited).

The answers are 2014's respondents resampled with a fixed seed, so the figures are plausible; the point is the
file's shape, not its findings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import yaml

WAVE = "2016"
DATA_FILE = "CC16_panel_final.sav"
N = 1500
DROPPED_ITEM = ("provider_engagement", "understand_preferences")
NEW_QUESTION = "trust_local_services"
# The codebook entry of the question first asked in this wave (added to a copy of the codebook by the tests).
NEW_QUESTION_ENTRY = {
    "wording": "How much, if at all, do you trust the public services in your local area to do a good job?",
    "type": "single",
    "dont_know_in_base": False,
    "answers": [
        {"key": "a_great_deal", "code": 1, "label": "A great deal", "label_source": "assumed"},
        {"key": "a_fair_amount", "code": 2, "label": "A fair amount", "label_source": "assumed"},
        {"key": "not_very_much", "code": 3, "label": "Not very much", "label_source": "assumed"},
        {"key": "not_at_all", "code": 4, "label": "Not at all", "label_source": "assumed"},
        {"key": "dont_know", "code": 5, "label": "Don't know", "label_source": "assumed"},
    ],
    "nets": [{"key": "trust", "label": "A great deal or a fair amount", "answers": ["a_great_deal", "a_fair_amount"]}],
}
# The agency's social grade codes run the other way from the codebook's (1 = DE ... 4 = AB).
GRADE_RECODE = {1: 4, 2: 3, 3: 2, 4: 1}
DONT_KNOW, REFUSED = 98, 99


def with_new_question(codebook_text: str) -> str:
    """The codebook with the new question's entry added (unchanged when a researcher has added it already)."""
    if NEW_QUESTION in (yaml.safe_load(codebook_text).get("questions") or {}):
        return codebook_text
    entry = yaml.safe_dump({NEW_QUESTION: NEW_QUESTION_ENTRY}, sort_keys=False)
    return codebook_text + "\n" + "".join(f"  {line}\n" for line in entry.splitlines())


def refused_age_count(frame: pd.DataFrame) -> int:
    return int((frame.QAGE == REFUSED).sum())


def _grid_map() -> dict:
    ways = ["public_services_together", "cross_sector_partnerships", "charities", "businesses"]
    aspects = ["quality", "cost_effectiveness", "accountability"]
    return {
        f"ways_of_organising_{w}_{a}": f"Q6_{n}" for n, (w, a) in enumerate(((w, a) for w in ways for a in aspects), 1)
    }


def write_delivery(folder: Path, codebook_path: Path, wave_2014: Path) -> dict:
    """Write the agency's .sav and its wave.yml into `folder`; returns what the tests need to check against."""
    folder.mkdir(parents=True, exist_ok=True)
    source, _ = pyreadstat.read_sav(str(wave_2014 / "respondents.sav"), apply_value_formats=False)
    rng = np.random.default_rng(20161)
    rows = source.iloc[rng.integers(0, len(source), N)].reset_index(drop=True)
    codebook = yaml.safe_load(codebook_path.read_text())
    meaning = [a["key"] for a in codebook["questions"]["meaning"]["answers"]]
    focus = [a["key"] for a in codebook["questions"]["focus"]["answers"]]

    out = pd.DataFrame({"RESPID": [f"P{100000 + i:06d}" for i in range(N)]})
    weight = rows["weight"].to_numpy() * rng.uniform(0.8, 1.25, N)
    out["WGT"] = weight / weight.mean()
    out["SPLIT"] = rows["split_half"]
    out["QSEX"] = rows["sex"]
    # Exact age in years, within each 2014 band (the youngest band starts at 16 in this wave).
    low = {1: 16, 2: 25, 3: 35, 4: 45, 5: 55, 6: 65}
    high = {1: 24, 2: 34, 3: 44, 4: 54, 5: 64, 6: 89}
    bands = rows["age_band"].astype(int)
    out["QAGE"] = [int(rng.integers(low[b], high[b] + 1)) for b in bands]
    refused_age = rng.choice(N, 12, replace=False)
    out.loc[refused_age, "QAGE"] = REFUSED
    inverse = {v: k for k, v in GRADE_RECODE.items()}
    out["QSEG"] = rows["social_grade"].astype(int).map(inverse)
    out["QREGION"] = rows["region"]
    out["QPAPER"] = rows["newspaper"]
    out["QKIDS"] = rows["young_children"]
    for n, key in enumerate(meaning, 1):
        out[f"Q1_{n}"] = np.where(rows[f"meaning_{key}"] == 1, 1, 2)
    fairness = rows["fairness"].astype(int).to_numpy().copy()
    # Opinion moved: one in four who chose equality of opportunity now choose the same services for everyone.
    fairness[(fairness == 1) & (np.arange(N) % 4 == 0)] = 2
    fairness[fairness == 4] = DONT_KNOW
    fairness[rng.choice(N, 20, replace=False)] = REFUSED
    out["Q2"] = fairness
    out["Q3A"] = rows["dignity_outcome_dignity_as_important"].replace(6, DONT_KNOW)
    out["Q3B"] = rows["dignity_outcome_outcome_more_important"].replace(6, DONT_KNOW)
    for letter, item in zip("ACD", ("understand_needs", "personalised_service", "involve_decisions")):
        out[f"Q4{letter}"] = rows[f"provider_engagement_{item}"].replace(6, DONT_KNOW)
    for letter, item in zip("ABC", ("living_expenses", "when_things_go_wrong", "job_and_career")):
        out[f"Q5{letter}"] = rows[f"government_responsibility_{item}"].replace(5, DONT_KNOW)
    for ours, theirs in _grid_map().items():
        out[theirs] = rows[ours].replace(4, DONT_KNOW)
    for n, key in enumerate(focus, 1):
        out[f"Q7_{n}"] = np.where(rows[f"focus_{key}"] == 1, 1, 2)
    out["Q8"] = rows["working_with_services"].replace(5, DONT_KNOW)
    # The new question: trust in local services, with don't know kept out of its base.
    out["Q9"] = rng.choice([1, 2, 3, 4, 5], N, p=[0.12, 0.41, 0.27, 0.12, 0.08])
    # Something the agency added that nothing maps: listed as a note, not an error.
    out["Q10"] = rng.integers(1, 4, N)

    answered = [c for c in out.columns if c.startswith(("Q2", "Q3", "Q4", "Q5", "Q6", "Q8"))]
    labels = {c: {DONT_KNOW: "Don't know", REFUSED: "Refused"} for c in answered}
    labels["QAGE"] = {REFUSED: "Refused"}
    labels["QSEG"] = {1: "DE", 2: "C2", 3: "C1", 4: "AB"}
    for c in out.columns:
        if c.startswith(("Q1_", "Q7_")):
            labels[c] = {1: "Yes", 2: "No"}
    missing = {c: [DONT_KNOW, REFUSED] for c in answered}
    missing["Q2"] = [{"lo": DONT_KNOW, "hi": REFUSED}]  # a range, as some agencies declare it
    missing["QAGE"] = [REFUSED]
    pyreadstat.write_sav(
        out,
        str(folder / DATA_FILE),
        variable_value_labels=labels,
        missing_ranges=missing,
        column_labels={"QAGE": "Age (exact)", "Q2": "Fairness", "Q10": "Panel satisfaction"},
    )

    variable_map = {
        "split_half": "SPLIT",
        "sex": "QSEX",
        "social_grade": "QSEG",
        "region": "QREGION",
        "newspaper": "QPAPER",
        "young_children": "QKIDS",
        "fairness": "Q2",
        "dignity_outcome_dignity_as_important": "Q3A",
        "dignity_outcome_outcome_more_important": "Q3B",
        "provider_engagement_understand_needs": "Q4A",
        "provider_engagement_personalised_service": "Q4C",
        "provider_engagement_involve_decisions": "Q4D",
        "government_responsibility_living_expenses": "Q5A",
        "government_responsibility_when_things_go_wrong": "Q5B",
        "government_responsibility_job_and_career": "Q5C",
        **_grid_map(),
        "working_with_services": "Q8",
        NEW_QUESTION: "Q9",
    }
    variable_map.update({f"meaning_{k}": f"Q1_{n}" for n, k in enumerate(meaning, 1)})
    variable_map.update({f"focus_{k}": f"Q7_{n}" for n, k in enumerate(focus, 1)})
    description = {
        "id": WAVE,
        "title": "The Collaborative Citizen 2016",
        "fieldwork": {"start": "2016-03-04", "end": "2016-03-14"},
        "population": "adults aged 16+ in the United Kingdom",
        "population_short": "UK adults aged 16+",
        "geography": "UK",
        "minimum_age": 16,
        "agency": "Northfield Panel Research",
        "mode": "online, self-completion",
        "sample": "members of an online research panel, invited to quotas by sex, age and region",
        "weighting": {
            "method": "raking",
            "variables": ["sex", "age_band", "region", "social_grade"],
            "targets": "ONS mid-2015 population estimates",
        },
        "data_file": DATA_FILE,
        "respondent_id": "RESPID",
        "weight": "WGT",
        "variable_map": variable_map,
        "user_missing": {DONT_KNOW: "dont_know", REFUSED: "not_in_base"},
        "recode": {"social_grade": GRADE_RECODE, "meaning": {1: 1, 2: 0}, "focus": {1: 1, 2: 0}},
        "bands": {"age_band": {"from": "QAGE"}},
        "not_collected": ["internet_access"],
        "questions": [
            "meaning",
            "fairness",
            "dignity_outcome",
            {"provider_engagement": ["understand_needs", "personalised_service", "involve_decisions"]},
            "government_responsibility",
            "ways_of_organising",
            "focus",
            "working_with_services",
            NEW_QUESTION,
        ],
        "notes": "A test delivery: 2014's respondents resampled, in the shape an online panel delivers.",
    }
    (folder / "wave.yml").write_text(yaml.safe_dump(description, sort_keys=False), encoding="utf-8")
    return {"frame": out, "refused_age": len(refused_age)}
