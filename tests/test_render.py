"""Both renderers of the report: the fallback's handling of the Quarto features the report uses, and
the real Quarto path (where the Quarto CLI is installed) giving the same report."""

from __future__ import annotations

import re

import pytest
from rapportage.errors import PipelineError
from rapportage.stages.render import (
    cell_options,
    expand_includes,
    quarto_failure,
    quarto_warnings,
    render_fallback,
    render_report,
    render_with_quarto,
    split_front_matter,
    stable_ids,
)

from tests.conftest import needs_quarto
from tests.report_html import read_report


def test_front_matter_and_cell_options():
    meta, body = split_front_matter("---\ntitle: T\nlang: nl\n---\n\n# Kop\n")
    assert meta == {"title": "T", "lang": "nl"} and body.startswith("# Kop")
    opts, code = cell_options("#| label: fig-x\n#| fig-cap: \"Een: titel\"\nprint(1)")
    assert opts == {"label": "fig-x", "fig-cap": "Een: titel"} and code == "print(1)"


def test_includes_expand_and_a_missing_include_is_an_error(tmp_path):
    (tmp_path / "_a.qmd").write_text("deel A\n")
    assert expand_includes("voor\n{{< include _a.qmd >}}\nna", tmp_path) == "voor\ndeel A\nna"
    with pytest.raises(PipelineError, match="include '_b.qmd' does not exist"):
        expand_includes("{{< include _b.qmd >}}", tmp_path)


DOC = '''---
title: "Proef"
lang: nl
format:
  html:
    toc: true
execute:
  echo: false
---

```{python}
#| tags: [parameters]
n = 1
```

## Resultaat {#sec-res}

Zie @fig-lijn en @tbl-tabel, en [Resultaat](#sec-res).

```{python}
#| label: fig-lijn
#| fig-cap: "Een lijn"
import matplotlib.pyplot as plt
plt.plot([0, n])
plt.show()
```

```{python}
#| label: tbl-tabel
#| tbl-cap: "Een tabel"
from IPython.display import Markdown
Markdown("```{=html}\\n<table><tr><td>cel</td></tr></table>\\n```")
```

```{python}
#| output: asis
print(f"Parameter n is **{n}**.")
```

::: {.kader role="note"}
Let op.
:::
'''


def test_fallback_renders_captions_crossrefs_parameters_and_note_boxes(tmp_path):
    doc = tmp_path / "proef.qmd"
    doc.write_text(DOC, encoding="utf-8")
    html = render_fallback(doc, {"n": 7}).html.decode("utf-8")
    assert "Figuur\u00a01: Een lijn" in html and "Tabel\u00a01: Een tabel" in html
    assert 'href="#fig-lijn" class="quarto-xref">Figuur\u00a01</a>' in html and 'href="#tbl-tabel" class="quarto-xref">Tabel\u00a01</a>' in html
    assert 'href="#sec-res">Resultaat</a>' in html
    assert "Parameter n is <strong>7</strong>." in html  # injected parameter wins
    assert 'class="kader" role="note"' in html
    assert "data:image/png;base64," in html and "<td>cel</td>" in html
    assert "plt.plot" not in html  # echo: false
    assert 'id="TOC"' in html


def test_broken_cell_and_dangling_crossref_are_clear_errors(tmp_path):
    doc = tmp_path / "kapot.qmd"
    doc.write_text("```{python}\n1 / 0\n```\n", encoding="utf-8")
    with pytest.raises(PipelineError, match="kapot.qmd: a code cell failed while rendering: ZeroDivisionError"):
        render_fallback(doc, {})
    doc.write_text("Zie @fig-nergens.\n", encoding="utf-8")
    with pytest.raises(PipelineError, match="@fig-nergens points at no figure"):
        render_fallback(doc, {})


TABSET_DOC = '''---
title: "Tabbladen"
lang: nl
format:
  html:
    section-divs: true
---

Zie @fig-punt en @tbl-md.

```{python}
#| output: asis
import base64
png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
print("::: {.tabbladen}\\n\\n### Eerste\\n")
print(f'![Een punt](data:image/png;base64,{png}){{#fig-punt fig-alt="Eén punt op 42%, gemaakt uit de data"}}')
print("\\n### Tweede\\n\\n::: {#tbl-md}\\n\\n| a | b |\\n|---|---|\\n| 1 | 2 |\\n\\nEen tabel in Markdown\\n:::\\n\\n:::")
```
'''


def test_markdown_figures_tables_and_tabsets_from_an_asis_cell(tmp_path):
    doc = tmp_path / "tabs.qmd"
    doc.write_text(TABSET_DOC, encoding="utf-8")
    html = render_fallback(doc, {}).html.decode("utf-8")
    assert 'alt="Eén punt op 42%, gemaakt uit de data"' in html  # the generated alt, not the caption
    assert "Figuur\u00a01: Een punt" in html and "Tabel\u00a01: Een tabel in Markdown" in html
    assert 'href="#fig-punt" class="quarto-xref">Figuur\u00a01</a>' in html and 'href="#tbl-md" class="quarto-xref">Tabel\u00a01</a>' in html
    assert '<div class="tabbladen">' in html and html.count('class="level3"') == 2


def test_a_label_used_twice_is_an_error(tmp_path):
    doc = tmp_path / "dubbel.qmd"
    doc.write_text("![a](x.png){#fig-a}\n\n![b](y.png){#fig-a}\n", encoding="utf-8")
    with pytest.raises(PipelineError, match="fig-a is used twice"):
        render_fallback(doc, {})


def test_rich_html_outputs_and_section_references_are_refused(tmp_path):
    """What the Quarto path cannot render the same way is refused by the fallback too: a rich
    HTML output (Quarto would link require.js and jQuery from the web) and ``@sec-`` (Quarto
    writes a section number)."""
    doc = tmp_path / "rijk.qmd"
    doc.write_text('```{python}\nfrom IPython.display import HTML\nHTML("<b>vet</b>")\n```\n', encoding="utf-8")
    with pytest.raises(PipelineError, match="rich output; Quarto would then link require.js"):
        render_fallback(doc, {})
    doc.write_text("## Kop {#sec-kop}\n\nZie @sec-kop.\n", encoding="utf-8")
    with pytest.raises(PipelineError, match=r"link to the section with \[its title\]\(#sec-kop\)"):
        render_fallback(doc, {})


# --------------------------------------------------------------------------- the Quarto path
# What Quarto 1.11.0 printed, recorded from real renders (a failing cell; a dangling reference and
# a missing image), so the reading of its messages is tested also where Quarto is not installed.
QUARTO_CELL_FAILURE = """
Starting python3 kernel...[IPKernelApp] WARNING | Kernel is running over TCP without encryption.
Done

Executing 'kapot.quarto_ipynb'
  Cell 1/2: ''...Done
  Cell 2/2: ''...

An error occurred while executing the following cell:
------------------
x["b"] / 0
------------------


\x1b[31m---------------------------------------------------------------------------\x1b[39m
\x1b[31mKeyError\x1b[39m                                  Traceback (most recent call last)
\x1b[36mCell\x1b[39m\x1b[36m \x1b[39m\x1b[32mIn[2]\x1b[39m\x1b[32m, line 1\x1b[39m
\x1b[32m----> \x1b[39m\x1b[32m1\x1b[39m x[\x1b[33m"b"\x1b[39m] / \x1b[32m0\x1b[39m

\x1b[31mKeyError\x1b[39m: 'b'

WARN: Error encountered when rendering files
"""
QUARTO_WARNINGS = """
pandoc
  to: html
  output-file: waarsch.html
  embed-resources: true

WARNING (/opt/quarto/share/filters/./crossref/refs.lua:128) Unable to resolve crossref @fig-nergens
[WARNING] Could not fetch resource bestaat-niet.png
Output created: waarsch.html
"""
QUARTO_YAML_ERROR = """ERROR: YAMLException: unexpected end of the stream within a double quoted scalar (4:1)
 1 |
 2 | title: "K
-----^
Stack trace:
    at generateError (file:///opt/quarto/deno_cache/npm/js-yaml.mjs:1289:10)
    at async quarto (file:///opt/quarto/src/quarto.ts:198:5)
"""


def test_quarto_messages_are_read_into_the_cause_and_the_warnings():
    from rapportage.stages.render import ANSI

    failure = quarto_failure(ANSI.sub("", QUARTO_CELL_FAILURE))
    assert failure == '  in the cell:\n    x["b"] / 0\n  KeyError: \'b\''
    assert quarto_warnings(QUARTO_WARNINGS) == ["WARNING: Unable to resolve crossref @fig-nergens",
                                                 "[WARNING] Could not fetch resource bestaat-niet.png"]
    assert quarto_warnings(QUARTO_CELL_FAILURE) == ["WARN: Error encountered when rendering files"]
    yaml_error = quarto_failure(QUARTO_YAML_ERROR)
    assert "YAMLException: unexpected end of the stream" in yaml_error and 'title: "K' in yaml_error
    assert "generateError" not in yaml_error and "Stack trace" not in yaml_error


def test_quartos_random_ids_are_made_stable():
    uuid = "0ceaefa1-69ba-4598-a22c-09a6ac19f8ca"
    page = (f'<div id="1568c8db" class="cell"><div aria-describedby="fig-a-caption-{uuid}"><img alt="x"></div>'
            f'<figcaption id="fig-a-caption-{uuid}">Figuur 1</figcaption></div><p data-x="{uuid[::-1]}"></p>').encode()
    assert stable_ids(page) == (b'<div class="cell"><div aria-describedby="fig-a-caption"><img alt="x"></div>'
                                b'<figcaption id="fig-a-caption">Figuur 1</figcaption></div>'
                                + f'<p data-x="{uuid[::-1]}"></p>'.encode())


def test_the_fallback_report_holds_what_the_quarto_path_needs(demo_reports):
    """No rich outputs (the fallback refuses them), no external reference, one script (the tabs)."""
    page = demo_reports["fallback"].read_text(encoding="utf-8")
    assert read_report(page).scripts == ["inline"]
    assert not re.findall(r'<(?:script|link|img|iframe)\b[^>]*(?:src|href)="(?:https?:)?//', page)


@needs_quarto
def test_quarto_and_the_fallback_render_the_same_report(demo_run, demo_reports):
    """Same headings, tables cell by cell, figures and alt texts, captions, links and tabs; no
    external reference; and the same bytes from the same inputs. (The pixels at 1280 and 390 px
    are compared in test_browser.py.)"""
    quarto, fallback = (read_report(demo_reports[r].read_text(encoding="utf-8")) for r in ("quarto", "fallback"))
    for part in ("headings", "tables", "alts", "captions", "links", "tabsets", "scripts"):
        assert getattr(quarto, part) == getattr(fallback, part), part
    assert len(quarto.tables) >= 18 and len(quarto.alts) >= 36 and len(quarto.tabsets) == 8
    page = demo_reports["quarto"].read_text(encoding="utf-8")
    assert not re.findall(r'<(?:script|link|img|iframe)\b[^>]*(?:src|href)="(?:https?:)?//', page)
    wave, _ = demo_run
    before = sorted(p.relative_to(wave.root) for p in wave.root.rglob("*") if "_output" not in p.parts)
    again = render_report(wave)
    assert again.renderer == "quarto" and again.html == demo_reports["quarto"].read_bytes()
    assert sorted(p.relative_to(wave.root) for p in wave.root.rglob("*") if "_output" not in p.parts) == before


@needs_quarto
def test_quarto_failures_name_the_cause_and_warnings_are_kept(tmp_path):
    doc = tmp_path / "kapot.qmd"
    doc.write_text('---\ntitle: K\njupyter: python3\n---\n\n```{python}\nx = {"a": 1}\n```\n\n'
                   '```{python}\nx["b"] / 0\n```\n', encoding="utf-8")
    with pytest.raises(PipelineError) as failed:
        render_with_quarto(doc, {})
    assert str(failed.value).endswith('failed (exit code 1):\n  in the cell:\n    x["b"] / 0\n  KeyError: \'b\'')
    doc.write_text("---\ntitle: W\nformat:\n  html:\n    embed-resources: true\n---\n\n![plaatje](weg.png)\n",
                   encoding="utf-8")
    assert render_with_quarto(doc, {}).warnings == ("[WARNING] Could not fetch resource weg.png",)
    doc.write_text("Zie @fig-nergens.\n", encoding="utf-8")
    with pytest.raises(PipelineError, match="@fig-nergens points at no figure"):
        render_with_quarto(doc, {})


@needs_quarto
def test_parameters_and_title_reach_the_quarto_page_as_text(tmp_path):
    """A wave named 2026 reached the report as the number 2026 (Quarto reads -P values as YAML),
    and a title from wave.yaml is the page's title, as plain text on both render paths."""
    doc = tmp_path / "p.qmd"
    doc.write_text('---\ntitle: "Standaard"\nformat:\n  html:\n    minimal: true\njupyter: python3\n---\n\n'
                   '```{python}\n#| tags: [parameters]\nwave = "x"\n```\n\n```{python}\n#| output: asis\n'
                   'print(f"Meting {type(wave).__name__} {wave}")\n```\n', encoding="utf-8")
    title = "Rapportage 2026: *vet* <b>x</b> {{< env HOME >}}"
    for page in (render_with_quarto(doc, {"wave": "2026"}, metadata={"title": title}).html.decode("utf-8"),
                 render_fallback(doc, {"wave": "2026"}, {"title": title}).html.decode("utf-8")):
        assert "Meting str 2026" in page
        assert re.search(r"<title>Rapportage 2026: \*vet\* &lt;b&gt;x&lt;/b&gt; \{\u200b?\{&lt; env HOME &gt;\}\u200b?\}</title>",
                         page), re.search(r"<title>.*</title>", page).group(0)


def test_a_quarto_older_than_1_4_is_refused_with_the_way_out(tmp_path):
    old = tmp_path / "quarto"
    old.write_text("#!/bin/sh\necho 1.3.450\n", encoding="utf-8")
    old.chmod(0o755)
    with pytest.raises(PipelineError, match=r"version 1\.3\.450; the report needs Quarto 1\.4 or newer: update it, "
                                            r"or take it off the PATH"):
        render_with_quarto(tmp_path / "rapportage.qmd", {}, str(old))


def test_the_page_declares_fonts_for_ethiopic_and_arabic_script_and_loads_none(demo_reports):
    """Issue #17, 5: the language table names languages in their own script (ትግርኛ, فارسی); the
    page's font stack names fonts that cover the Ethiopic and the Arabic script on common systems,
    and loads no font from anywhere (no @font-face, no url())."""
    for page in (path.read_text(encoding="utf-8") for path in demo_reports.values()):
        stack = re.search(r"body\s*\{\s*font-family:([^;]+);", page)
        assert stack, "the body's font stack is not on the page"
        fonts = stack.group(1)
        assert "Noto Sans Ethiopic" in fonts and "Nyala" in fonts  # Ethiopic: Linux, Windows
        assert "Noto Naskh Arabic" in fonts and "Tahoma" in fonts  # Arabic script: Linux, Windows
        assert "@font-face" not in page and not re.search(r"url\(\s*['\"]?(?:https?:)?//", page)
        assert "ትግርኛ" in page and "فارسی" in page
