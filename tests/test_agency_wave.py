"""A researcher's recurring job: a new wave arrives from the agency. Here an online panel's delivery
(agency_delivery.py: agency names and codes, SPSS user-missing values, 1/2 multi-answer indicators, exact ages, a
string id, no internet-access variable, a grid item dropped, a question new) is added to a temporary copy of the
project with a wave.yml alone, plus a codebook entry, a report.yml entry and a commentary template for the new
question's finding (no notebook: the shared one runs it), and built with `make report WAVE=2016`. The 2014
report is built before and after, and must not change by a byte."""

import hashlib
import html as html_module
import json
import re
import shutil

import agency_delivery
import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT, copy_project
from conftest import make_report as _make

from collaborative_citizen.typography import smarten

WAVE = agency_delivery.WAVE
EARLIER = ("2014", "2015")
# The earlier report built before and after the new wave arrives, which must not change by a byte (2014: the
# report with every part; 2015's is built by the same steps).
CHECKED = ("2014",)
NINTH = "09_trust_in_local_services"


def _snapshot(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _add_ninth_finding(project):
    """What the README's 'Adding a question and a finding' says to do, step by step."""
    codebook = project / "data" / "codebook.yml"
    codebook.write_text(agency_delivery.with_new_question(codebook.read_text()))
    config_path = project / "report" / "report.yml"
    config = config_path.read_text()
    if f"notebook: {NINTH}" in config:
        return  # the tree has it already
    finding = (
        f"  - number: 9\n    notebook: {NINTH}\n    title: Trust in local services\n"
        f"    question: {agency_delivery.NEW_QUESTION}\n    chart: {{type: bars}}\n"
    )
    config = config.replace("\n# The published report", "\n" + finding + "\n# The published report", 1)
    config_path.write_text(config)
    (project / "report" / "findings" / f"{NINTH}.md.j2").write_text(
        "- {{ n.trust | share_phrase | sentence }} ({{ n.trust | pct }}) trust the public services in their area\n"
        "  a great deal or a fair amount.\n"
    )
    # No notebook to write: the shared finding notebook runs it (README, "Adding a finding").


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("agency-wave")
    project = copy_project(root / "project", EARLIER)
    # The earlier waves' reports as the HTML step writes them (the PDF is laid out from that HTML, byte for byte
    # the same when the HTML is; building it twice for each wave would double the test's time).
    work = project / "report" / "build" / ".work" / "build"
    before = {}
    for wave in CHECKED:
        made = _make(project, wave, "html")
        assert made.returncode == 0, made.stdout + made.stderr
        before[wave] = _snapshot(work / wave)
    _add_ninth_finding(project)
    folder = project / "data" / "waves" / WAVE
    delivered = agency_delivery.write_delivery(folder, ROOT / "data" / "codebook.yml", ROOT / "data" / "waves" / "2014")
    data_file = folder / agency_delivery.DATA_FILE
    digest = hashlib.sha256(data_file.read_bytes()).hexdigest()
    made = _make(project, WAVE)
    assert made.returncode == 0, made.stdout + made.stderr
    after = {}
    for wave in CHECKED:
        again = _make(project, wave, "html")
        assert again.returncode == 0, again.stdout + again.stderr
        after[wave] = _snapshot(work / wave)
    out = project / "report" / "build" / WAVE
    html = (out / f"collaborative-citizen-{WAVE}.html").read_text()
    return {
        "project": project,
        "out": out,
        "html": html,
        "text": _text(html),
        "frame": delivered["frame"],
        "output": made.stdout + made.stderr,
        "digest": digest,
        "data_file": data_file,
        "before": before,
        "after": after,
    }


def _text(html):
    html = re.sub(r"<(svg|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _unescape(text):
    return html_module.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def _weighted_share(frame, column, chosen, base_excludes):
    values = frame[column].to_numpy(dtype=float)
    weights = frame["WGT"].to_numpy(dtype=float)
    base = ~np.isin(values, base_excludes)
    return 100 * weights[base & np.isin(values, chosen)].sum() / weights[base].sum()


def test_the_delivery_builds_from_wave_yml_alone_and_is_never_rewritten(built):
    assert hashlib.sha256(built["data_file"].read_bytes()).hexdigest() == built["digest"]
    assert sorted(p.name for p in built["data_file"].parent.iterdir()) == [agency_delivery.DATA_FILE, "wave.yml"]
    # The unmapped question-like variable is a note, not an error.
    assert "Q10" in built["output"] and "warning:" in built["output"]
    colophon = built["html"][built["html"].index('id="colophon"') :]
    assert built["digest"] in colophon
    assert "user-missing value 99 read as not in the base" in colophon and "age_band banded from QAGE" in colophon


def test_published_numbers_equal_a_weighted_mean_computed_here(built):
    frame = built["frame"]
    f2 = json.loads((built["out"] / "findings" / "F2.json").read_text())
    # 99 (refused) is out of the base; 98 (don't know) is an answer in it.
    expected = _weighted_share(frame, "Q2", [2], [agency_delivery.REFUSED])
    assert f2["numbers"]["same_for_everyone"] == pytest.approx(expected, abs=1e-6)
    assert f2["numbers"]["dont_know"] == pytest.approx(
        _weighted_share(frame, "Q2", [agency_delivery.DONT_KNOW], [agency_delivery.REFUSED]), abs=1e-6
    )
    f1 = json.loads((built["out"] / "findings" / "F1.json").read_text())
    assert f1["numbers"]["whole_community"] == pytest.approx(_weighted_share(frame, "Q1_1", [1], []), abs=1e-6)
    # The new question leaves don't know (5) out of its base, and its base line says so.
    f9 = json.loads((built["out"] / "findings" / "F9.json").read_text())
    assert f9["numbers"]["trust"] == pytest.approx(_weighted_share(frame, "Q9", [1, 2], [5]), abs=1e-6)
    assert "dont_know" not in f9["numbers"]
    assert f9["bases"]["total"] == int((frame.Q9 != 5).sum())
    assert "don\u2019t know are not in the base" in f9["base_line"]


def test_age_bands_follow_the_wave_and_the_demographic_not_collected_is_gone(built):
    text, html = built["text"], built["html"]
    assert "16\u201324" in text and "15\u201324" not in text and "15-24" not in text  # (an en dash in the report)
    results = pd.read_csv(built["out"] / "results.csv", dtype=str, keep_default_na=False)
    assert "internet_access" not in set(results.breakdown)
    ages = pd.cut(
        built["frame"].QAGE.where(built["frame"].QAGE != agency_delivery.REFUSED), [15, 24, 34, 44, 54, 64, 200]
    )
    total = results[(results.question == "fairness") & (results.answer == "equal_opportunity")]
    youngest = total[(total.breakdown == "age_band") & (total.group == "15-24")]
    asked = (built["frame"].Q2 != agency_delivery.REFUSED).to_numpy()
    assert int(youngest.base_unweighted.iloc[0]) == int(((ages.cat.codes == 0).to_numpy() & asked).sum())
    assert "internet access" not in text.lower()
    appendix = html[html.index('id="appendix"') : html.index('id="colophon"')]
    assert ">Internet<" not in appendix and ">Age<" in appendix


def test_methods_describe_this_wave(built):
    methods = built["text"][built["text"].index(" Methods ") :]
    assert "online, self-completion" in methods and "online research panel" in methods
    assert "raking" in methods and "region" in methods and "ONS mid-2015" in methods
    assert "face-to-face sample" not in built["text"]
    assert "A test delivery" in methods  # wave.yml's notes


def test_the_dropped_item_is_shown_beside_its_finding_and_listed_once(built):
    html = built["html"]
    finding = html[html.index('id="finding-4"') : html.index('id="finding-5"')]
    assert (
        "Not asked in 2016: \u201cUnderstand your preferences as well as your needs\u201d (last asked in 2015)"
        in finding
    )
    listed = re.search(r'<ul class="not-asked">(.*?)</ul>', html, re.S).group(1)
    assert re.findall(r"<li>(.*?)</li>", listed, re.S) == [
        "Finding 4: Do the people who run services understand and involve us?: \u201cUnderstand your preferences "
        "as well as your needs\u201d (last asked in 2015)"
    ]


def test_what_changed_matches_changes_csv_row_by_row(built):
    changes = pd.read_csv(built["out"] / "changes.csv", dtype=str, keep_default_na=False)
    tested = changes[(changes.latest == "True") & (changes.previous_source == "respondent data")]
    assert set(tested.previous_wave) == {"2014", "2015"}  # three waves with respondent data
    html = built["html"]
    part = html[html.index('id="changes"') : html.index('id="methods"')]
    assert "What changed since 2014 and 2015" in part
    codebook = yaml.safe_load((built["project"] / "data" / "codebook.yml").read_text())["questions"]
    for previous in ("2015", "2014"):
        these = tested[tested.previous_wave == previous]
        section = part.split(f'id="changes-{previous}"')[1].split("<h2 ")[0]
        assert re.search(rf"\b{len(these)} figures? of this survey w\w+ last asked in {previous}\b", _text(section))
        significant = these[these.significant == "True"]
        rows = re.findall(
            r"<tr><td>(.*?)</td><td>(.*?)</td><td>.*?(\d+)%.*?</td><td>.*?(\d+)%.*?</td>\s*"
            r"<td>([+-]\d+)</td><td>([\d.]+)</td></tr>",
            section,
            re.S,
        )
        assert len(rows) == len(significant), (previous, rows)
        for r in significant.itertuples():
            question = codebook[r.question]
            what = (
                next(i["label"] for i in question.get("items", []) if i["key"] == r.item)
                if r.item
                else question["wording"]
            )
            answer = next((a["label"] for a in question["answers"] if a["key"] == r.answer), None) or next(
                n["label"] for n in question.get("nets", []) if n["key"] == r.answer
            )
            now, before = (f"{int(np.floor(float(v) + 0.5))}" for v in (r.pct, r.previous_pct))
            match = [
                row
                for row in rows
                if _unescape(row[0]) == smarten(what)
                and _unescape(row[1]) == smarten(answer)
                and row[2:4] == (now, before)
                and row[5] == f"{float(r.p_value):.3f}"
            ]
            assert len(match) == 1, (r.question, r.item, r.answer, rows)
    # Opinion on fairness moved since 2014 (the delivery moved it), and 2015 never asked it.
    fairness = tested[(tested.question == "fairness") & (tested.answer == "same_for_everyone")]
    assert list(fairness.previous_wave) == ["2014"] and list(fairness.significant) == ["True"]


def test_the_new_finding_is_in_this_report_only(built):
    assert 'id="finding-9"' in built["html"]
    earlier = (
        built["project"] / "report" / "build" / ".work" / "build" / "2014" / "collaborative-citizen-2014.html"
    ).read_text()
    assert 'id="finding-9"' not in earlier and "Trust in local services" not in earlier


def test_earlier_reports_are_byte_identical_before_and_after(built):
    for wave in CHECKED:
        before, after = built["before"][wave], built["after"][wave]
        assert [name for name in before if before[name] != after.get(name)] == []
        # The only new files are the audit trail of the new finding's notebook, which records that it was not asked.
        assert set(after) - set(before) <= {"findings/F9.json", f"notebooks/{NINTH}.ipynb"}
        out = built["project"] / "report" / "build" / ".work" / "build" / wave
        assert json.loads((out / "findings" / "F9.json").read_text())["asked"] is False
        assert f"collaborative-citizen-{wave}.html" in before


def test_a_template_using_a_number_the_wave_lacks_names_its_file_and_line(built, tmp_path, monkeypatch):
    from collaborative_citizen.findings.finding import Finding, TemplateProblem

    project = built["project"]
    report = tmp_path / "report"
    shutil.copytree(project / "report", report, ignore=shutil.ignore_patterns("build"))
    template = report / "findings" / "04_understanding_and_engagement.md.j2"
    template.write_text(template.read_text() + "- {{ n.understand_preferences_always_often | pct }} again.\n")
    monkeypatch.chdir(project)
    finding = Finding.load(4, WAVE, data_dir="data", build_dir="report/build", report_config=report / "report.yml")
    with pytest.raises(TemplateProblem) as caught:
        finding.commentary()
    lines = template.read_text().count("\n")
    assert str(caught.value).startswith(
        f"{template}, line {lines}: no number understand_preferences_always_often in wave {WAVE}"
    ), caught.value
