import pytest
import yaml

from collaborative_citizen.inputs.codebook import CodebookError, load_codebook

WAYS = ["public_services_together", "cross_sector_partnerships", "charities", "businesses"]
ASPECTS = ["quality", "cost_effectiveness", "accountability"]

# The public names the rest of the project relies on (issue: survey data foundation, section 2).
REQUIRED = {
    "meaning": ("multi", [], ["whole_community", "available_to_everyone"], []),
    "fairness": ("single", [], ["equal_opportunity", "same_for_everyone", "most_in_need", "dont_know"], []),
    "dignity_outcome": ("grid", ["dignity_as_important", "outcome_more_important"], [], ["agree", "disagree"]),
    "provider_engagement": (
        "grid",
        ["understand_needs", "understand_preferences", "personalised_service", "involve_decisions"],
        [],
        ["always_often", "hardly_ever_never"],
    ),
    "government_responsibility": (
        "grid",
        ["living_expenses", "when_things_go_wrong", "job_and_career"],
        ["not_at_all"],
        ["all_mostly", "at_least_some"],
    ),
    "ways_of_organising": (
        "grid",
        [f"{w}_{a}" for w in WAYS for a in ASPECTS],
        ["better", "worse", "no_difference", "dont_know"],
        [],
    ),
    "focus": (
        "multi",
        [],
        [
            "understand_needs",
            "dignity_respect",
            "outcomes",
            "accessibility",
            "transparency",
            "accountability",
            "strategic_planning",
        ],
        [],
    ),
    "working_with_services": ("single", [], [], ["willing", "unwilling_or_no_time"]),
}


@pytest.mark.parametrize("key", sorted(REQUIRED))
def test_question_has_its_public_names(codebook, key):
    qtype, items, answers, nets = REQUIRED[key]
    question = codebook.questions[key]
    assert question.type == qtype
    assert set(items) <= {i.key for i in question.items}
    assert set(answers) <= {a.key for a in question.answers}
    assert set(nets) <= {n.key for n in question.nets}


def test_multi_questions_limit_answers(codebook):
    assert codebook.questions["meaning"].max_answers == 2
    assert codebook.questions["focus"].max_answers == 3


def test_split_sample_items_name_their_half(codebook):
    question = codebook.questions["dignity_outcome"]
    assert question.split_variable == "split_half"
    assert {i.key: i.asked_of for i in question.items} == {"dignity_as_important": "A", "outcome_more_important": "B"}


def test_willing_net_is_some_or_a_lot_of_effort(codebook):
    question = codebook.questions["working_with_services"]
    assert set(question.net("willing").answers) == {"a_lot_of_effort", "some_effort"}
    assert not set(question.net("willing").answers) & set(question.net("unwilling_or_no_time").answers)


def test_demographics(codebook):
    d = codebook.demographics
    assert [a.key for a in d["age_band"].answers] == ["15-24", "25-34", "35-44", "45-54", "55-64", "65+"]
    assert [a.key for a in d["social_grade"].answers] == ["AB", "C1", "C2", "DE"]
    assert {a.key for a in d["internet_access"].answers} == {"yes", "no"}
    assert {a.key for a in d["young_children"].answers} == {"yes", "no"}
    assert "broadsheet" in {a.key for a in d["newspaper"].answers}
    assert {"sex", "region"} <= set(d)


def test_every_answer_says_whether_its_label_was_published(codebook):
    for entry in codebook.all_variables.values():
        for answer in entry.answers:
            assert answer.label_source in ("published", "assumed"), (entry.key, answer.key)
    # The report names the two leading meanings; the rest of that list is lost.
    meaning = codebook.questions["meaning"]
    assert meaning.answer("whole_community").label_source == "published"
    assert meaning.answer("paid_from_taxes").label_source == "assumed"


def test_codes_are_in_questionnaire_order(codebook):
    for entry in codebook.all_variables.values():
        codes = [a.code for a in entry.answers]
        assert codes == sorted(codes), entry.key


def _write(tmp_path, text):
    path = tmp_path / "codebook.yml"
    path.write_text(text)
    return path


def test_inconsistent_codebooks_are_refused(tmp_path, codebook):
    raw = yaml.safe_load(codebook.path.read_text())
    raw["questions"]["fairness"]["answers"][1]["code"] = 1
    with pytest.raises(CodebookError, match="fairness: duplicate answer codes 1"):
        load_codebook(_write(tmp_path, yaml.safe_dump(raw)))
    raw = yaml.safe_load(codebook.path.read_text())
    raw["questions"]["provider_engagement"]["nets"][0]["answers"].append("rarely")
    with pytest.raises(CodebookError, match="unknown answers rarely"):
        load_codebook(_write(tmp_path, yaml.safe_dump(raw)))
    raw = yaml.safe_load(codebook.path.read_text())
    del raw["questions"]["focus"]["max_answers"]
    with pytest.raises(CodebookError, match="focus: a multi question needs max_answers"):
        load_codebook(_write(tmp_path, yaml.safe_dump(raw)))
