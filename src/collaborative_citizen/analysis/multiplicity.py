"""Adjusted p-values for a family of tests: a difference is named in the report only when it survives the
correction for the number of tests it was picked from.

Benjamini-Hochberg controls the false discovery rate: of the differences called significant, at most 5% are
expected to be chance. Holm controls the chance of any false claim in the family; it is used where a family is
small (fewer than HOLM_BELOW tests), where it costs little power. Both are R's ``p.adjust`` ("BH", "holm")."""

from __future__ import annotations

import numpy as np

# Families smaller than this are adjusted by Holm's method; larger ones by Benjamini-Hochberg.
HOLM_BELOW = 10


def _family(p_values) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(p, an all-NaN result of the same shape, the positions of the tests): NaN is untested, not counted."""
    p = np.asarray(p_values, dtype=float)
    return p, np.full(p.shape, np.nan), np.flatnonzero(~np.isnan(p))


def benjamini_hochberg(p_values) -> np.ndarray:
    """R's p.adjust(p, "BH"): p_(i) m / i, made monotone from the largest down, capped at 1; NaN stays NaN and is
    not counted in m."""
    p, adjusted, tested = _family(p_values)
    m = len(tested)
    if m:
        order = tested[np.argsort(p[tested], kind="stable")][::-1]  # largest first
        adjusted[order] = np.minimum(1.0, np.minimum.accumulate(p[order] * m / np.arange(m, 0, -1)))
    return adjusted


def holm(p_values) -> np.ndarray:
    """R's p.adjust(p, "holm"): p_(i) (m - i + 1), made monotone from the smallest up, capped at 1."""
    p, adjusted, tested = _family(p_values)
    m = len(tested)
    if m:
        order = tested[np.argsort(p[tested], kind="stable")]  # smallest first
        adjusted[order] = np.minimum(1.0, np.maximum.accumulate(p[order] * (m - np.arange(m))))
    return adjusted


def adjust(p_values) -> tuple[np.ndarray, str]:
    """The family's adjusted p-values and the method used ("holm" for a small family, else "BH")."""
    p = np.asarray(p_values, dtype=float)
    if int((~np.isnan(p)).sum()) < HOLM_BELOW:
        return holm(p), "holm"
    return benjamini_hochberg(p), "BH"
