"""Weighted tables: every answer and net of every question, for the total and every demographic group,
computed from sums (the fast engine; cell_tables.py holds the cell-by-cell definition it is tested against)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..inputs.codebook import Variable
from ..inputs.loading import Respondents
from .cell_tables import base_flag, weighted_tables_reference
from .domain_sums import DomainSums, intervals_from_shares, shares_from_sums, z_tests
from .publication_rules import ENGINE_COLUMNS
from .statistics import compare_with_rest, estimate_share

COLUMNS = list(ENGINE_COLUMNS)


def weighted_tables(respondents: Respondents) -> pd.DataFrame:
    """One row per cell: every answer and net, for the total and every demographic group.

    The numbers are those of :func:`estimate_share` and :func:`compare_with_rest` called cell by cell
    (``weighted_tables_reference`` does exactly that), but computed from sums: for each answer variable, one
    ``np.bincount`` per pack of breakdowns, over (answer category, joint group), accumulates the count, the
    weight and the squared weight of every cell at once, and each breakdown's cells are sums of those, so the
    cost grows linearly with the number of respondents.

    A wave with strata or clusters is computed cell by cell under its design (sample_design.py); one with only a
    design factor has its standard errors, intervals and tests scaled by it."""
    if respondents.design is not None:
        return weighted_tables_reference(respondents, design=respondents.design)
    table = _weights_only_tables(respondents)
    if respondents.design_factor:
        table = _with_design_factor(table, respondents.design_factor)
    return table


def _with_design_factor(table: pd.DataFrame, factor: float) -> pd.DataFrame:
    """Every SE times the agency's design factor; intervals and group tests follow from the larger SEs."""
    table = table.copy()
    table["se"] = table.se * factor
    low, high = intervals_from_shares(
        table.pct.to_numpy() / 100, table.se.to_numpy() / 100, table.base_unweighted.to_numpy()
    )
    table["ci_low"], table["ci_high"] = 100 * low, 100 * high
    table["z_vs_rest"] = table.z_vs_rest / factor
    table["p_vs_rest"] = [
        math.erfc(abs(z) / math.sqrt(2.0)) if not math.isnan(z) else math.nan for z in table.z_vs_rest.tolist()
    ]
    return table


def _weights_only_tables(respondents: Respondents) -> pd.DataFrame:
    weights = _checked_weights(respondents)
    n_total = len(respondents)
    groups = _group_codes(respondents)
    columns = {name: [] for name in ("question", "item", "answer", "answer_type", "breakdown", "group")}
    sums = []
    rest_sums = []
    has_rest = []
    exact = n_total <= EXACT_DIGITS_MAX_N
    sources = []  # (categories, cells) per answer variable, kept for exact recomputation
    row_cell = []  # per row: (source, cell, breakdown, group)
    base_weighted = []
    weight_cache = {}
    packs = _packs(groups)
    for question in respondents.codebook.questions.values():
        if not respondents.asks(question.key):
            continue
        for item_key, categories, n_categories, cells in _question_sources(respondents, question):
            tables = _category_sums(categories, n_categories, weights, packs)
            asked = categories >= 0
            asked_key = None if asked.all() else np.packbits(asked).tobytes()
            if exact:
                sources.append((categories.astype(np.int16), cells))
            for c, (answer, answer_type, chosen) in enumerate(cells):
                for b, ((breakdown, group_keys, _codes), (count, nonzero, w, w2)) in enumerate(zip(groups, tables)):
                    own, rest = _cell_sums(chosen, count, nonzero, w, w2, len(group_keys))
                    for g, group in enumerate(group_keys):
                        base_weighted.append(_weight_of(weights, asked, asked_key, b, g, _codes, weight_cache))
                        if exact:
                            row_cell.append((len(sources) - 1, c, b, g))
                        columns["question"].append(question.key)
                        columns["item"].append(item_key)
                        columns["answer"].append(answer)
                        columns["answer_type"].append(answer_type)
                        columns["breakdown"].append(breakdown)
                        columns["group"].append(group)
                        has_rest.append(breakdown != "total")
                    sums.append(own)
                    rest_sums.append(rest)
    count, nonzero, w_chosen, w_other, w2_chosen, w2_other = (np.concatenate([s[k] for s in sums]) for k in range(6))
    own = DomainSums(count, nonzero, w_chosen, w_other, w2_chosen, w2_other)
    share, se, _, base_effective = shares_from_sums(own, n_total)
    ci_low, ci_high = intervals_from_shares(share, se, nonzero)
    rest = DomainSums(*(np.concatenate([s[k] for s in rest_sums]) for k in range(6)))
    share_rest, se_rest, _, _ = shares_from_sums(rest, n_total)
    compared = np.asarray(has_rest) & (count > 0)
    z, p_value = z_tests(share, se, share_rest, se_rest)
    table = pd.DataFrame(
        {
            "wave": respondents.wave.id,
            **columns,
            "pct": 100 * share,
            "se": 100 * se,
            "ci_low": 100 * ci_low,
            "ci_high": 100 * ci_high,
            "base_unweighted": count.astype(int),
            "base_weighted": base_weighted,
            "base_effective": base_effective,
            "flag": [base_flag(int(n)) for n in count.tolist()],
            "pct_rest": np.where(compared, 100 * share_rest, np.nan),
            "z_vs_rest": np.where(compared, z, np.nan),
            "p_vs_rest": np.where(compared, p_value, np.nan),
        },
        columns=COLUMNS,
    )
    if exact:
        # Sums accumulated in another order differ from estimate_share's in the last bits. That is invisible at
        # 10 significant digits except for a value that lies (within that noise) on a rounding boundary, or a
        # share of exactly 1 (whose SE noise would print). Those few rows are recomputed cell by cell.
        eps = np.finfo(float).eps * 4 * math.sqrt(n_total)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            z_error = eps * ((share + share_rest) / np.hypot(se, se_rest) + 4 * np.abs(z))
            p_error = z_error * np.exp(-0.5 * z * z) + eps * np.abs(p_value)
        suspect = ((own.w_other == 0) & (own.w_chosen > 0)) | ((rest.w_other == 0) & (rest.w_chosen > 0))
        for column in ("pct", "se", "ci_low", "ci_high", "base_effective", "pct_rest"):
            values = table[column].to_numpy()
            suspect |= _near_rounding_boundary(values, eps * np.abs(values))
        suspect |= _near_rounding_boundary(table["z_vs_rest"].to_numpy(), z_error)
        suspect |= _near_rounding_boundary(table["p_vs_rest"].to_numpy(), p_error)
        for row in np.flatnonzero(suspect):
            _recompute_row(table, row, row_cell[row], sources, groups, weights)
    # A group no one in this wave belongs to (Northern Ireland in a GB survey) has no figures at all.
    empty = {
        (key, group)
        for key, group_keys, codes in groups
        for k, group in enumerate(group_keys)
        if not (codes == k).any()
    }
    if empty:
        keep = [(b, g) not in empty for b, g in zip(table.breakdown, table.group)]
        table = table[keep].reset_index(drop=True)
    return table


# Up to this many respondents, results.csv is digit for digit what cell-by-cell estimate_share gives (see the
# end of weighted_tables); above it, the 10th significant digit may differ in rare cells (both are rounding).
EXACT_DIGITS_MAX_N = 10_000


def _near_rounding_boundary(values: np.ndarray, error: np.ndarray) -> np.ndarray:
    """True where values - error and values + error print differently with results.csv's %.10g."""
    error = np.broadcast_to(np.asarray(error, dtype=float), values.shape)
    low = values - error
    high = values + error
    return np.array(
        [
            not (math.isnan(v) or math.isnan(e)) and f"{a:.10g}" != f"{b:.10g}"
            for v, e, a, b in zip(values.tolist(), error.tolist(), low.tolist(), high.tolist())
        ],
        dtype=bool,
    )


def _recompute_row(
    table: pd.DataFrame, row: int, where: tuple, sources: list, groups: list, weights: np.ndarray
) -> None:
    """One row again with estimate_share and compare_with_rest on the whole sample."""
    source, cell, breakdown, group = where
    categories, cells = sources[source]
    chosen = cells[cell][2]
    indicator = np.where(categories < 0, np.nan, chosen[np.maximum(categories, 0)].astype(float))
    name, _keys, codes = groups[breakdown]
    mask = codes == group
    estimate = estimate_share(indicator, weights, domain=mask)
    values = {
        "pct": 100 * estimate.share,
        "se": 100 * estimate.se,
        "ci_low": 100 * estimate.ci_low,
        "ci_high": 100 * estimate.ci_high,
        "base_weighted": estimate.base_weighted,
        "base_effective": estimate.base_effective,
    }
    if name != "total" and estimate.base_unweighted > 0:
        comparison = compare_with_rest(indicator, weights, group=mask)
        values.update(pct_rest=100 * comparison.share_rest, z_vs_rest=comparison.z, p_vs_rest=comparison.p_value)
    for column, value in values.items():
        table.iat[row, table.columns.get_loc(column)] = value


def _weight_of(weights, asked, asked_key, breakdown: int, group: int, codes, cache: dict) -> float:
    """A domain's weight summed exactly as estimate_share sums it (numpy's pairwise sum over the domain, in
    respondent order): weights are often rounded decimals whose sums fall on a printed rounding boundary, where
    another summation order would change the last printed digit. Computed once per set of respondents asked."""
    key = (asked_key, breakdown, group)
    if key not in cache:
        mask = codes == group
        if asked_key is not None:
            mask &= asked
        cache[key] = float(weights[mask].sum())
    return cache[key]


def _checked_weights(respondents: Respondents) -> np.ndarray:
    weights = respondents.weights
    # The same checks estimate_share makes: a NaN or negative weight would corrupt every sum.
    if not np.isfinite(weights).all():
        raise ValueError("weights must be finite (no NaN or inf)")
    if (weights < 0).any():
        raise ValueError("weights must be non-negative")
    return weights


def _group_codes(respondents: Respondents) -> list[tuple[str, list[str], np.ndarray]]:
    """(breakdown, group keys, code per respondent) for the total and every demographic variable, in the order
    of :func:`breakdowns`. Code k is the k-th group; len(group keys) collects respondents in none of them."""
    n = len(respondents)
    result = [("total", ["total"], np.zeros(n, dtype=np.intp))]
    for key, variable in respondents.codebook.demographics.items():
        codes = respondents.codes(key)
        index = np.full(n, len(variable.answers), dtype=np.intp)
        # Assigned in reverse so that, as with the masks of breakdowns(), the first matching answer wins.
        for k in range(len(variable.answers) - 1, -1, -1):
            index[codes == variable.answers[k].code] = k
        result.append((key, [a.key for a in variable.answers], index))
    return result


def _question_sources(respondents: Respondents, question: Variable):
    """Per answer variable of a question: (item, category per respondent, number of categories, cells), where a
    category of -1 means not asked and each cell is (answer, answer type, boolean mask of chosen categories).
    The cells come in the order of :func:`question_cells`."""
    if question.type == "multi":
        chosen = {a.key: respondents.codes(question.answer_variable(a.key)) for a in question.answers}
        yes = np.array([False, True])
        for answer in question.answers:
            yield "", _indicator_categories(chosen[answer.key]), 2, [(answer.key, "answer", yes)]
        for net in question.nets:
            any_chosen = np.nanmax(np.column_stack([chosen[k] for k in net.answers]), axis=1)
            yield "", _indicator_categories(any_chosen), 2, [(net.key, "net", yes)]
        return
    for item, variable in zip(question.items or [None], question.variables):
        if item is not None and not respondents.asks_item(question.key, item.key):
            continue
        codes = respondents.codes(variable)
        n_answers = len(question.answers)
        # Categories: the answers in codebook order, then one for any other code (answered, never chosen).
        categories = np.where(np.isnan(codes), -1, n_answers).astype(np.intp)
        for k in range(n_answers - 1, -1, -1):
            categories[codes == question.answers[k].code] = k
        cells = []
        for k, answer in enumerate(question.answers):
            mask = np.zeros(n_answers + 1, dtype=bool)
            mask[[j for j, a in enumerate(question.answers) if a.code == answer.code]] = True
            cells.append((answer.key, "answer", mask))
        for net in question.nets:
            net_codes = {question.answer(k).code for k in net.answers}
            mask = np.zeros(n_answers + 1, dtype=bool)
            mask[[j for j, a in enumerate(question.answers) if a.code in net_codes]] = True
            cells.append((net.key, "net", mask))
        yield (item.key if item is not None else ""), categories, n_answers + 1, cells


def _indicator_categories(values: np.ndarray) -> np.ndarray:
    """A 0/1 indicator (NaN not asked) as categories 0 and 1, -1 for not asked; anything else is refused."""
    asked = ~np.isnan(values)
    if not ((values[asked] == 0.0) | (values[asked] == 1.0)).all():
        raise ValueError("indicator must contain only 0, 1 (or True/False) and NaN for missing")
    return np.where(asked, values, -1).astype(np.intp)


# Breakdowns are counted several at a time: one bincount over their joint groups (sex x age band x ...) serves
# every breakdown of the pack, each one's table being a sum over the others' axes. A pack holds at most this many
# joint groups, so that a bincount's bins (answer categories x joint groups) stay in the processor's cache.
JOINT_GROUPS_MAX = 4096


@dataclass(frozen=True)
class _Pack:
    """Breakdowns counted together: their indices in the groups list, their widths (groups + 1) and each
    respondent's joint group (the breakdowns' codes as digits of a mixed-radix number, the first most significant)."""

    breakdowns: tuple[int, ...]
    widths: tuple[int, ...]
    joint: np.ndarray


def _packs(groups: list[tuple[str, list[str], np.ndarray]]) -> list[_Pack]:
    widths = [len(group_keys) + 1 for _breakdown, group_keys, _codes in groups]
    packs, members, size = [], [], 1
    for b, width in enumerate(widths):
        if members and size * width > JOINT_GROUPS_MAX:
            packs.append(members)
            members, size = [], 1
        members.append(b)
        size *= width
    packs.append(members)
    result = []
    for members in packs:
        joint = np.zeros(len(groups[0][2]), dtype=np.intp)
        for b in members:
            joint = joint * widths[b] + groups[b][2]
        result.append(_Pack(tuple(members), tuple(widths[b] for b in members), joint))
    return result


def _category_sums(
    categories: np.ndarray, n_categories: int, weights: np.ndarray, packs: list[_Pack]
) -> list[tuple[np.ndarray, ...]]:
    """Per breakdown: count, positive-weight count, sum w and sum w^2 over answered respondents, each an array
    (categories x groups + 1), the last column being respondents in no group."""
    asked = categories >= 0
    everyone = bool(asked.all())
    cat = categories if everyone else categories[asked]
    w = weights if everyone else weights[asked]
    w2 = w * w
    positive = w > 0
    all_positive = bool(positive.all())
    result = {}
    for pack in packs:
        size = math.prod(pack.widths)
        key = cat * size + (pack.joint if everyone else pack.joint[asked])
        shape = (n_categories, *pack.widths)
        count = np.bincount(key, minlength=n_categories * size).reshape(shape)
        nonzero = count if all_positive else np.bincount(key[positive], minlength=n_categories * size).reshape(shape)
        sum_w = np.bincount(key, weights=w, minlength=n_categories * size).reshape(shape)
        sum_w2 = np.bincount(key, weights=w2, minlength=n_categories * size).reshape(shape)
        for j, b in enumerate(pack.breakdowns):
            others = tuple(axis + 1 for axis in range(len(pack.widths)) if axis != j)
            result[b] = tuple(x.sum(axis=others) for x in (count, nonzero, sum_w, sum_w2))
    return [result[b] for b in sorted(result)]


def _cell_sums(chosen: np.ndarray, count, nonzero, w, w2, n_groups: int):
    """DomainSums fields for each group of a breakdown and for the rest of the sample beside each group."""
    other = ~chosen
    by_group = (
        count.sum(axis=0),
        nonzero.sum(axis=0),
        w[chosen].sum(axis=0),
        w[other].sum(axis=0),
        w2[chosen].sum(axis=0),
        w2[other].sum(axis=0),
    )
    width = n_groups + 1
    # The rest beside group g: every other column, the no-group column included (sums of non-negative terms).
    others = 1.0 - np.eye(width)[:, :n_groups]
    rest = tuple(np.rint(x @ others).astype(np.int64) if i < 2 else x @ others for i, x in enumerate(by_group))
    own = tuple(x[:n_groups] for x in by_group)
    return own, rest
