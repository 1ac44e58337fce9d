"""Publishing: numbers in words, essays, the fact-check, and the finished HTML file."""

import re
import zipfile
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml
from conftest import NAME, ROOT
from openpyxl import load_workbook
from test_sanitise import elements_as_parsed

from collaborative_citizen.publish.essays import (
    Figure,
    Figures,
    PublishError,
    in_n_text,
    load_essays,
    pct_html,
    render_essay,
)
from collaborative_citizen.publish.fact_check import fact_check, unsourced_figures
from collaborative_citizen.publish.html import Ids, check_document, clean_fragment, prefix_svg_ids

COMMENTARY = ROOT / "report" / "commentary"


def essay(tmp_path: Path, body: str, citations: str = "[]", name: str = "response-test.md") -> Path:
    path = tmp_path / name
    path.write_text(
        f"""---
title: A test response
authors:
  - name: Dr Ada Example
    role: Test author
date: 2014
kind: response
order: 9
summary_note: Our summary of a test response.
citations: {citations}
---

{body}
""",
        encoding="utf-8",
    )
    return path


def render(tmp_path, body, numbers=None, citations="[]"):
    essay(tmp_path, body, citations)
    context = {
        "F4": Figures("F4", numbers or {"involve_decisions_hardly_ever_never": 49.97, "understand": 24.03}, "F4.json"),
        "wave": {"id": "2014", "year": 2014, "base": 989},
    }
    return render_essay(load_essays(tmp_path)[0], context)


# Numbers in words ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, text", [(79.4, "79%"), (12.5, "13%"), (49.97, "50%"), (0.4, "0%")])
def test_pct_rounds_half_up_and_marks_the_number(value, text):
    assert pct_html(Figure(value, "F3.x")) == f'<span class="num" data-key="F3.x">{text}</span>'


@pytest.mark.parametrize(
    "value, words",
    [
        (24, "one in four"),
        (66, "two in three"),
        (79, "eight in ten"),
        (13.4, "one in seven"),
        (33, "one in three"),
        (50.2, "one in two"),
        (30, "three in ten"),
        (27.7, "almost three in ten"),
        (62.5, "just over three in five"),
        (87, "almost nine in ten"),
        (3, "fewer than one in ten"),
    ],
)
def test_in_n_picks_the_nearest_simple_fraction(value, words):
    assert in_n_text(value) == words


def test_filters_refuse_typed_numbers(tmp_path):
    with pytest.raises(PublishError, match="named figure"):
        render(tmp_path, "About {{ 50 | pct }} of respondents.")


# Essays --------------------------------------------------------------------------------------------------


def test_only_files_with_a_kind_are_essays():
    essays = load_essays(COMMENTARY)
    assert [e.slug for e in essays] == ["introduction", "response-unwin", "response-cameron", "response-parston"]
    assert all(a["name"] and a["role"] for e in essays for a in e.authors)
    assert all(e.summary_note for e in essays)


def test_placeholders_are_filled_and_marked(tmp_path):
    html = render(
        tmp_path,
        "In the survey, {{ F4.involve_decisions_hardly_ever_never | pct }} said so, "
        "and {{ F4.understand | in_n }} of respondents did not.",
    ).body
    assert '<span class="num" data-key="F4.involve_decisions_hardly_ever_never">50%</span>' in html
    assert '<span class="num" data-key="F4.understand">one in four</span>' in html
    assert unsourced_figures(html) == []


def test_a_placeholder_the_data_lacks_names_the_file(tmp_path):
    with pytest.raises(PublishError, match=r"response-test.md: F4 has no number 'nope'"):
        render(tmp_path, "{{ F4.nope | pct }}")


def test_citations_print_their_figure_and_a_note(tmp_path):
    cited = render(
        tmp_path,
        "A gap of {{ cite('gap') }} by 2020.",
        citations='[{id: gap, figure: "£14.4 billion", claim: "a funding gap", '
        'source: "LGA, https://www.local.gov.uk/x"}]',
    )
    assert '<span class="cite" data-cite="gap">£14.4 billion</span>' in cited.body
    assert 'href="#response-test-fn-1"' in cited.body
    assert cited.notes == [
        {"id": "gap", "figure": "£14.4 billion", "claim": "a funding gap", "source": "LGA, https://www.local.gov.uk/x"}
    ]
    with pytest.raises(PublishError, match="not declared"):
        render(tmp_path, "{{ cite('other') }}")


def test_references_share_the_notes_numbering_and_print_no_figure(tmp_path):
    """The works the original's endnotes refer to come back as notes, numbered with the citations in
    the order of first use; a reference prints its link alone, and `cite` cannot be used for a reference (nor
    `note` for a figure), so every figure stays fact-checked."""
    declared = (
        '[{id: gap, figure: "60%", claim: "a claim", source: "LGA"}]\n'
        'references: [{id: book, source: "A. Author, A Book (2012)"}]'
    )
    rendered = render(
        tmp_path, "As argued.{{ note('book') }} A gap of {{ cite('gap') }}.{{ note('book') }}", citations=declared
    )
    assert rendered.notes == [
        {"id": "book", "source": "A. Author, A Book (2012)"},
        {"id": "gap", "figure": "60%", "claim": "a claim", "source": "LGA"},
    ]
    assert rendered.body.count('href="#response-test-fn-1"') == 2 and 'href="#response-test-fn-2"' in rendered.body
    assert unsourced_figures(rendered.body) == []
    with pytest.raises(PublishError, match=r"cite\('book'\) is not declared under citations \(declared: gap\)"):
        render(tmp_path, "{{ cite('book') }}", citations=declared)
    with pytest.raises(PublishError, match=r"note\('gap'\) is not declared under references \(declared: book\)"):
        render(tmp_path, "{{ note('gap') }}", citations=declared)
    with pytest.raises(PublishError, match="declared twice"):
        render(
            tmp_path,
            "x",
            citations='[{id: book, figure: "1%", claim: "c", source: "s"}]\nreferences: [{id: book, source: "s"}]',
        )


def test_the_introduction_keeps_the_original_reports_twelve_notes(report_html):
    """The 2014 report's introduction carried twelve numbered notes; each comes back, in our words,
    linked from the sentence that summarises its point (plus the figure the introduction cites)."""
    notes = re.search(r'<section class="notes">\s*<h3 id="introduction-notes">.*?</section>', report_html, re.S)
    assert notes, "the introduction has no notes"
    items = re.findall(r'<li id="introduction-fn-(\d+)"', notes.group(0))
    assert items == [str(n) for n in range(1, 14)]
    for n in items:
        assert f'href="#introduction-fn-{n}"' in report_html, n


def test_markdown_in_essays_is_inert_and_links_become_text(tmp_path):
    html = render(
        tmp_path,
        "Hi <script>alert(1)</script> <img src=x onerror=alert(1)> "
        "[a link](javascript:alert(1)) and [site](https://example.org/page) "
        "or https://example.org/bare.\n\n<iframe src=https://example.org></iframe>",
    ).body
    assert "<script" not in html and "<img" not in html and "<iframe" not in html and "<a " not in html
    assert "javascript:" not in html and "http" not in html
    assert "a link" in html and "example.org/bare" in html


def test_essay_headings_sit_below_the_essay_title(tmp_path):
    html = render(tmp_path, "## Part\n\n### Sub\n\nText.").body
    assert "<h3>Part</h3>" in html and "<h4>Sub</h4>" in html


# Fact-check ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phrase",
    [
        "50%",
        "48 per cent",
        "one in four",
        "two-thirds",
        "half of them",
        "a third of people",
        "three in ten",
        "1 in 7",
        "12 points",
        "nearly half",
    ],
)
def test_typed_proportions_are_found(phrase):
    found = unsourced_figures(f"<p>First sentence. Then {phrase} agreed here. Last one.</p>")
    assert [sentence for _, sentence in found] == [f"Then {phrase} agreed here."]


@pytest.mark.parametrize(
    "text",
    [
        "Three implications follow.",
        "In 2014 and 2020.",
        "A third sector body.",
        "The rest of that half of the sample.",
        "Base: 989 adults.",
        "Results may not sum to 100.",
    ],
)
def test_words_that_are_not_proportions_pass(text):
    assert unsourced_figures(f"<p>{text}</p>") == []


def test_computed_cited_and_charted_figures_pass():
    html = (
        '<p><span class="num" data-key="F4.x">50%</span> and <span class="cite" data-cite="gap">60%</span>.</p>'
        '<ol><li data-cite="gap"><span class="cite">60%</span>: a claim.</li></ol>'
        '<figure><svg role="img" aria-label="Chart: 50%"><text>50%</text></svg></figure>'
    )
    assert unsourced_figures(html) == []


def test_the_fact_check_quotes_the_part_and_sentence():
    """The 2014 report says 50%, a 2015 article 48%: a typed 50% fails even though it equals the data."""
    parts = [
        ("finding 4 (04.ipynb)", '<p>Half are <span class="num" data-key="k">50%</span>.</p>'),
        ("response-parston (response-parston.md)", "<p>Intro. In the survey, 50% were never involved.</p>"),
    ]
    with pytest.raises(PublishError) as error:
        fact_check(parts)
    assert error.value.problems == [
        'fact-check: response-parston (response-parston.md): "50%" comes from neither the data nor a declared '
        'citation, in: "In the survey, 50% were never involved."'
    ]


# HTML fragments ------------------------------------------------------------------------------------------


def test_fragments_lose_scripts_handlers_and_svg_namespaces():
    html = clean_fragment(
        '<p onclick="x()">a</p><script>bad()</script><iframe src="y"></iframe>'
        '<a href="javascript:bad()">b</a><?xml version="1.0"?>'
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        '<metadata><rdf:RDF/></metadata><use xlink:href="#g"/></svg>'
    )
    assert html == '<p>a</p><a>b</a><svg><use href="#g"></use></svg>'


def test_svg_ids_are_made_unique_per_chart():
    svg = '<svg><defs><path id="g1"/><clipPath id="c"/></defs><use href="#g1"/><g clip-path="url(#c)"/></svg>'
    html = prefix_svg_ids(svg + svg, "finding-1")
    assert 'id="finding-1-svg1-g1"' in html and 'href="#finding-2-svg1-g1"' not in html
    assert 'href="#finding-1-svg2-g1"' in html and "url(#finding-1-svg2-c)" in html


def test_heading_ids_are_unique():
    ids = Ids()
    first = ids.headings("<h2>Notes</h2><h2>Notes</h2>", "intro")
    assert first == '<h2 id="intro-notes">Notes</h2><h2 id="intro-notes-2">Notes</h2>'


def test_document_checks_catch_what_a_reader_would_meet():
    problems = check_document(
        '<svg role="img"></svg><a href="#nowhere">x</a><p id="a"></p><p id="a"></p>'
        "<p>see https://example.org</p><style>/* https://ok.example */</style>"
    )
    assert len(problems) == 5
    assert any("alt text" in p for p in problems) and any("#nowhere" in p for p in problems)
    assert any("no Content-Security-Policy" in p for p in problems)
    assert any("ids used more than once: a" in p for p in problems)
    assert any("https://example.org" in p for p in problems)


# The built report ----------------------------------------------------------------------------------------


def test_the_report_is_one_offline_file(report_html):
    assert re.search(r'<html lang="en-GB">', report_html)
    without_css_comments = re.sub(r"/\*.*?\*/", "", report_html, flags=re.S)
    assert not re.search(r"https?://", without_css_comments, re.I)
    assert not re.search(r"<script|<iframe|<link\b|src=\"(?!data:)", report_html)
    assert "require.js" not in report_html and "MathJax" not in report_html and "mermaid" not in report_html
    assert report_html.count("@font-face") >= 4 and "data:font/woff;base64," in report_html
    assert "def " not in re.sub(r"<style>.*?</style>", "", report_html, flags=re.S)  # no code shown
    assert check_document(report_html) == []
    # The check parsed the page into the tree WeasyPrint lays out (test_sanitise.py, on hostile markup).
    assert elements_as_parsed(report_html, "lexbor") == elements_as_parsed(report_html, "tinyhtml5")


def test_the_report_has_every_part_in_order(report_html):
    order = [
        'class="part part-cover"',
        'id="about"',
        'id="contents"',
        'id="introduction"',
        'id="findings"',
        *[f'id="finding-{n}"' for n in range(1, 9)],
        'id="essay-response-unwin"',
        'id="essay-response-cameron"',
        'id="essay-response-parston"',
        'id="methods"',
        'id="appendix"',
        'id="colophon"',
    ]
    positions = [report_html.index(marker) for marker in order]
    assert positions == sorted(positions)
    for n in range(1, 9):
        figure = re.search(rf'<figure[^>]*id="figure-{n}".*?</figure>', report_html, re.S).group(0)
        assert re.search(r'<svg[^>]*aria-label="[^"]{20,}"', figure)
        assert f"Figure {n}" in figure


def test_contents_link_to_every_part_and_finding(report_html):
    contents = re.search(r'<nav[^>]*class="toc".*?</nav>', report_html, re.S).group(0)
    targets = re.findall(r'href="#([^"]+)"', contents)
    # about this report, about, key findings, introduction, findings + 8, responses + 3, methods, appendix,
    # accessibility, publication details, colophon
    assert len(targets) == 1 + 1 + 1 + 1 + 1 + 8 + 1 + 3 + 5
    for target in targets:
        assert re.search(rf'<h[12][^>]*id="{re.escape(target)}"', report_html), target


def test_the_colophon_records_provenance(report_html, report_dir):
    colophon = report_html[report_html.index('id="colophon"') :]
    import hashlib

    data = hashlib.sha256((ROOT / "data" / "waves" / "2014" / "respondents.sav").read_bytes()).hexdigest()
    # The codebook's entries this wave used, in a canonical form (every question of 2014, all demographics).
    import json

    raw = yaml.safe_load((ROOT / "data" / "codebook.yml").read_text())
    asked = set(pd.read_csv(report_dir / "results.csv", usecols=["question"]).question)
    used = {
        "questions": {k: v for k, v in raw["questions"].items() if k in asked},
        "demographics": raw["demographics"],
        "design": raw["design"],
    }
    codebook = hashlib.sha256(json.dumps(used, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()
    assert data in colophon and codebook in colophon
    assert re.search(r"git commit <code[^>]*>[0-9a-f]{40}</code>", colophon)
    assert "Python 3." in colophon and "weasyprint" in colophon


def test_the_merged_notebook_holds_the_report_in_order(report_dir):
    notebook = nbformat.read(report_dir / f"{NAME}.ipynb", as_version=4)
    nbformat.validate(notebook)
    assert [c.id for c in notebook.cells] == [f"cell-{n:03d}" for n in range(1, len(notebook.cells) + 1)]
    parts = list(dict.fromkeys(c.metadata["report"]["part"] for c in notebook.cells))
    assert parts == [
        "cover",
        "about-this-report",
        "about",
        "contents",
        "key-findings",
        "introduction",
        "findings",
        "responses",
        "methods",
        "appendix",
        "accessibility",
        "publication",
        "colophon",
    ]
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert len(code) == 9 and all(len(c.outputs) == 1 for c in code)


def test_the_downloads_sit_beside_the_report(report_dir, report_html):
    assert 'href="results.csv"' in report_html and f'href="{NAME}-tables.xlsx"' in report_html
    assert (report_dir / "results.csv").is_file()
    with zipfile.ZipFile(report_dir / f"{NAME}-tables.xlsx") as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_the_workbook_follows_the_analysis_function_guidance(report_dir):
    """Cover, contents and notes first; then one table per sheet after its title block, headers marked as an
    Excel table's header row, no merged cells, no empty columns, shorthand explained in the notes."""
    book = load_workbook(report_dir / f"{NAME}-tables.xlsx")
    assert book.sheetnames[:3] == ["Cover", "Contents", "Notes"]
    notes = " ".join(str(c.value) for row in book["Notes"].iter_rows() for c in row if c.value)
    assert "[c]:" in notes and "[u]:" in notes
    listed = [row[0].value for row in book["Contents"].iter_rows(min_row=4)]
    tables = book.sheetnames[3:]
    assert listed == tables and len(tables) == 25
    shorthand = set()
    for name in tables:
        sheet = book[name]
        assert not sheet.merged_cells.ranges, name
        assert len(sheet.tables) == 1, name
        (table,) = sheet.tables.values()
        first, last = table.ref.split(":")
        header_row = int(re.sub(r"\D", "", first))
        header = [c.value for c in sheet[header_row]]
        assert header[0].startswith("Answer") and all(header), name  # every column has a heading
        assert all(sheet.cell(row, 1).value for row in range(1, header_row)), name  # the title block
        for column in range(2, sheet.max_column + 1):
            values = [sheet.cell(row, column).value for row in range(header_row + 1, sheet.max_row + 1)]
            assert any(v not in (None, "", "[c]") for v in values), (name, header[column - 1])  # no empty column
            shorthand |= {v.split()[-1] for v in values if isinstance(v, str)}
        assert sheet.cell(sheet.max_row, 1).value == "Unweighted base"
        if name == tables[0]:
            assert any(h.lower().startswith("has access to the internet") for h in header)
    assert shorthand <= {"[c]", "[u]"} and "[u]" in shorthand


def test_appendix_tables_hide_small_cells_and_flag_low_bases(report_html):
    appendix = report_html[report_html.index('id="appendix"') : report_html.index('id="colophon"')]
    # Each item's table by sex, age, social grade and internet access, then by daily paper and young children.
    assert appendix.count('<table class="data">') == 2 * 25
    assert '<td class="suppressed">*</td>' in appendix or "fewer than 50" in appendix
    # Some column of the 2014 tables has a base under 100: bracketed, its figures in italics.
    assert re.search(r'<td class="low">\(\d{2}\)</td>', appendix)
    assert "\u2020" not in appendix  # the dagger marks published figures, nothing else


def test_no_public_file_carries_a_suppressed_value(report_dir, report_html):
    results = pd.read_csv(report_dir / "results.csv", dtype=str, keep_default_na=False)
    hidden = results[results.flag == "suppressed"]
    assert len(hidden) > 0
    for column in (
        "pct",
        "se",
        "ci_low",
        "ci_high",
        "deff",
        "pct_rest",
        "z_vs_rest",
        "p_vs_rest",
        "p_vs_rest_adjusted",
    ):
        assert (hidden[column] == "").all(), column
    # The full table is for analysts, outside the published folder.
    assert not list(report_dir.rglob("*unsuppressed*"))
    changes = pd.read_csv(report_dir / "changes.csv", dtype=str, keep_default_na=False)
    assert {"p_value", "p_adjusted", "significant"} <= set(changes.columns)
    workbook = load_workbook(report_dir / f"{NAME}-tables.xlsx")
    values = [c.value for sheet in workbook.worksheets for row in sheet.iter_rows() for c in row]
    assert "[c]" in values


def test_key_findings_follow_the_contents_and_repeat_each_findings_first_point(report_dir, report_html):
    import json

    notebook = nbformat.read(report_dir / f"{NAME}.ipynb", as_version=4)
    parts = list(dict.fromkeys(c.metadata["report"]["part"] for c in notebook.cells))
    assert parts[parts.index("contents") + 1] == "key-findings"
    page = report_html[report_html.index('id="key-findings"') : report_html.index('id="part-introduction"')]
    for number in range(1, 9):
        first = json.loads((report_dir / "findings" / f"F{number}.json").read_text())["bullets"][0]
        numbers = re.findall(r'data-key="([^"]+)">([^<]+)<', first)
        assert numbers and all(f'data-key="{key}">{value}<' in page for key, value in numbers), number
        assert f'href="#finding-{number}-title"' in page


def test_the_text_has_typographic_quotes_and_dashes(report_html):
    """Set once where HTML is made (typography.py): no straight quote, spaced hyphen or hyphenated number range
    is left in what a reader reads (charts and code aside)."""
    import html as html_module

    body = re.sub(r"<(svg|style|code|title)\b.*?</\1>", " ", report_html, flags=re.S)
    text = html_module.unescape(re.sub(r"<[^>]+>", " ", body.split("<body", 1)[1]))
    assert re.findall(r"\w'\w", text) == [] and '"' not in text and "'" not in text
    assert " - " not in text and re.findall(r"\d-\d", text) == []
    assert "\u2019" in text and "\u201c" in text and "\u2013" in text


def _reader_text(html: str) -> str:
    """The report's text as a reader meets it, without the colophon (where provenance belongs)."""
    html = html[: html.index('id="colophon"')]
    html = re.sub(r"<(svg|style|code)\b.*?</\1>", " ", html, flags=re.S)
    # (Not str.split(): it would take the no-break spaces apart too.)
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def test_no_build_language_reaches_the_reader(report_html):
    text = _reader_text(report_html)
    for words in (
        "SOURCE_DATE_EPOCH",
        "byte for byte",
        "checks met",
        "built from the respondent",
        "git commit",
        "SHA-256",
        "make report",
        "pipeline",
        "papermill",
        "notebook",
    ):
        assert words.lower() not in text.lower(), words


def test_each_notice_is_given_once_where_it_belongs(report_html):
    """The reconstruction in full on the cover and in Methods, one short mark in About and beside each finding;
    "in our own words" once, for the responses."""
    assert report_html.count('class="note reconstruction"') == 1 + 8
    assert report_html.count('id="methods-reconstruction"') == 1
    assert _reader_text(report_html).count("in our own words") == 1


def test_dates_do_not_break_across_lines(report_html, built_2015):
    """A date is held by no-break spaces; a range of days ("7–20 August 2015", 2015's fieldwork) by a word joiner
    after its dash; a range of two dates ("31 January – 6 February 2014") never starts a line with its dash."""
    months = "January|February|March|April|May|June|July|August|September|October|November|December"
    html_2015 = (built_2015 / "collaborative-citizen-2015.html").read_text(encoding="utf-8")
    for text in (_reader_text(report_html), _reader_text(html_2015)):
        assert not re.search(rf"\b\d{{1,2}} ({months})\b|\b({months}) \d{{4}}\b", text)
        assert re.search(rf"\d{{1,2}}\u00a0({months})\u00a0\d{{4}}", text)
        assert not re.search(rf"\d\u2013\d{{1,2}}\u00a0({months})|({months})(\u00a0\d{{4}})? \u2013", text)
    assert "31\u00a0January\u00a0\u2013 6\u00a0February\u00a02014" in _reader_text(report_html)
    assert "7\u2013\u206020\u00a0August\u00a02015" in _reader_text(html_2015)


def test_the_front_and_end_matter_are_present(report_html, built_2015):
    """Acknowledgements, the publisher and the contributors before the contents (2014, the report the essays
    are in); publication date, copyright, licence, how to cite and contact in every wave's report."""
    for heading in ("Acknowledgements", "About Collaborate", "About the contributors"):
        assert re.search(rf"<h2 [^>]*>{heading}</h2>", report_html), heading
    assert report_html.index('id="about-this-report"') < report_html.index('id="contents"')
    html_2015 = (built_2015 / "collaborative-citizen-2015.html").read_text(encoding="utf-8")
    for html, year in ((report_html, "2014"), (html_2015, "2015")):
        details = html[html.index('id="publication"') :]
        for term in ("Published", "Copyright", "Licence", "How to cite", "Contact"):
            assert f"<dt>{term}</dt>" in details, (year, term)
        assert f"The Collaborative Citizen {year}" in re.search(r"<dt>How to cite</dt><dd>(.*?)</dd>", details).group(1)


def test_every_group_the_commentary_names_has_a_column_in_the_appendix(report_dir, report_html):
    """A reader of the PDF can check each subgroup figure the commentary cites in the appendix's tables."""
    import json

    from collaborative_citizen.inputs.codebook import load_codebook

    codebook = load_codebook(ROOT / "data" / "codebook.yml")
    appendix = report_html[report_html.index('id="appendix"') : report_html.index('id="accessibility"')]
    headings = set(re.findall(r'<th scope="colgroup"[^>]*>([^<]+)</th>', appendix))
    columns = set(re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', appendix))
    config = yaml.safe_load((ROOT / "report" / "report.yml").read_text())
    spec = next(p for p in config["parts"] if p["kind"] == "appendix")
    entries = {e["key"]: e for e in spec["breakdowns"] + spec.get("more_breakdowns", [])}
    cited = set()
    for number in range(1, 9):
        claims = json.loads((report_dir / "findings" / f"F{number}.json").read_text())["subgroup_claims"]
        cited |= {(c["breakdown"], c["group"]) for c in claims}
    assert {"newspaper", "young_children"} <= {b for b, _ in cited}  # (the groups the issue names are cited)
    for breakdown, group in cited:
        entry = entries.get(breakdown)
        assert entry is not None, f"{breakdown}: cited, but not a breakdown of the appendix"
        assert entry["label"] in headings, entry["label"]
        label = (entry.get("groups") or {}).get(group, codebook[breakdown].label_of(group))
        assert label in columns, (breakdown, group, label)


def test_no_two_consecutive_bullets_share_one_frame(report_dir, built_2015):
    """A finding never reads "X is more popular among ... / X is more popular among ...": two groups
    that differ on one answer share a sentence, and consecutive bullets open differently."""
    import json

    checked = 0
    for folder in (report_dir, built_2015):
        for path in sorted((folder / "findings").glob("F*.json")):
            bullets = [re.sub(r"<[^>]+>", "", b) for b in json.loads(path.read_text())["bullets"]]
            openings = [" ".join(b.lower().split()[:3]) for b in bullets]
            for before, after in zip(openings, openings[1:]):
                assert before != after, f"{folder.name} {path.stem}: two bullets open with {before!r}"
            checked += len(bullets)
    assert checked > 30


def test_each_finding_says_the_design_difference_once(report_dir, built_2015):
    """Where a finding compares several figures with an earlier wave of another design, the difference
    in design is said once, in the comparison's bullet, not after every figure."""
    import json

    said = {}
    for folder in (report_dir, built_2015):
        for path in sorted((folder / "findings").glob("F*.json")):
            text = " ".join(re.sub(r"<[^>]+>", "", b) for b in json.loads(path.read_text())["bullets"])
            said[f"{folder.name} {path.stem}"] = text.count("differ in design")
    assert all(n <= 1 for n in said.values()), said
    assert sum(said.values()) >= 2, said  # 2015's comparisons with 2014 (a survey of Great Britain) say it
