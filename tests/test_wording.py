import pytest

from collaborative_citizen.findings.wording import Number, in_n, in_n_text, pct, pct_text, points, share_phrase


@pytest.mark.parametrize("value, text", [(79.0, "79%"), (78.5, "79%"), (12.5, "13%"), (12.49, "12%"), (0, "0%")])
def test_percentages_round_half_up(value, text):
    assert pct_text(value) == text


@pytest.mark.parametrize(
    "value, words",
    [
        (79.6, "eight in ten"),
        (24.2, "one in four"),
        (14.0, "one in seven"),
        (28.0, "almost three in ten"),
        (66.0, "two in three"),
        (32.0, "one in three"),
        (78.998, "eight in ten"),
        (31.0, "three in ten"),
        (35.5, "just over one in three"),
        (95.0, "more than nine in ten"),
    ],
)
def test_fractions_in_words(value, words):
    assert in_n_text(value) == words


@pytest.mark.parametrize(
    "value, phrase",
    [
        (48.0, "close to half"),
        (50.2, "half"),
        (50.6, "a majority"),
        (87.0, "a large majority"),
        (24.0, "a minority"),
        (31.0, "a substantial minority"),
    ],
)
def test_share_phrases_never_overstate(value, phrase):
    assert share_phrase(value) == phrase


def test_rendered_numbers_are_traceable():
    value = Number(79.04, "dignity_agree")
    assert str(pct(value)) == '<span class="num" data-key="dignity_agree">79%</span>'
    assert str(in_n(value)) == '<span class="num" data-key="dignity_agree">eight in ten</span>'
    assert str(points(Number(-16.2, "gap"))) == '<span class="num" data-key="gap">16 points</span>'
    assert value > 79 and value.key == "dignity_agree"
