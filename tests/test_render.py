"""The fallback renderer's handling of the Quarto features the report uses."""

from __future__ import annotations

import re
import shutil

import pytest

from analysis.errors import PipelineError
from analysis.render import cell_options, expand_includes, render_fallback, split_front_matter


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

Zie @fig-lijn en @tbl-tabel, en @sec-res.

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
from IPython.display import HTML
HTML("<table><tr><td>cel</td></tr></table>")
```

```{python}
#| output: asis
print(f"Parameter n is **{n}**.")
```

::: {.callout-note}
Let op.
:::
'''


def test_fallback_renders_captions_crossrefs_parameters_and_callouts(tmp_path):
    doc = tmp_path / "proef.qmd"
    doc.write_text(DOC, encoding="utf-8")
    html = render_fallback(doc, {"n": 7}).decode("utf-8")
    assert "Figuur 1: Een lijn" in html and "Tabel 1: Een tabel" in html
    assert 'href="#fig-lijn">Figuur 1</a>' in html and 'href="#tbl-tabel">Tabel 1</a>' in html
    assert 'href="#sec-res">Resultaat</a>' in html
    assert "Parameter n is <strong>7</strong>." in html  # injected parameter wins
    assert 'class="callout-note"' in html
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


@pytest.mark.skipif(shutil.which("quarto") is None, reason="the Quarto CLI is not installed here")
def test_quarto_renders_the_same_document(demo_run):
    from analysis.render import _render_with_quarto

    wave, _ = demo_run
    html = _render_with_quarto(wave, {"wave": wave.id, "root": str(wave.root)}).decode("utf-8")
    assert 'id="sec-werk"' in html and 'id="fig-werk-status"' in html and 'id="tbl-bijlage-werk"' in html
    assert "panel-tabset" in html and 'lang="nl"' in html
    assert not re.findall(r'(?:src|href)="https?://', html)  # self-contained, as the fallback


TABSET_DOC = '''---
title: "Tabbladen"
lang: nl
---

Zie @fig-punt en @tbl-md.

```{python}
#| output: asis
import base64
png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
print("::: {.panel-tabset}\\n\\n### Eerste\\n")
print(f'![Een punt](data:image/png;base64,{png}){{#fig-punt fig-alt="Eén punt op 42%, gemaakt uit de data"}}')
print("\\n### Tweede\\n\\n::: {#tbl-md}\\n\\n| a | b |\\n|---|---|\\n| 1 | 2 |\\n\\nEen tabel in Markdown\\n:::\\n\\n:::")
```
'''


def test_markdown_figures_tables_and_tabsets_from_an_asis_cell(tmp_path):
    doc = tmp_path / "tabs.qmd"
    doc.write_text(TABSET_DOC, encoding="utf-8")
    html = render_fallback(doc, {}).decode("utf-8")
    assert 'alt="Eén punt op 42%, gemaakt uit de data"' in html  # the generated alt, not the caption
    assert "Figuur 1: Een punt" in html and "Tabel 1: Een tabel in Markdown" in html
    assert 'href="#fig-punt">Figuur 1</a>' in html and 'href="#tbl-md">Tabel 1</a>' in html
    assert '<div class="panel-tabset">' in html and html.count('class="level3"') == 2
    assert "setAttribute(\"role\", \"tablist\")" in html  # the tab script is inlined, not linked
    assert "<script src=" not in html


def test_a_label_used_twice_is_an_error(tmp_path):
    doc = tmp_path / "dubbel.qmd"
    doc.write_text("![a](x.png){#fig-a}\n\n![b](y.png){#fig-a}\n", encoding="utf-8")
    with pytest.raises(PipelineError, match="fig-a is used twice"):
        render_fallback(doc, {})
