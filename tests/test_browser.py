"""The HTML report in a real browser: Debian's chromium driven by Playwright, the file opened from disk with
every request that would leave it refused."""

import os
import shutil
from pathlib import Path

import pytest
from conftest import CHROMIUM, NAME
from conftest import CHROMIUM_ARGS as ARGS

playwright = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not shutil.which("chromium"), reason="chromium is not installed (.ci/run installs it)"
)


@pytest.fixture(scope="module")
def page(report_dir, tmp_path_factory):
    """The report loaded, with what it asked of the network and what it logged."""
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")), args=ARGS
        )
        view = browser.new_page(viewport={"width": 1280, "height": 900})
        view.outside, view.problems = [], []

        def route(request_route):
            if request_route.request.url.startswith("file://"):
                request_route.continue_()
            else:
                view.outside.append(request_route.request.url)
                request_route.abort()

        view.route("**/*", route)
        view.on("console", lambda message: message.type == "error" and view.problems.append(message.text))
        view.on("pageerror", lambda error: view.problems.append(str(error)))
        view.on("requestfailed", lambda request: view.problems.append(f"failed: {request.url}"))
        view.goto((report_dir / f"{NAME}.html").as_uri(), wait_until="load")
        view.evaluate("document.fonts.ready")
        view.screenshot(path=str(tmp_path_factory.mktemp("screenshots") / "report.png"))
        yield view
        browser.close()


def test_nothing_leaves_the_file_and_nothing_fails(page):
    assert page.outside == []
    assert page.problems == []


def test_all_eight_figures_render(page):
    sizes = page.evaluate("""() => [...document.querySelectorAll('figure.chart')].map(f => {
        const svg = f.querySelector('svg'); const box = svg.getBoundingClientRect();
        return {id: f.id, width: box.width, height: box.height, alt: svg.getAttribute('aria-label') || '',
                caption: (f.querySelector('figcaption') || {}).textContent || ''};
    })""")
    assert [s["id"] for s in sizes] == [f"figure-{n}" for n in range(1, 9)]
    for n, size in enumerate(sizes, 1):
        assert size["width"] > 200 and size["height"] > 50, size
        assert len(size["alt"]) > 20 and size["caption"].startswith(f"Figure {n}")


def test_every_contents_link_lands_on_a_heading(page):
    links = page.evaluate("() => [...document.querySelectorAll('nav.toc a')].map(a => a.getAttribute('href'))")
    assert len(links) >= 12
    for href in links:
        page.click(f'nav.toc a[href="{href}"]')
        landed = page.evaluate(
            """href => {
            const target = document.getElementById(href.slice(1));
            if (!target) return null;
            return {tag: target.tagName, top: target.getBoundingClientRect().top, hash: location.hash,
                    height: window.innerHeight};
        }""",
            href,
        )
        assert landed and landed["tag"] in ("H1", "H2"), href
        # At the top of the window, or lower when the page ends before the heading can scroll that far.
        assert landed["hash"] == href and -2 < landed["top"] < landed["height"] / 2, landed


def test_the_embedded_fonts_are_used(page):
    faces = page.evaluate("() => [...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)")
    families = {face.strip('"') for face in faces}
    assert {"Report Serif", "Report Sans"} <= families, faces
    chart_text = page.evaluate("() => getComputedStyle(document.querySelector('figure svg text')).fontFamily")
    assert chart_text.startswith('"Report Sans"'), chart_text  # the charts' text too
    assert page.evaluate("() => document.documentElement.lang") == "en-GB"


def test_a_chart_file_on_its_own_draws_its_text_in_the_font_it_carries(page, report_dir):
    chart = sorted((report_dir.parents[2] / "figures" / report_dir.name).glob("figure-*.svg"))[0]
    context = page.context.browser.new_context()
    view = context.new_page()
    try:
        view.goto(chart.as_uri(), wait_until="load")
        view.evaluate("document.fonts.ready")
        loaded = view.evaluate("() => [...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)")
        texts = view.evaluate("() => document.querySelectorAll('text').length")
    finally:
        context.close()
    assert texts > 5
    assert {face.strip('"') for face in loaded} == {"Report Sans"}, loaded


# axe-core, installed from npm by `make test` (.cache/axe) or given by AXE_CORE_JS.
AXE = Path(
    os.environ.get("AXE_CORE_JS")
    or Path(__file__).resolve().parent.parent / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
)
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def _axe(browser, path: Path, width: int) -> dict:
    """axe-core's WCAG 2.2 AA and best-practice rules on the page at this width."""
    assert AXE.is_file(), f"{AXE}: axe-core is missing (make test installs it with npm)"
    # The page forbids scripts: the test's own script is let in by the browser, not by the page.
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    view = context.new_page()
    view.goto(path.as_uri(), wait_until="load")
    view.evaluate("document.fonts.ready")
    view.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = view.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(r => ({
        violations: r.violations.map(v => [v.id, v.nodes.length, v.nodes[0].target[0]]),
        incomplete: r.incomplete.flatMap(v => v.nodes.map(n => [v.id, n.target[0], n.html.slice(0, 60),
            !!document.querySelector(n.target[0]) &&
            !!document.querySelector(n.target[0]).closest('svg, .table-scroll')]))}))""",
        WCAG,
    )
    found["scroll_width"] = view.evaluate("document.documentElement.scrollWidth")
    context.close()
    return found


@pytest.mark.parametrize("width", [1280, 320])
def test_axe_finds_no_violation_and_the_page_reflows(page, report_dir, width):
    found = _axe(page.context.browser, report_dir / f"{NAME}.html", width)
    assert found["violations"] == []
    assert found["scroll_width"] <= width  # no page-level horizontal scroll
    # What axe cannot decide is only the charts' text (drawn over shapes) and, on a narrow screen, the cells a
    # wide table's own scrolling region hides at the moment of the check.
    undecided = [i for i in found["incomplete"] if not i[3]]
    assert undecided == []


@pytest.mark.parametrize("width", [1280, 320])
def test_the_2015_report_has_no_axe_violation(page, built_2015, width):
    found = _axe(page.context.browser, built_2015 / "collaborative-citizen-2015.html", width)
    assert found["violations"] == [] and found["scroll_width"] <= width


CHART_TEXT_PX = """() => [...document.querySelectorAll('figure.chart svg')].flatMap(svg => {
    const box = svg.getBoundingClientRect();
    if (!box.width) return [];  // the layout of the chart this width does not show
    const scale = box.width / svg.viewBox.baseVal.width;
    const sizes = [...svg.querySelectorAll('text')].map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
    return [[svg.closest('figure').id, svg.getAttribute('class') || 'page', Math.min(...sizes)]];
})"""


@pytest.mark.parametrize("width", [390, 1280])
def test_chart_text_is_readable_on_a_phone_and_a_desktop(page, report_dir, width):
    """At 390 px wide (a phone held upright) each chart is shown in its narrow layout, whose smallest text is
    about 12 CSS px; at 1280 px the page's layout, as large. One layout of each chart is shown at a time."""
    context = page.context.browser.new_context(viewport={"width": width, "height": 900})
    view = context.new_page()
    try:
        view.goto((report_dir / f"{NAME}.html").as_uri(), wait_until="load")
        shown = view.evaluate(CHART_TEXT_PX)
    finally:
        context.close()
    assert [figure for figure, _, _ in shown] == [f"figure-{n}" for n in range(1, 9)]
    assert {layout for _, layout, _ in shown} == {"narrow" if width < 640 else "page"}
    for figure, _, smallest in shown:
        assert smallest >= 11.9, f"{figure}: chart text {smallest:.1f} px at {width} px wide"
