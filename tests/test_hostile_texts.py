"""Hostile configuration texts reach the published page as text, never as code.

Every text of wave.yaml, population.yaml and questionnaire.yaml that can reach the report is
replaced by one of the payloads below, and the researcher's own text (tekst/*.md) holds them all (the configuration check is switched off with its escape
hatch, so that the escaping alone is tested), the whole pipeline runs, and the page must hold no
script but its own tab script, no ``javascript:`` URL, no event-handler attribute, nothing of a
local file or an environment variable, and must open in a browser without a dialog or an error.
With the Quarto CLI on the PATH the same runs through Quarto.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from rapportage.config import load_wave
from rapportage.stages import pipeline

from tests.conftest import copy_project, run_earlier_waves

pytestmark = pytest.mark.slow  # both tests read one whole pipeline run of their own

TEXT_KEYS = {"title", "label", "text", "name", "native", "plural", "categories", "help", "source"}
ENV_CANARY = "RAPPORTAGE_TEST_CANARY"


def payloads(canary_file: Path) -> list[str]:
    return [
        "<script>alert('script')</script>",
        '"><img src=x onerror=alert(1)>',
        "' onmouseover='alert(1)",
        "[klik hier](javascript:alert(1))",
        "<a href=\"javascript:alert(1)\">x</a>",
        f"![x]({canary_file})",
        f"<img src=\"{canary_file}\">",
        "`<script>alert(1)</script>`{=html}",
        "```{=html}\n<script>alert(1)</script>\n```",
        f"{{{{< env {ENV_CANARY} >}}}}",
        f"{{{{< include {canary_file} >}}}}",
        "**vet** _schuin_ # kop @fig-x @sec-werk $x^2$ \\ {#id .klasse}",
        "<!-- verborgen --> <iframe src=\"data:text/html,<script>alert(1)</script>\"></iframe>",
        "\u202eteksT\u202c en \u2066isolaat\u2069",
        "kosten $$\\frac{1}{0}$$ en \\onbekend$ 5$",  # not a formula: matplotlib must not parse it
        "lang " * 400,  # 2,000 characters
    ]


def _hostile_project(root: Path, canary_file: Path) -> Path:
    copy_project(root)
    texts = payloads(canary_file)
    counter = iter(range(10**6))

    def replace(node, key_path: tuple[str, ...]):
        if isinstance(node, dict):
            return {k: replace(v, (*key_path, str(k))) for k, v in node.items()}
        if isinstance(node, list):
            return [replace(v, key_path) for v in node]
        if isinstance(node, str) and TEXT_KEYS & set(key_path):
            i = next(counter)
            return f"{texts[i % len(texts)]} {i}"  # unique: labels must differ
        return node

    wave_dir = root / "surveys" / "demo-2025"
    for name in ("wave.yaml", "population.yaml", "questionnaire.yaml"):
        path = wave_dir / name
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data = replace(data, ())
        if name == "wave.yaml":
            data["allow_markup_in_texts"] = True
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (wave_dir / "tekst" / "over-deze-meting.md").write_text("\n\n".join(texts), encoding="utf-8")
    return root


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scripts: list[str] = []
        self.handlers: list[tuple[str, str]] = []
        self.urls: list[str] = []
        self.text: list[str] = []  # what a reader sees, and the alt texts a screen reader reads
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.handlers.append((tag, name))
            if name.lower() in ("href", "src", "action", "formaction", "data", "srcdoc"):
                self.urls.append(value or "")
            if name == "alt":
                self.text.append(value or "")
        if tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory) -> tuple[Path, str, str, tuple[str, ...]]:
    folder = tmp_path_factory.mktemp("hostile")
    canary_file = folder / "geheim.txt"
    file_canary = "FILECANARY-7f3a9c"
    canary_file.write_text(f"LIMESURVEY_PASSWORD={file_canary}\n", encoding="utf-8")
    root = _hostile_project(folder / "project", canary_file)
    env_canary = "ENVCANARY-51e0bd"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_CANARY, env_canary)
        wave = load_wave(root, "demo-2025")
        run_earlier_waves(wave)
        results = [stage(wave, False) for stage in pipeline.STAGES.values()]
    return results[-1].outputs[0], file_canary, env_canary, results[-1].warnings


def test_hostile_texts_stay_text(hostile_report):
    report, file_canary, env_canary, warnings = hostile_report
    page = report.read_text(encoding="utf-8")
    assert [w for w in warnings if w.startswith("surveys/demo-2025/tekst/over-deze-meting.md: left out of the report: ")]
    elements = _Elements()
    elements.feed(page)
    tab_script = Path(__file__).resolve().parents[1] / "reports" / "_tabsets.html"
    own = re.search(r"<script>\n(.*)</script>", tab_script.read_text(encoding="utf-8"), re.S).group(1)
    assert [s.strip() for s in elements.scripts] == [own.strip()]
    assert elements.handlers == []
    assert not [u for u in elements.urls if re.match(r"\s*(javascript|vbscript|data:text/html)", u, re.I)]
    assert file_canary not in page and env_canary not in page
    assert "<iframe" not in page and "<embed" not in page and "<object" not in page
    assert "\u202e" not in page
    # every payload shows as the text it is (a shortcode as its text, not its value), in the page and alt texts
    seen = " ".join(" ".join(elements.text).replace("\u200b", "").split())
    for shortcode in (f"{{{{< env {ENV_CANARY} >}}}}", "{{< include "):
        assert seen.count(shortcode) >= 5, shortcode
    for payload in ("<script>alert('script')</script>", '"><img src=x onerror=alert(1)>', "[klik hier](javascript:alert(1))",
                    "**vet** _schuin_ # kop @fig-x @sec-werk $x^2$ \\ {#id .klasse}", "lang " * 50):
        assert seen.count(payload.strip()) >= 5, payload
    assert 'http-equiv="Content-Security-Policy"' in page


def test_hostile_page_opens_without_dialog_or_error(hostile_report):
    playwright = pytest.importorskip("playwright.sync_api")
    from tests.test_browser import CHROMIUM, LAUNCH_ARGS

    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    report, *_ = hostile_report
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        dialogs, errors, outside = [], [], []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
                   else (outside.append(r.request.url), r.abort()))
        page.goto(report.as_uri(), wait_until="load")
        for link in page.locator("a").all()[:50]:  # a click on any link runs nothing either
            if link.is_visible():
                link.click(no_wait_after=True, timeout=2000)
        page.mouse.move(400, 400)
        page.wait_for_timeout(500)  # a link to the codebook beside the report may be opening it
        again = browser.new_page(viewport={"width": 1200, "height": 900})
        again.on("pageerror", lambda e: errors.append(str(e)))
        again.goto(report.as_uri(), wait_until="load")
        assert again.locator("[role=tab]").count() >= 6  # the page's own script does run
        browser.close()
    assert dialogs == [] and errors == [] and outside == []
