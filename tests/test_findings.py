"""The finding notebooks, run through papermill on the 2014 wave, and what they produce."""

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import ROOT

from collaborative_citizen.analysis import publication_rules
from collaborative_citizen.analysis.results_file import lookup, write_results
from collaborative_citizen.cli import main as cli_main
from collaborative_citizen.findings.finding import Finding, load_report_config
from collaborative_citizen.notebooks import (
    FINDING_NOTEBOOK,
    NotebookError,
    NotebookJob,
    declared_parameters,
    run_notebook,
    run_notebooks,
)
from collaborative_citizen.publish.html import notebook_output

CONFIG = load_report_config(ROOT / "report" / "report.yml")
FINDINGS = {f["number"]: f for f in CONFIG["findings"]}
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="session")
def built(built_project, report_dir):
    """The session's 2014 report as `make report` built it (conftest): its executed notebooks, findings' JSON and
    charts, and the project folder the JSON's paths are relative to."""
    return report_dir, built_project / "figures" / "2014", built_project


@pytest.fixture(scope="module")
def batch(tmp_path_factory, table):
    """The about notebook and findings 6-8 run as make runs them, one kernel reused for all four."""
    build = tmp_path_factory.mktemp("build")
    figures = tmp_path_factory.mktemp("figures")
    assert cli_main(["--build-dir", str(build), "tables", "--wave", "2014"]) == 0
    parameters = {"wave": "2014", "data_dir": "data", "build_dir": str(build)}
    about = ROOT / "notebooks" / "00_about_the_survey.ipynb"
    jobs = [NotebookJob(about, build / "2014" / "notebooks" / about.name, dict(parameters))]
    for number in (6, 7, 8):
        name = f"{FINDINGS[number]['notebook']}.ipynb"
        jobs.append(
            NotebookJob(
                ROOT / "notebooks" / name,
                build / "2014" / "notebooks" / name,
                {**parameters, "figures_dir": str(figures), "finding": number},
                source=FINDING_NOTEBOOK,
            )
        )
    assert run_notebooks(jobs, cwd=ROOT, workers=1) == []
    return build / "2014", figures / "2014"


def test_a_reused_kernel_gives_what_a_fresh_one_gives(batch, tmp_path):
    """The last notebooks of a batch ran in a kernel that had run others before; run alone, each in a kernel of
    its own, they must give the same executed notebook, chart and numbers, byte for byte."""
    build, figures = batch
    for number in (7, 8):
        name = f"{FINDINGS[number]['notebook']}.ipynb"
        alone = tmp_path / name
        parameters = {
            "wave": "2014",
            "data_dir": "data",
            "build_dir": str(build.parent),
            "figures_dir": str(figures.parent),
            "finding": number,
        }
        run_notebook(ROOT / "notebooks" / name, alone, parameters, cwd=ROOT, source=FINDING_NOTEBOOK)
        assert alone.read_bytes() == (build / "notebooks" / name).read_bytes(), name


def summary(built, number):
    return json.loads((built[0] / "findings" / f"F{number}.json").read_text())


def section(built, number):
    _, html = notebook_output(built[0] / "notebooks" / f"{FINDINGS[number]['notebook']}.ipynb")
    assert html.count('class="finding"') == 1
    return html


def test_notebooks_are_committed_without_outputs():
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        notebook = json.loads(path.read_text())
        code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
        assert all(not c["outputs"] and c["execution_count"] is None for c in code), path.name
        tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, f"{path.name}: needs exactly one cell tagged parameters"


def test_every_finding_has_a_template_and_one_notebook_runs_them():
    """The findings share one parameterised notebook (papermill's `finding` parameter); a notebook of a
    finding's own name is the exception, for a finding that needs analysis of its own (none does today)."""
    # Numbered 1, 2, ... in report order: the report's eight and any a researcher has added since.
    assert sorted(FINDINGS) == list(range(1, len(FINDINGS) + 1)) and len(FINDINGS) >= 8
    for spec in FINDINGS.values():
        assert (ROOT / "report" / "findings" / f"{spec['notebook']}.md.j2").is_file()
    assert sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb")) == [
        "00_about_the_survey.ipynb",
        "finding.ipynb",
    ]
    assert "finding" in declared_parameters(ROOT / FINDING_NOTEBOOK)


def test_unknown_parameter_is_an_error(tmp_path):
    with pytest.raises(NotebookError, match="unknown parameter wav "):
        run_notebook(ROOT / "notebooks" / "00_about_the_survey.ipynb", tmp_path / "out.ipynb", {"wav": "2014"})
    assert not (tmp_path / "out.ipynb").exists()


def test_a_reused_kernel_forgets_the_notebook_before(tmp_path):
    """Names, the output history and pyplot's figures of one notebook are gone when the next runs in its kernel."""
    import nbformat

    def notebook(name, *sources):
        nb = nbformat.v4.new_notebook(
            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
        )
        nb.cells = [
            nbformat.v4.new_code_cell("step = 0", metadata={"tags": ["parameters"]}),
            *(nbformat.v4.new_code_cell(s) for s in sources),
        ]
        nbformat.write(nb, tmp_path / name)
        return tmp_path / name

    first = notebook("first.ipynb", "left_over = 42\nimport matplotlib.pyplot as plt\nplt.figure()", "left_over")
    second = notebook(
        "second.ipynb",
        "print(sorted(n for n in ('left_over', 'plt') if n in globals()), len(Out), _)",
        "import matplotlib.pyplot\nprint(matplotlib.pyplot.get_fignums())",
    )
    jobs = [NotebookJob(path, tmp_path / "out" / path.name, {"step": 1}) for path in (first, second)]
    assert run_notebooks(jobs, cwd=tmp_path, workers=1) == []
    executed = nbformat.read(tmp_path / "out" / "second.ipynb", as_version=4)
    outputs = [c.outputs[0]["text"] for c in executed.cells if c.cell_type == "code" and c.outputs]
    assert outputs == ["[] 0 \n", "[]\n"]
    assert [c.execution_count for c in executed.cells if c.cell_type == "code"] == [1, 2, 3, 4]


def expected_bars(number, codebook):
    spec = FINDINGS[number]
    question = codebook.questions[spec["question"]]
    chart = spec["chart"]
    if chart["type"] in ("bars", "ranked"):
        return len(question.answers) + len(chart.get("nets", []))  # the nets it draws beside the answers
    if chart["type"] == "trend":
        # This wave's answers, plus the earlier wave's answers that were published (2010: two).
        return len(question.answers) + 2
    if chart["type"] == "diverging":
        return len(question.items) * sum(len(chart[side]) for side in ("left", "right", "aside"))
    return len(question.items) * len(chart["show"])


@pytest.mark.parametrize("number", range(1, 9))
def test_chart_svg_parses_with_one_bar_per_answer_shown(built, codebook, number):
    svg_path = built[2] / summary(built, number)["figure"]["svg"]
    root = ET.parse(svg_path).getroot()
    bars = [e for e in root.iter() if e.get("id", "").startswith("bar-")]
    assert len(bars) == expected_bars(number, codebook)
    png = svg_path.with_suffix(".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = section(built, number)
    assert f'<figure class="chart" id="figure-{number}">' in html and f"Figure {number}:" in html
    assert 'role="img"' in html and 'aria-label="Chart: ' in html


@pytest.mark.parametrize("number", range(1, 9))
def test_json_numbers_equal_the_table_engine(built, table, number):
    data = summary(built, number)
    question = data["question"]
    totals = table[(table.question == question) & (table.breakdown == "total")]
    assert len(totals) > 0
    for row in totals.itertuples():
        key = f"{row.item}_{row.answer}" if row.item else row.answer
        assert data["numbers"][key] == pytest.approx(row.pct, abs=1e-6), key


@pytest.mark.parametrize("number", range(1, 9))
def test_subgroup_claims_are_significant_in_results(built, table, number):
    data = summary(built, number)
    html = section(built, number)
    published = publication_rules.apply(table)
    for claim in data["subgroup_claims"]:
        row = lookup(published, claim["question"], claim["answer"], claim["item"], claim["breakdown"], claim["group"])
        # Named only when the test survives the correction for every subgroup test of the wave.
        assert row.p_vs_rest_adjusted < 0.05 and claim["p_adjusted"] == pytest.approx(row.p_vs_rest_adjusted, abs=1e-8)
        assert row.base_unweighted >= 100 and row.base_effective >= 100
        assert f"{int(row.pct + 0.5)}%" in html


def test_bullets_carry_the_computed_figures(built):
    f3 = section(built, 3)
    assert ">79%</span>" in f3 and ">13%</span>" in f3
    assert ">55%</span>" in section(built, 3)
    f6 = summary(built, 6)
    claims = {(c["item"], c["answer"], c["breakdown"], c["group"]) for c in f6["subgroup_claims"]}
    # The report's own example of a subgroup difference is found by the data, not written in.
    assert ("public_services_together_quality", "better", "newspaper", "broadsheet") in claims
    assert ">81%</span>" in section(built, 6)


def test_base_lines(built):
    assert summary(built, 1)["base_line"] == (
        "Base: 989 adults aged 15+ in Great Britain, 31 January - 6 February 2014"
    )
    split = summary(built, 3)["base_line"]
    bases = summary(built, 3)["bases"]
    assert f"{bases['dignity_as_important']} asked" in split and f"{bases['outcome_more_important']} asked" in split
    assert bases["dignity_as_important"] + bases["outcome_more_important"] == 989


def test_reconstruction_is_disclosed_with_every_chart(built):
    for number in range(1, 9):
        assert 'class="note reconstruction"' in section(built, number)
    _, about = notebook_output(built[0] / "notebooks" / "00_about_the_survey.ipynb")
    assert "Reconstructed data" in about


def test_claims_the_data_no_longer_supports_are_not_made(tmp_path, table):
    """Lower the share never involved in decisions to 48%: the commentary must stop calling it a majority."""

    def bullets_with(pct):
        changed = table.copy()
        mask = (
            (changed.question == "provider_engagement")
            & (changed["item"] == "involve_decisions")
            & (changed.answer == "hardly_ever_never")
            & (changed.breakdown == "total")
        )
        changed.loc[mask, "pct"] = pct
        # no changes.csv: no earlier waves
        write_results(publication_rules.apply(changed), tmp_path / "2014" / "results.csv")
        finding = Finding.load(
            4, "2014", data_dir=ROOT / "data", build_dir=tmp_path, report_config=ROOT / "report" / "report.yml"
        )
        return " ".join(finding.commentary())

    assert "close to half" in bullets_with(48.0).lower() and "majority" not in bullets_with(48.0).lower()
    assert "A majority" in bullets_with(55.0)


def test_cli_reports_a_failing_notebook_in_one_line(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "collaborative_citizen",
            "--build-dir",
            str(tmp_path),
            "notebook",
            "notebooks/03_dignity_and_outcomes.ipynb",
            "--figures-dir",
            str(tmp_path / "figures"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert re.match(r"error: notebooks/03_dignity_and_outcomes\.ipynb: failed in cell \d+: ", result.stderr)
    assert "results.csv" in result.stderr
    assert not (tmp_path / "2014" / "notebooks" / "03_dignity_and_outcomes.ipynb").exists()


def test_a_group_significant_only_before_the_correction_is_not_named(built, table):
    """The groups the commentary could have named at p < 0.05 but may not once adjusted are absent from it."""
    published = publication_rules.apply(table)
    raw_only = published[(published.p_vs_rest < 0.05) & ~(published.p_vs_rest_adjusted < 0.05) & (published.flag == "")]
    assert len(raw_only) > 0
    named = {
        (c["question"], c["item"], c["answer"], c["breakdown"], c["group"])
        for number in FINDINGS
        for c in summary(built, number).get("subgroup_claims", [])
    }
    assert named and not named & set(
        zip(raw_only.question, raw_only["item"], raw_only.answer, raw_only.breakdown, raw_only.group)
    )


def test_bullets_are_whole_sentences(built):
    """A template's whitespace control can join two bullets into one ("... happens.- The more ..."): never."""
    for number in FINDINGS:
        for bullet in summary(built, number).get("bullets", []):
            assert not re.search(r"[.!?)]-\s", bullet), (number, bullet)
            assert bullet[:1].isupper() or bullet.startswith("<"), (number, bullet)


@pytest.mark.parametrize("number", [1, 5])
def test_the_reusable_figure_files_carry_title_base_and_source(built, number):
    """figures/<wave>/*.svg and *.png are used on their own (slides, briefings): each names its finding, base and
    source; the chart inlined in the report does not repeat them (its caption and base line do)."""
    svg_path = built[2] / summary(built, number)["figure"]["svg"]
    texts = " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg_path.read_text(encoding="utf-8")))
    assert f"Figure {number}:" in texts and "Base:" in texts and "Source: Ipsos MORI for Collaborate" in texts
    inline = section(built, number)
    inline_texts = " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", inline))
    assert "Source:" not in inline_texts and f"Figure {number}:" not in inline_texts
