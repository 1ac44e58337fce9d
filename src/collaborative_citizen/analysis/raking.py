"""Raking (iterative proportional fitting): weights that match the population's margins, for a wave whose
agency file has no weights of its own."""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np

from .statistics import as_weights

# --------------------------------------------------------------------------------------------
# Raking
# --------------------------------------------------------------------------------------------


def rake(
    variables: Mapping[str, Any],
    targets: Mapping[str, Mapping[Any, float]],
    base_weights: Any = None,
    tolerance: float = 1e-10,
    max_iterations: int = 1000,
) -> np.ndarray:
    """Rim weighting (raking, iterative proportional fitting) to target marginal proportions.

    Each pass scales the weights, one variable at a time, so that the weighted distribution of
    that variable hits its targets; passes repeat until every variable's weighted proportions
    are within ``tolerance`` of target (absolute, proportion scale) at the same time. Only the
    margins are controlled, not their cross-classification, which is why raking works with
    population figures published one variable at a time. Starting from ``base_weights`` (for
    example design weights) preserves their relative sizes within each raking cell.

    Args:
        variables: name -> category code for every respondent (all the same length).
        targets: name -> {code: population proportion}; one entry per variable in
            ``variables``, proportions summing to 1.
        base_weights: optional non-negative starting weights; equal weights by default.
        tolerance: largest allowed gap between achieved and target proportions.
        max_iterations: maximum number of full passes over the variables.

    Returns:
        Weights scaled to mean 1 (they sum to the number of respondents), so weighted
        counts read on the sample scale.

    Raises:
        ValueError: if the variables and targets do not name the same variables, a variable's
            targets do not sum to 1 (within 1e-6) or include a negative proportion, a
            respondent has a code with no target, a category with a positive target has no
            respondent with positive weight, a category with target 0 has respondents, or the
            procedure does not converge within ``max_iterations`` (typically targets that the
            sample cannot reach, e.g. two variables that are identical in the sample but
            have different targets).
    """
    if set(variables) != set(targets):
        raise ValueError(
            "variables and targets must name the same variables: "
            f"variables={sorted(variables)}, targets={sorted(targets)}"
        )
    if not variables:
        raise ValueError("rake needs at least one variable")

    # Per variable: each respondent's category index, and the target proportion per category.
    cells: list[tuple[str, np.ndarray, np.ndarray]] = []
    n: int | None = None
    for name, codes_in in variables.items():
        codes = np.asarray(codes_in)
        if codes.ndim != 1:
            raise ValueError(f"variable {name!r} must be one-dimensional, got shape {codes.shape}")
        if n is None:
            n = codes.size
        elif codes.size != n:
            raise ValueError(f"variable {name!r} has {codes.size} values, expected {n}")
        target = targets[name]
        total = math.fsum(float(v) for v in target.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(
                f"targets for {name!r} sum to {total!r}, not 1; give proportions, not counts or percentages"
            )
        categories = list(target)
        props = np.array([float(target[c]) for c in categories], dtype=float)
        if (props < 0).any() or not np.isfinite(props).all():
            raise ValueError(f"targets for {name!r} must be finite and non-negative")
        index = np.full(codes.size, -1, dtype=np.intp)
        for k, category in enumerate(categories):
            index[codes == category] = k
        if (index < 0).any():
            unknown = sorted({str(c) for c in codes[index < 0]})
            raise ValueError(f"variable {name!r} has respondents with codes that have no target: {unknown}")
        cells.append((name, index, props / total))

    assert n is not None
    if base_weights is None:
        w = np.ones(n, dtype=float)
    else:
        w = as_weights(base_weights).copy()
        if w.size != n:
            raise ValueError(f"base_weights has {w.size} values, expected {n}")

    for name, index, props in cells:
        present = np.bincount(index, weights=w, minlength=props.size)
        empty = [c for c, p, s in zip(targets[name], props, present) if p > 0 and s == 0]
        if empty:
            raise ValueError(
                f"variable {name!r}: target categories with no respondents (with positive "
                f"base weight): {empty}; merge or drop them"
            )
        # A zero target would set these respondents' weights to 0 without saying so.
        zeroed = [c for c, p, s in zip(targets[name], props, present) if p == 0 and s > 0]
        if zeroed:
            raise ValueError(
                f"variable {name!r}: categories with target 0 have respondents: {zeroed}; "
                "remove those respondents or give the category a target"
            )

    for iteration in range(max_iterations + 1):
        total_w = w.sum()
        gap = max(float(np.abs(np.bincount(index, w, props.size) / total_w - props).max()) for _, index, props in cells)
        if gap <= tolerance:
            return w * (n / total_w)
        if iteration == max_iterations:
            break
        for _, index, props in cells:
            achieved = np.bincount(index, weights=w, minlength=props.size)
            # Categories with target 0 have no weight (checked above), so 0/0 is avoided by
            # giving them factor 0.
            factor = np.divide(props * w.sum(), achieved, out=np.zeros_like(props), where=achieved > 0)
            w = w * factor[index]
    raise ValueError(
        f"raking did not converge within {max_iterations} iterations (largest gap between "
        f"achieved and target proportions {gap:.3g}); the targets may be unattainable with "
        "this sample, e.g. because categories are confounded across variables"
    )
