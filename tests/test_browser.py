"""The rendered report in a real browser (headless Chromium through Playwright): offline,
without console errors, every image decoded, and no serious or critical WCAG 2.1 AA
violations found by axe-core. Skipped where Chromium, Playwright or axe-core are missing
(.ci/run installs them)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO / "tests" / "_artifacts"


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


def test_report_opens_offline_without_errors_and_passes_axe(browser, demo_run):
    if not AXE.is_file():
        pytest.skip("axe-core is not installed (npm install)")
    _, results = demo_run
    html = results[-1].outputs[0]
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    outside, console_errors = [], []

    def route(r):
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console_errors.append(str(e)))
    page.goto(html.as_uri(), wait_until="load")
    assert outside == [], outside
    images = page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth, e.alt])")
    assert len(images) >= 6 and all(ok and width > 0 and alt for ok, width, alt in images)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})")
    assert len(result["passes"]) > 10  # axe really ran its rules
    serious = [(v["id"], v["impact"], len(v["nodes"])) for v in result["violations"] if v["impact"] in ("serious", "critical")]
    print("axe:", len(result["passes"]), "rules passed; violations:", [(v["id"], v["impact"]) for v in result["violations"]])
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=False)
    assert console_errors == [], console_errors
    assert serious == [], serious


def test_tabsets_switch_by_mouse_and_keyboard(browser, demo_run):
    _, results = demo_run
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
    page.goto(results[-1].outputs[0].as_uri(), wait_until="load")
    tabs = page.locator("#sec-werk [role=tab]")
    panels = page.locator("#sec-werk [role=tabpanel]")
    assert tabs.count() == panels.count() == 6
    assert [panels.nth(i).is_visible() for i in range(6)] == [True] + [False] * 5
    tabs.nth(2).click()
    assert tabs.nth(2).get_attribute("aria-selected") == "true" and tabs.nth(0).get_attribute("aria-selected") == "false"
    assert [panels.nth(i).is_visible() for i in range(6)] == [False, False, True, False, False, False]
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.textContent") == tabs.nth(3).text_content()
    assert panels.nth(3).is_visible() and not panels.nth(2).is_visible()
    image = panels.nth(3).locator("img")
    assert image.evaluate("e => e.complete && e.naturalWidth > 0") and "%" in image.get_attribute("alt")
    page.keyboard.press("End")
    assert tabs.nth(5).get_attribute("aria-selected") == "true"
    page.locator("#sec-werk").scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#sec-werk").screenshot(path=str(ARTIFACTS / "report-werk-tabs.png"))
    page.close()
