"""Markup from every input, built into a report from a temporary copy of the project, opened in Chromium: no
script runs and no request leaves the page; and no label becomes a formula in the workbook."""

import re
import shutil
import zipfile
from pathlib import Path

import pyreadstat
import pytest
import yaml
from conftest import CHROMIUM, copy_project, make_report
from conftest import CHROMIUM_ARGS as ARGS

playwright = pytest.importorskip("playwright.sync_api")

WAVE = "2014"
NAME = f"collaborative-citizen-{WAVE}"

# Each sets window.pwned if it runs: markup that once came out live, in the codebook and a commentary template.
LABELS = {
    ("fairness", "equal_opportunity"): 'Equality</style><img src=x onerror="window.pwned=1">',
    ("fairness", "same_for_everyone"): 'Same--><img src=x onerror="window.pwned=2"><!--',
    ("fairness", "most_in_need"): "=cmd|' /C calc'!A0",
    ("working_with_services", "some_effort"): "<svg><script>window.pwned=3</script></svg>Some effort",
}
TEMPLATE_PAYLOAD = (
    '\n- <img src=x onerror="window.pwned=4"> <details open ontoggle="window.pwned=5">x</details>'
    '<style>@import "x.css";</style><a href="javascript:window.pwned=6">a link</a> end.\n'
)

# wave.yml's text fields, and the respondent file's variable and value labels (below).
PAYLOADS = {
    "title": 'Wave <script>alert("t")</script>',
    "agency": 'Ipsos <img src=x onerror="alert(1)">',
    # (A URL, even escaped as text, stops the build: the report may name no address on the network.)
    "population": 'adults <iframe src="frame.html"></iframe>',
    "mode": 'face-to-face <a href="javascript:alert(2)">interviews</a>',
}


def _active_markup(html: str) -> list[str]:
    """Elements and attributes that could run or fetch something, as a browser's parser sees the page (the
    payloads' own words may stay, escaped, as text or inside an attribute's value)."""
    from html.parser import HTMLParser

    found = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag in ("script", "iframe", "object", "embed"):
                found.append(tag)
            for name, value in attrs:
                value = (value or "").strip().lower()
                if name.startswith("on") or value.startswith("javascript:"):
                    found.append(f"{tag} {name}")
                if tag == "img" and name == "src" and not value.startswith("data:"):
                    found.append(f"img src={value}")

    Parser().feed(html)
    return found


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("hostile") / "project", (WAVE,))
    codebook_path = project / "data" / "codebook.yml"
    codebook = yaml.safe_load(codebook_path.read_text())
    for (question, key), label in LABELS.items():
        next(a for a in codebook["questions"][question]["answers"] if a["key"] == key)["label"] = label
    codebook["questions"]["fairness"]["wording"] += " <script>window.pwned=7</script>"
    codebook_path.write_text(yaml.safe_dump(codebook, sort_keys=False, allow_unicode=True))
    template = project / "report" / "findings" / "02_fairness.md.j2"
    template.write_text(template.read_text() + TEMPLATE_PAYLOAD)
    folder = project / "data" / "waves" / WAVE
    description = yaml.safe_load((folder / "wave.yml").read_text(encoding="utf-8"))
    description.update(PAYLOADS)
    (folder / "wave.yml").write_text(yaml.safe_dump(description, sort_keys=False), encoding="utf-8")
    sav = folder / description["data_file"]
    frame, meta = pyreadstat.read_sav(str(sav), apply_value_formats=False)
    labels = {name: f'{name} <script>alert("{name}")</script>' for name in frame.columns}
    values = {
        name: {code: f'<img src=x onerror="alert({int(code)})">' for code in mapping}
        for name, mapping in (meta.variable_value_labels or {}).items()
    }
    pyreadstat.write_sav(frame, str(sav), column_labels=labels, variable_value_labels=values)
    made = make_report(project, WAVE)
    assert made.returncode == 0, made.stdout + made.stderr
    return project / "report" / "build" / WAVE


@pytest.mark.skipif(
    not CHROMIUM.exists() and not shutil.which("chromium"), reason="chromium is not installed (.ci/run installs it)"
)
def test_no_script_runs_and_no_request_leaves_the_page(built):
    page_file = built / f"{NAME}.html"
    html = page_file.read_text()
    assert "Equality&lt;/style&gt;&lt;img" in html or "Equality</style>" not in html
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")), args=ARGS
        )
        view = browser.new_page()
        requests, problems = [], []
        view.on("request", lambda request: requests.append(request.url))
        view.on("console", lambda message: problems.append(message.text))
        view.on("pageerror", lambda error: problems.append(str(error)))
        view.goto(page_file.as_uri(), wait_until="load")
        view.evaluate("document.fonts.ready")
        for link in view.query_selector_all("a[href^='javascript']"):
            link.click()
        ran = view.evaluate("window.pwned")
        handlers = view.evaluate(
            "[...document.querySelectorAll('*')].filter(e => [...e.attributes].some("
            "a => a.name.startsWith('on'))).length"
        )
        browser.close()
    assert ran is None and handlers == 0
    assert requests == [page_file.as_uri()], requests
    assert problems == [], problems


def test_no_label_becomes_a_formula_in_the_workbook(built):
    with zipfile.ZipFile(built / f"{NAME}-tables.xlsx") as book:
        sheets = [book.read(n).decode() for n in book.namelist() if n.startswith("xl/worksheets/")]
        strings = book.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in book.namelist() else ""
    assert not any(re.search(r"<f[ >]", sheet) for sheet in sheets)
    assert any("=cmd|" in text for text in sheets + [strings])  # the label is there, as text


def test_the_pdf_has_no_script_or_link_to_them(built):
    pdf = (built / f"{NAME}.pdf").read_bytes()
    assert b"/JavaScript" not in pdf and b"/JS " not in pdf and b"javascript:" not in pdf.lower()


def test_markup_in_wave_yml_and_sav_labels_is_inert(built):
    """wave.yml's text fields and the respondent file's variable and value labels carry payloads; the HTML
    shows them as text (escaped) and the PDF has no script or link to them."""
    html = (built / f"{NAME}.html").read_text(encoding="utf-8")
    assert _active_markup(html) == []
    assert "Ipsos &lt;img src=x onerror=" in html  # shown as text, escaped
    assert "&lt;script&gt;" in html
    pdf = (built / f"{NAME}.pdf").read_bytes()
    assert b"/JavaScript" not in pdf and b"/JS " not in pdf and b"javascript:" not in pdf.lower()
    assert b"frame.html" not in pdf
