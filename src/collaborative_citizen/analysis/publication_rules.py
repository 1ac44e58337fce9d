"""What the weighted tables may say in public: which cells are flagged or suppressed, which interval each gets,
its design effect, and which differences survive the correction for multiple testing.

The table engine (tables.py) computes every estimate; these rules are applied once, by the tables step, to what
it writes. The thresholds are set in thresholds.py and applied here and nowhere else; Methods states them.

- Bases: a cell is `suppressed` when fewer than SUPPRESS_BASE respondents were asked or its effective base is
  below SUPPRESS_BASE, `low_base` likewise under LOW_BASE. A suppressed cell carries no estimate, SE, interval
  or test in any public file; the full table is kept for analysts outside the published folder.
- Intervals: logit (R's svyciprop default), or Korn-Graubard's exact-type interval at or near 0% and 100%
  (exact_intervals.py); `ci_method` says which.
- Design effect: the estimate's variance over that of a simple random sample of the same unweighted base,
  p (1 - p) / (n - 1) (1 for an equally weighted sample).
- Subgroup tests: the family is every group-against-the-rest test the commentary may pick from (both bases at
  least LOW_BASE; a two-group breakdown's two rows are one test), adjusted together (multiplicity.py);
  changes since earlier waves: every figure's test against the latest earlier wave, adjusted together."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .exact_intervals import korn_graubard, needs_exact_interval
from .multiplicity import adjust
from .statistics import ALPHA
from .thresholds import LOW_BASE, SUPPRESS_BASE

# results.csv's columns as the table engine writes them (tables.COLUMNS), before these rules add theirs.
ENGINE_COLUMNS = (
    "wave",
    "question",
    "item",
    "answer",
    "answer_type",
    "breakdown",
    "group",
    "pct",
    "se",
    "ci_low",
    "ci_high",
    "base_unweighted",
    "base_weighted",
    "base_effective",
    "flag",
    "pct_rest",
    "z_vs_rest",
    "p_vs_rest",
)

ESTIMATES = ("pct", "se", "ci_low", "ci_high", "deff", "pct_rest", "z_vs_rest", "p_vs_rest", "p_vs_rest_adjusted")


def base_flag(base_unweighted: float, base_effective: float) -> str:
    smaller = min(base_unweighted, base_effective if not math.isnan(base_effective) else base_unweighted)
    if smaller < SUPPRESS_BASE:
        return "suppressed"
    if smaller < LOW_BASE:
        return "low_base"
    return ""


def design_effects(table: pd.DataFrame) -> np.ndarray:
    p = table.pct.to_numpy() / 100
    se = table.se.to_numpy() / 100
    n = table.base_unweighted.to_numpy().astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        deff = se * se * (n - 1) / (p * (1 - p))
    return np.where((p > 0) & (p < 1) & (n > 1), deff, np.nan)


def _exact_intervals(table: pd.DataFrame) -> pd.DataFrame:
    method = np.full(len(table), "logit", dtype=object)
    low, high = table.ci_low.to_numpy().copy(), table.ci_high.to_numpy().copy()
    # Under a complex design R scales n* by the ratio of t quantiles of the domain's rows and design df.
    rows = table["_rows"].tolist() if "_rows" in table else [None] * len(table)
    dfs = table["_df"].tolist() if "_df" in table else [None] * len(table)
    for row, (p, se, kish) in enumerate(
        zip((table.pct / 100).tolist(), (table.se / 100).tolist(), table.base_effective.tolist())
    ):
        if needs_exact_interval(p, se, kish):
            a, b = korn_graubard(p, se, kish, rows=rows[row], df=dfs[row])
            low[row], high[row], method[row] = 100 * a, 100 * b, "beta"
    return table.assign(ci_low=low, ci_high=high, ci_method=method)


def _subgroup_family(table: pd.DataFrame) -> pd.Series:
    """Each eligible row's test, named once: in a two-group breakdown both groups are one test."""
    groups = table[table.breakdown != "total"].groupby("breakdown").group.nunique()
    eligible = (table.breakdown != "total") & (table.flag == "") & table.p_vs_rest.notna()
    two = table.breakdown.map(groups).eq(2)
    name = (
        table.question
        + "|"
        + table["item"]
        + "|"
        + table.answer
        + "|"
        + table.breakdown
        + "|"
        + table.group.where(~two, "")
    )
    return name.where(eligible)


def apply(table: pd.DataFrame) -> pd.DataFrame:
    """The full table with flags on both bases, intervals, design effects and adjusted subgroup tests."""
    table = table.copy()
    table["flag"] = [base_flag(n, e) for n, e in zip(table.base_unweighted.tolist(), table.base_effective.tolist())]
    table = _exact_intervals(table)
    table["deff"] = design_effects(table)
    family = _subgroup_family(table)
    tests = table[family.notna()].assign(test=family).drop_duplicates("test")
    adjusted, _ = adjust(tests.p_vs_rest.to_numpy())
    by_test = dict(zip(tests.test, adjusted))
    table["p_vs_rest_adjusted"] = family.map(by_test).astype(float)
    # The engine's columns, with the interval's method and the design effect after the interval and the
    # adjusted test after the raw one.
    order = [c for c in ENGINE_COLUMNS if not c.startswith("_")]
    order[order.index("ci_high") + 1 : order.index("ci_high") + 1] = ["ci_method", "deff"]
    order.append("p_vs_rest_adjusted")
    return table[order]


def subgroup_family_size(table: pd.DataFrame) -> int:
    return int(_subgroup_family(table).nunique())


def suppress(table: pd.DataFrame) -> pd.DataFrame:
    """The public table: a suppressed cell keeps its bases and flag, nothing else."""
    table = table.copy()
    hidden = table.flag == "suppressed"
    for column in ESTIMATES:
        if column in table:
            table.loc[hidden, column] = np.nan
    if "ci_method" in table:
        table.loc[hidden, "ci_method"] = ""
    return table


def apply_to_changes(changes: pd.DataFrame) -> pd.DataFrame:
    """Every figure's test against the latest earlier wave, adjusted as one family; `significant` says whether
    the adjusted p is below ALPHA. Older comparisons (not the latest) are shown, not claimed: no verdict."""
    changes = changes.copy()
    family = changes.latest.astype(bool) & changes.p_value.notna()
    adjusted, _ = adjust(changes.p_value.where(family).to_numpy(dtype=float))
    changes["p_adjusted"] = adjusted
    changes["significant"] = [str(bool(a < ALPHA)) if not math.isnan(a) else "" for a in adjusted]
    columns = list(changes.columns)
    columns.insert(columns.index("p_value") + 1, columns.pop(columns.index("p_adjusted")))
    return changes[columns]
