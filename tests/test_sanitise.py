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


def elements_as_parsed(html: str, parser: str) -> list[tuple[str, list]]:
    """Every element, with its attributes, in document order, as lexbor (the page check's) or tinyhtml5
    (WeasyPrint's) parses the page."""
    if parser == "lexbor":
        from selectolax.lexbor import LexborHTMLParser

        nodes = LexborHTMLParser(html).root.traverse(include_text=False)
        return [(n.tag, sorted((k, v or "") for k, v in n.attributes.items())) for n in nodes if n.tag != "-comment"]
    import tinyhtml5

    def name(attribute: str) -> str:  # "{http://www.w3.org/1999/xlink}href" -> "xlink:href", as lexbor has it
        space, _, local = attribute[1:].rpartition("}") if attribute.startswith("{") else ("", "", attribute)
        return f"{PREFIXES[space]}:{local}" if space else local

    return [
        (e.tag.rsplit("}", 1)[-1], sorted((name(k), v) for k, v in e.attrib.items()))
        for e in tinyhtml5.parse(html).iter()
        if isinstance(e.tag, str)
    ]


PREFIXES = {
    "http://www.w3.org/1999/xlink": "xlink",
    "http://www.w3.org/XML/1998/namespace": "xml",
    "http://www.w3.org/2000/xmlns/": "xmlns",
}


# Markup that parsers rearrange: misnested and unclosed elements, foster-parented table content, foreign content.
REARRANGED = [
    "<p>a<div>b</p>c</div>",
    "<table><tr><td>1<p>x</table><em>after",
    "<table><em>fostered</em><tr><td>1</td></tr></table>",
    "<b><i>x</b>y</i>",
    '<svg viewBox="0 0 1 1"><clipPath id="c"><rect x="0"></rect></clipPath><p>out</svg>',
    "<ul><li>a<li>b</ul><dl><dt>t<dd>d</dl>",
    "<select><option>o<script>s</script></select><textarea><b>t</b></textarea>",
    "<!-- c --><p title='&quot;x' onclick=y>q<br/>r",
]


@pytest.mark.parametrize("fragment", REARRANGED + PAYLOADS)
def test_the_page_check_parses_as_weasyprint_does(fragment):
    """The page check's parser builds the tree WeasyPrint's does, so what it allows is what the PDF is made of."""
    page = f"<!DOCTYPE html><html><head><title>x</title></head><body><main>{fragment}</main></body></html>"
    assert elements_as_parsed(page, "lexbor") == elements_as_parsed(page, "tinyhtml5")


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
