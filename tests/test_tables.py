import numpy as np
import pandas as pd
import pytest

from collaborative_citizen.analysis.results_file import lookup
from collaborative_citizen.analysis.statistics import effective_base
from collaborative_citizen.analysis.tables import COLUMNS

REQUIRED_COLUMNS = [
    "wave",
    "question",
    "item",
    "answer",
    "breakdown",
    "group",
    "pct",
    "base_unweighted",
    "base_weighted",
    "base_effective",
    "ci_low",
    "ci_high",
]


def test_columns_and_one_row_per_cell(table):
    assert set(REQUIRED_COLUMNS) <= set(table.columns)
    assert list(table.columns) == COLUMNS
    keys = ["question", "item", "answer", "breakdown", "group"]
    assert not table.duplicated(keys).any()
    assert table.pct.between(0, 100).all()
    assert (table.wave == "2014").all()


def test_every_answer_and_net_for_total_and_every_group(table, codebook, respondents):
    # Groups nobody in the wave belongs to (Northern Ireland in a GB survey) have no rows.
    groups = 1 + sum(len(set(respondents.codes(k))) for k in codebook.demographics)
    for question in codebook.questions.values():
        if not respondents.asks(question.key):
            continue  # a question added to the codebook for a later wave
        rows = table[table.question == question.key]
        per_item = len(question.answers) + len(question.nets)
        assert len(rows) == per_item * max(1, len(question.items)) * groups, question.key
    total = table[table.breakdown == "total"]
    assert (total.group == "total").all()
    assert set(table.breakdown) == {"total", *codebook.demographics}
    assert "northern_ireland" not in set(table.group)


def test_weighted_percentages_match_a_direct_calculation(table, respondents):
    weights = respondents.weights
    age = respondents.categorical("age_band")
    fairness = respondents.categorical("fairness")
    frame = pd.DataFrame({"w": weights, "age": np.asarray(age), "answer": np.asarray(fairness)})
    for group, rows in frame.groupby("age"):
        expected = 100 * rows.w[rows.answer == "same_for_everyone"].sum() / rows.w.sum()
        row = lookup(table, "fairness", "same_for_everyone", breakdown="age_band", group=group)
        assert row.pct == pytest.approx(expected, abs=1e-6)
        assert row.base_unweighted == len(rows)
        assert row.base_weighted == pytest.approx(rows.w.sum(), abs=1e-4)
        assert row.base_effective == pytest.approx(effective_base(rows.w.to_numpy()), abs=1e-4)


def test_multi_answer_percentages_are_of_respondents_and_may_sum_above_100(table):
    answers = table[(table.question == "focus") & (table.breakdown == "total") & (table.answer_type == "answer")]
    assert answers.pct.sum() > 200  # up to three answers each
    assert (answers.base_unweighted == 989).all()


def test_split_sample_items_are_based_on_the_half_asked(table, respondents):
    half_a = int((respondents.codes("split_half") == 1).sum())
    dignity = lookup(table, "dignity_outcome", "agree", "dignity_as_important")
    outcome = lookup(table, "dignity_outcome", "agree", "outcome_more_important")
    assert dignity.base_unweighted == half_a
    assert outcome.base_unweighted == 989 - half_a
    assert 450 < half_a < 550


def test_nets_are_computed_from_codes(table):
    def pct(answer, item="understand_needs"):
        return lookup(table, "provider_engagement", answer, item).pct

    assert pct("always_often") == pytest.approx(pct("always") + pct("often"))
    assert pct("hardly_ever_never") == pytest.approx(pct("hardly_ever") + pct("never"))
    single = lookup(table, "working_with_services", "willing").pct
    assert single == pytest.approx(
        lookup(table, "working_with_services", "a_lot_of_effort").pct
        + lookup(table, "working_with_services", "some_effort").pct
    )


def test_single_question_answers_sum_to_100(table):
    answers = table[(table.question == "fairness") & (table.breakdown == "total") & (table.answer_type == "answer")]
    assert answers.pct.sum() == pytest.approx(100)


def test_confidence_intervals_contain_the_estimate_and_stay_in_range(table):
    shown = table[(table.pct > 0) & (table.pct < 100)]
    assert (shown.ci_low < shown.pct).all() and (shown.pct < shown.ci_high).all()
    assert (table.ci_low >= 0).all() and (table.ci_high <= 100).all()


def test_small_bases_are_flagged_and_suppressed(table):
    assert set(table.flag.fillna("")) <= {"", "low_base", "suppressed"}
    assert (table[table.base_unweighted < 50].flag == "suppressed").all()
    assert (table[(table.base_unweighted >= 50) & (table.base_unweighted < 100)].flag == "low_base").all()
    assert (table[table.base_unweighted >= 100].flag.fillna("") == "").all()
    assert (table.flag == "suppressed").any() and (table.flag == "low_base").any()


def test_group_against_rest_comparison(table):
    groups = table[table.breakdown != "total"]
    assert groups.p_vs_rest.dropna().between(0, 1).all()
    # A test is undefined only where a side has no variance (everyone or no one gave the answer).
    undefined = groups[groups.p_vs_rest.isna()]
    assert ((undefined.se == 0) | undefined.pct_rest.isin([0, 100])).all()
    row = lookup(table, "ways_of_organising", "better", "public_services_together_quality", "newspaper", "broadsheet")
    assert row.z_vs_rest > 0 and row.p_vs_rest < 0.001
    assert np.sign(row.pct - row.pct_rest) == np.sign(row.z_vs_rest)
    assert table[table.breakdown == "total"].z_vs_rest.isna().all()
