"""The numbers of the Methods section, all computed: margins of error from the effective base, the design
settings the wave declares, what an earlier wave asked that this one did not, and the reconstruction's choices."""

from __future__ import annotations

import pandas as pd

from ..analysis import publication_rules
from ..analysis.statistics import ALPHA
from .appendix import LOW_BASE_BELOW, SUPPRESSED_BELOW
from .essays import (
    Figure,
    round_half_up,
)

CONFIDENCE = 95


Z95 = 1.959963984540054


def margin_of_error(effective_base: float, key: str) -> Figure:
    """Half the width of the 95% interval of a 50% estimate, in points."""
    return Figure(100 * Z95 * (0.25 / effective_base) ** 0.5, key)


def methods_context(results, about: dict, codebook, config, complex_design: bool = False) -> dict:
    """The numbers Methods prints: the sample's from about.json (written by the about-the-survey notebook from
    the respondent file), the rest computed here from results.csv and the codebook. With strata, clusters or a
    design factor, margins of error follow the whole-sample figures' median design effect, not the weights'."""
    n, neff = int(about["wave"]["base"]), float(about["effective_base"])
    total = results[results.breakdown == "total"]
    design_deff = None
    if complex_design:
        design_deff = float(total[total.answer_type == "answer"].deff.median())
        neff = n / design_deff
    split = None
    for finding in config["findings"]:
        question = codebook.questions.get(finding["question"])
        asked = set(total[total.question == question.key]["item"]) if question else set()
        halves = [i for i in question.items if i.asked_of and i.key in asked] if question else []
        # A split sample needs two halves asked; a wave that put one statement to everyone has none.
        if len(halves) > 1:
            bases = [
                int(total[(total.question == question.key) & (total["item"] == i.key)].base_unweighted.iloc[0])
                for i in halves
            ]
            split = {
                "finding": finding["number"],
                "bases": [f"{b:,}" for b in bases],
                "moe": margin_of_error(neff * min(bases) / n, "methods.margin_of_error_split"),
            }
            break
    involve = total[
        (total.question == "provider_engagement")
        & (total["item"] == "involve_decisions")
        & (total.answer == "hardly_ever_never")
    ]
    targets = about.get("targets", {})
    # The questions this wave asked: one added to the codebook for a later wave changes nothing here.
    labels = [a for q in codebook.questions.values() if q.key in set(total.question) for a in q.answers]
    return {
        "n": n,
        "neff": round_half_up(float(about["effective_base"])),
        "deff": n / float(about["effective_base"]),
        "design_deff": design_deff,
        "efficiency": Figure(float(about["weighting_efficiency"]), "methods.weighting_efficiency"),
        "weight_min": float(about["weight_min"]),
        "weight_max": float(about["weight_max"]),
        "confidence": Figure(CONFIDENCE, "methods.confidence_level"),
        "moe_total": margin_of_error(neff, "methods.margin_of_error"),
        "split": split,
        "alpha": ALPHA,
        "claim_base": LOW_BASE_BELOW,
        "low_base": LOW_BASE_BELOW,
        "suppressed": SUPPRESSED_BELOW,
        "subgroup_tests": publication_rules.subgroup_family_size(results),
        "exact_cells": int((results.ci_method == "beta").sum()),
        "cells": len(results),
        "low_cells": int((results.flag == "low_base").sum()),
        "suppressed_cells": int((results.flag == "suppressed").sum()),
        "targets_total": targets.get("total", 0),
        "targets_met": targets.get("met", 0),
        "involve_rarely": Figure(
            float(involve.pct.iloc[0]), "results.provider_engagement.involve_decisions.hardly_ever_never"
        )
        if len(involve)
        else None,
        "assumed_labels": sum(1 for a in labels if a.label_source == "assumed"),
        "all_labels": len(labels),
    }


def not_asked_list(frame: pd.DataFrame, codebook, titles: dict) -> list[dict]:
    """Every question or grid item this wave did not ask, by finding, with the wave that last asked it."""
    found = []
    for r in frame.itertuples():
        question = codebook.questions.get(r.question)
        if question is None:
            continue
        what = titles.get(r.question, question.wording)
        if r.item:
            what = f"{what}: \u201c{question.item(r.item).label}\u201d"
        found.append({"what": what, "last_asked": r.last_asked})
    return found


def reconstruction_choices(wave) -> dict:
    """What Methods says about choices a reconstruction made, from the wave's targets.csv."""
    path = wave.folder / "targets.csv"
    if not wave.reconstructed or not path.is_file():
        return {"sample_note": "", "involve_choice": False}
    targets = pd.read_csv(path, dtype=str, keep_default_na=False).set_index("id")
    note = targets.note.get("sample_size", "")
    return {"sample_note": note, "involve_choice": "f4_involve_rarely" in targets.index}
