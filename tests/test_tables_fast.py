"""The vectorised table engine against the cell-by-cell definition (estimate_share / compare_with_rest)."""

from __future__ import annotations

import dataclasses
import hashlib
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from collaborative_citizen.analysis.domain_sums import DomainSums, shares_from_sums
from collaborative_citizen.analysis.results_file import write_results
from collaborative_citizen.analysis.statistics import compare_with_rest, estimate_share
from collaborative_citizen.analysis.tables import (
    COLUMNS,
    EXACT_DIGITS_MAX_N,
    weighted_tables,
    weighted_tables_reference,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from synthetic import synthetic  # noqa: E402

NUMBERS = ["pct", "se", "ci_low", "ci_high", "base_weighted", "base_effective", "pct_rest", "z_vs_rest", "p_vs_rest"]


def _csv(table: pd.DataFrame, tmp_path: Path, name: str) -> bytes:
    write_results(table, tmp_path / name / "results.csv")
    return (tmp_path / name / "results.csv").read_bytes()


def _assert_close(fast: pd.DataFrame, reference: pd.DataFrame) -> None:
    labels = [c for c in COLUMNS if c not in NUMBERS]
    pd.testing.assert_frame_equal(fast[labels], reference[labels])
    for column in NUMBERS:
        a, b = fast[column].to_numpy(), reference[column].to_numpy()
        assert (np.isnan(a) == np.isnan(b)).all(), column
        ok = ~np.isnan(a)
        # z is a difference of two shares over its SE: compare it on the scale of its terms.
        scale = np.abs(b[ok]) if column != "z_vs_rest" else 1.0 + np.abs(b[ok])
        assert np.all(np.abs(a[ok] - b[ok]) <= 1e-12 * scale), column


def test_2014_tables_are_byte_identical_to_the_cell_by_cell_engine(respondents, tmp_path):
    fast = weighted_tables(respondents)
    reference = weighted_tables_reference(respondents)
    _assert_close(fast, reference)
    assert (
        hashlib.sha256(_csv(fast, tmp_path, "fast")).digest()
        == hashlib.sha256(_csv(reference, tmp_path, "reference")).digest()
    )


def test_synthetic_wave_with_zero_weights_and_certain_answers(respondents, tmp_path):
    data = synthetic(3000, respondents, seed=11)
    frame = data.data.copy()
    weights = frame[data.wave.weight].to_numpy().copy()
    weights[::17] = 0.0  # zero weights count in N but not in the degrees of freedom
    frame[data.wave.weight] = weights
    # Everyone in one group gives the same answer: a share of exactly 100% (SE 0, degenerate interval).
    first = next(iter(data.codebook.demographics.values()))
    fairness = data.codebook["fairness"]
    frame.loc[frame[first.key] == first.answers[0].code, "fairness"] = float(fairness.answers[0].code)
    data = dataclasses.replace(data, data=frame)
    fast = weighted_tables(data)
    reference = weighted_tables_reference(data)
    _assert_close(fast, reference)
    assert len(data) <= EXACT_DIGITS_MAX_N
    assert _csv(fast, tmp_path, "fast") == _csv(reference, tmp_path, "reference")


def test_large_synthetic_wave_agrees_to_rounding(respondents, monkeypatch):
    # Above the exact-digits limit no cell is recomputed; the limit is lowered so that a small wave is "large".
    from collaborative_citizen.analysis import tables

    monkeypatch.setattr(tables, "EXACT_DIGITS_MAX_N", 2000)
    data = synthetic(2000 + 1500, respondents, seed=3)
    fast = weighted_tables(data)
    reference = weighted_tables_reference(data)
    _assert_close(fast, reference)


@pytest.mark.parametrize("joint_groups_max", [1, 50, 10**9])
def test_breakdowns_counted_together_or_alone_give_the_same_tables(respondents, monkeypatch, joint_groups_max):
    # 1: every breakdown in a pack of its own; 10**9: all of them in one pack; 50: packs of two or three.
    from collaborative_citizen.analysis import tables

    monkeypatch.setattr(tables, "EXACT_DIGITS_MAX_N", 100)
    monkeypatch.setattr(tables, "JOINT_GROUPS_MAX", joint_groups_max)
    packs = tables._packs(tables._group_codes(respondents))
    sizes = [len(pack.breakdowns) for pack in packs]
    assert sum(sizes) == len(respondents.codebook.demographics) + 1
    assert (max(sizes) == 1) == (joint_groups_max == 1) and (len(sizes) == 1) == (joint_groups_max == 10**9)
    data = synthetic(1200, respondents, seed=5)
    _assert_close(weighted_tables(data), weighted_tables_reference(data))


def test_shares_from_sums_equal_estimate_share():
    rng = np.random.default_rng(1)
    n = 500
    w = rng.lognormal(0, 0.5, n)
    w[:5] = 0.0
    y = (rng.random(n) < 0.3).astype(float)
    y[rng.random(n) < 0.1] = np.nan
    group = rng.random(n) < 0.4
    for domain in (group, ~group):
        d = domain & ~np.isnan(y)
        yes, no = d & (y == 1), d & (y == 0)
        sums = DomainSums(
            np.array([d.sum()]),
            np.array([(d & (w > 0)).sum()]),
            np.array([w[yes].sum()]),
            np.array([w[no].sum()]),
            np.array([(w[yes] ** 2).sum()]),
            np.array([(w[no] ** 2).sum()]),
        )
        share, se, weight, effective = shares_from_sums(sums, n)
        expected = estimate_share(y, w, domain=domain)
        assert share[0] == pytest.approx(expected.share, rel=1e-13)
        assert se[0] == pytest.approx(expected.se, rel=1e-13)
        assert weight[0] == pytest.approx(expected.base_weighted, rel=1e-13)
        assert effective[0] == pytest.approx(expected.base_effective, rel=1e-13)
    comparison = compare_with_rest(y, w, group=group)
    assert comparison.share_group == pytest.approx(estimate_share(y, w, domain=group).share, rel=1e-13)
