"""What the published HTML may contain: an allowlist of elements and attributes, applied by parsing.

Every part of the report is parsed and written out again by nh3 (the Rust sanitiser ammonia, which parses as a
browser does) keeping only the elements and attributes below, so whatever an input carries (a label that closes
a <style> element or a comment, an event handler in a commentary template) is either text or gone. The finished
document is then parsed once more, with the HTML5 parser WeasyPrint uses, and checked against the same lists:
anything else fails the build. The page's Content-Security-Policy forbids scripts and outside requests as well,
so a case missed by both would still not run."""

from __future__ import annotations

import re

import nh3

# The report's own vocabulary: what its templates, notebooks and charts write, and nothing else.
HTML_TAGS = {
    "a",
    "abbr",
    "article",
    "aside",
    "blockquote",
    "br",
    "caption",
    "code",
    "col",
    "colgroup",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "i",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "section",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
    "b",
    "q",
    "cite",
}
# matplotlib's SVG: shapes, text and clip paths (its one <style> rule is in report.css).
SVG_TAGS = {
    "svg",
    "g",
    "defs",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "clipPath",
    "title",
    "desc",
    "use",
}
TAGS = HTML_TAGS | SVG_TAGS
GLOBAL_ATTRIBUTES = {
    "class",
    "id",
    "lang",
    "title",
    "role",
    "aria-label",
    "aria-labelledby",
    "aria-describedby",
    "aria-hidden",
    "tabindex",
    "data-running",
    "data-cite",
    "data-key",
    "data-finding",
    "style",
}
ATTRIBUTES = {
    "a": {"href"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "col": {"span"},
    "ol": {"start"},
    "details": {"open"},
    "svg": {"viewBox", "version", "width", "height", "preserveAspectRatio"},
    **{
        tag: {
            "x",
            "y",
            "width",
            "height",
            "d",
            "transform",
            "clip-path",
            "fill",
            "stroke",
            "stroke-width",
            "x1",
            "x2",
            "y1",
            "y2",
            "cx",
            "cy",
            "r",
            "rx",
            "ry",
            "points",
            "href",
            "dx",
            "dy",
            "text-anchor",
            "font-size",
            "opacity",
        }
        for tag in SVG_TAGS - {"svg", "title", "desc"}
    },
}
# Where a link may lead: a heading of the report or a download beside it; nothing is ever loaded.
LOCAL_LINK = re.compile(r"^(#[\w.:-]*|[\w][\w.-]*\.(csv|xlsx|pdf|html))$")


# Inline styles and SVG paint may only refer to the page itself: no url() outside "#id", no escapes, no imports.
_STYLE_HAZARD = re.compile(r"url\((?!#)|expression|javascript:|@import|\\|behavior|-moz-binding", re.I)
_SPACE = re.compile(r"[\s\x00-\x20\x7f]+")


def safe_attribute(name: str, value: str) -> bool:
    if name == "href":
        return bool(LOCAL_LINK.match(value))  # a web address, a script or data URL is dropped
    if name in ("style", "clip-path", "fill", "stroke"):
        return not _STYLE_HAZARD.search(_SPACE.sub("", value))
    return True


def _attribute_filter(tag: str, name: str, value: str) -> str | None:
    return value if safe_attribute(name, value) else None


def sanitise_fragment(html: str) -> str:
    """The fragment parsed and written out with only the report's own elements and attributes."""
    return nh3.clean(
        html,
        tags=TAGS,
        attributes={"*": GLOBAL_ATTRIBUTES, **ATTRIBUTES},
        attribute_filter=_attribute_filter,
        clean_content_tags={"script", "style"},
        strip_comments=True,
        link_rel=None,
        url_schemes=set(),
        generic_attribute_prefixes=set(),
    )


# The document around the parts: nbconvert's page and the report's head.
DOCUMENT_TAGS = TAGS | {"html", "head", "body", "meta", "title", "style"}
DOCUMENT_ATTRIBUTES = {"html": {"lang"}, "meta": {"charset", "name", "content", "http-equiv"}}
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:; base-uri 'none'; form-action 'none'"
)


def document_problems(html: str) -> list[str]:
    """Anything in the finished page outside the allowlists, found by parsing it as browsers and WeasyPrint do
    (lexbor and tinyhtml5 both follow the WHATWG parsing rules; tests/test_sanitise.py holds them to one tree)."""
    from selectolax.lexbor import LexborHTMLParser

    problems = []
    document = LexborHTMLParser(html)
    policy = False
    styles_seen = 0
    for element in document.root.traverse(include_text=False):
        tag = element.tag
        if tag == "-comment":
            continue
        if tag not in DOCUMENT_TAGS:
            problems.append(f"element <{tag}> is not allowed in the report")
            continue
        if tag == "style" and styles_seen:
            problems.append("a second <style> element (only the report's own style sheet, in the head, is allowed)")
        styles_seen += tag == "style"
        allowed = GLOBAL_ATTRIBUTES | ATTRIBUTES.get(tag, set()) | DOCUMENT_ATTRIBUTES.get(tag, set())
        # (A namespaced attribute keeps its prefix, "xlink:href", and is in no allowlist.)
        for name, value in element.attributes.items():
            value = value or ""
            if name not in allowed:
                problems.append(f"attribute {name}= on <{tag}> is not allowed in the report")
            elif not safe_attribute(name, value):
                problems.append(
                    f"{name}={value[:60]!r} on <{tag}> is not allowed (links lead only to the report's "
                    "own headings and downloads; styles load nothing)"
                )
            elif name == "http-equiv":
                policy = policy or (
                    value.lower() == "content-security-policy"
                    and element.attributes.get("content") == CONTENT_SECURITY_POLICY
                )
    if not policy:
        problems.append("the page has no Content-Security-Policy forbidding scripts and outside requests")
    return problems
