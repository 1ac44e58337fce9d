"""Nothing from an input becomes live markup: every part is parsed and rewritten with the report's allowlist,
and the finished page is checked against it (sanitise.py)."""

import pytest

from collaborative_citizen.publish.html import check_document, clean_fragment
from collaborative_citizen.publish.sanitise import CONTENT_SECURITY_POLICY, document_problems

# Markup a label, a template or an essay might carry, each of which once came out live in a browser.
PAYLOADS = [
    "</style><img src=x onerror=fetch('//evil.example')>",
    "--><img src=x onerror=alert(1)><!--",
    "<script>alert(1)</script>",
    "<svg><script>alert(1)</script></svg>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<p style="background:url(https://evil.example/x)" onmouseover="alert(1)">x</p>',
    '<iframe src="https://evil.example"></iframe>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<svg><animate attributeName="href" values="javascript:alert(1)"/></svg>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    '<form action="https://evil.example"><button>x</button></form>',
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_payload_survives_a_part(payload):
    cleaned = clean_fragment(f"<p>Label {payload} end</p>")
    lowered = cleaned.lower()
    for live in (
        "<script",
        "onerror",
        "onload",
        "onmouseover",
        "javascript:",
        "<iframe",
        "<img",
        "<form",
        "<base",
        "<meta",
        "<link",
        "<animate",
        "<math",
        'evil.example"',
        "url(https",
    ):
        assert live not in lowered, (payload, cleaned)


def test_the_report_s_own_markup_is_kept():
    own = (
        '<section class="finding" id="finding-1" data-finding="1"><h2 id="x" data-running="X">Title</h2>'
        '<figure class="chart"><svg viewBox="0 0 10 10" role="img" aria-label="Chart: x"><title>Chart</title>'
        '<g id="bar-1"><path d="M 0 0 L 1 1" style="fill: #123456"></path></g><text x="1" y="2">Label</text>'
        '</svg><figcaption>Figure 1</figcaption></figure><table class="data"><tr><th scope="col">A</th>'
        '<td class="num">5%</td></tr></table><p><a href="#finding-1">back</a> '
        '<a href="results.csv" class="download">results.csv</a></p></section>'
    )
    assert clean_fragment(own) == own.replace("<tr>", "<tbody><tr>").replace("</table>", "</tbody></table>")


def test_the_finished_page_is_checked_by_parsing_it():
    page = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" '
        f'content="{CONTENT_SECURITY_POLICY}"><title>x</title><style>p {{}}</style></head><body><main>'
        "<p>ok</p></main></body></html>"
    )
    assert document_problems(page) == []
    # Each of these gets past a pattern but is found by a parser.
    for bad in (
        '<p title="x" onclick="y()">a</p>',
        "<svg><foreignObject><p>x</p></foreignObject></svg>",
        '<a href="https://example.org">x</a>',
        "<object data=x></object>",
    ):
        problems = document_problems(page.replace("<p>ok</p>", bad))
        assert problems, bad
    assert "no Content-Security-Policy" in " ".join(document_problems(page.replace("Content-Security", "X")))


def test_check_document_includes_the_allowlist():
    assert any("not allowed" in p for p in check_document('<p onclick="x()">a</p>'))


def test_commentary_templates_escape_what_they_are_given(tmp_path):
    """A label or group phrase reaches a commentary template as text: autoescaped, while the number filters give
    their own markup."""
    from collaborative_citizen.findings.commentary import _commentary_templates
    from collaborative_citizen.findings.wording import Number

    (tmp_path / "t.md.j2").write_text("- {{ who | sentence }} ({{ n | pct }}) {{ label }}\n")
    env = _commentary_templates(str(tmp_path))
    text = env.get_template("t.md.j2").render(
        who="<img src=x onerror=alert(1)>", n=Number(42.0, "k"), label="Don't <b>know</b>"
    )
    assert "<img" not in text and "&lt;img src=x" in text
    assert '<span class="num" data-key="k">42%</span>' in text and "&lt;b&gt;know&lt;/b&gt;" in text
