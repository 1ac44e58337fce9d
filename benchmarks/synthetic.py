"""Synthetic waves for benchmarks: any number of respondents, same codebook as 2014, answers drawn at random.

Respondents are drawn with replacement from the 2014 file (which keeps every rule the validator checks: split
halves, multi-answer limits, exclusive answers), then every single-coded answer and demographic is redrawn at
random from the codebook's codes, and weights are drawn from a log-normal distribution. Fixed seed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from collaborative_citizen.inputs.codebook import load_codebook
from collaborative_citizen.inputs.loading import Respondents, load_respondents
from collaborative_citizen.inputs.waves import load_wave

ROOT = Path(__file__).resolve().parent.parent


def template() -> Respondents:
    return load_respondents(load_wave(ROOT / "data" / "waves" / "2014"), load_codebook(ROOT / "data" / "codebook.yml"))


def synthetic(n: int, base: Respondents | None = None, seed: int = 7) -> Respondents:
    base = base or template()
    rng = np.random.default_rng(seed)
    data = base.data.iloc[rng.integers(0, len(base.data), n)].reset_index(drop=True)
    codebook, wave = base.codebook, base.wave
    data[wave.respondent_id] = np.arange(1, n + 1, dtype=float)
    data[wave.weight] = rng.lognormal(0.0, 0.4, n)
    for variable in codebook.demographics.values():
        data[variable.key] = rng.choice([float(a.code) for a in variable.answers], n)
    for question in codebook.questions.values():
        if question.type == "multi" or not base.asks(question.key):
            continue
        codes = np.array([float(a.code) for a in question.answers])
        for name in question.variables:
            if name in data:
                asked = data[name].notna().to_numpy()
                data[name] = np.where(asked, rng.choice(codes, n), np.nan)
    # A shallow copy with the new data keeps whatever else the loader attached (the questions asked, ...).
    return dataclasses.replace(base, data=data)
