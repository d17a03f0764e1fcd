"""Text from configuration is data, never markup: the escaping functions, and the configuration
check that refuses markup in texts (naming file and key)."""

from __future__ import annotations

import re

import pytest
import yaml
from rapportage.config import load_wave
from rapportage.errors import PipelineError
from rapportage.report.markup import (
    attr,
    html_text,
    md,
    raw_html,
    sanitise_markdown,
    unsafe_markup,
)

HOSTILE = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "[klik](javascript:alert(1))",
    "![x](/etc/passwd)",
    "`<b>`{=html}",
    "```{=html}\n<script>alert(1)</script>\n```",
    "{{< env LIMESURVEY_PASSWORD >}}",
    "{{< include /etc/passwd >}}",
    "**vet** _schuin_ # kop @fig-x $x$ \\",
    "\u202eevil\u202c",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_text_is_escaped_into_exactly_itself(text):
    import pypandoc

    escaped = md(text)
    assert "\n" not in escaped and "\u202e" not in escaped
    rendered = pypandoc.convert_text(escaped, "plain", format="markdown", extra_args=["--wrap=none"]).strip()
    assert rendered == " ".join(text.replace("\u202e", "").replace("\u202c", "").split())


def test_attribute_html_and_raw_block_contexts():
    assert attr('a"b\\c') == 'a\\"b\\\\c'
    assert "{{" not in attr("{{< env X >}}") and "}}" not in attr("{{< env X >}}")
    assert html_text("<i>{{x}}</i>`") == "&lt;i&gt;&#123;&#123;x&#125;&#125;&lt;/i&gt;&#96;"
    block = raw_html("<style>#t { color: red; }</style><td>{{&lt; env X &gt;}}</td>")
    assert block.startswith("```{=html}\n<style>#t { color: red; }</style>")  # CSS keeps its braces
    assert "<td>&#123;&#123;&lt; env X &gt;&#125;&#125;</td>" in block and block.endswith("\n```")


def test_unsafe_markup_is_named():
    assert unsafe_markup("Heeft betaald werk (18–26 jaar), 5 < 6 > 4") == []
    assert unsafe_markup("Zocht <b>werk</b>") == ["an HTML tag"]
    assert unsafe_markup("![x](/etc/passwd)") == ["a Markdown image"]
    assert unsafe_markup("{{< env X >}}") == ["a Quarto shortcode"]
    assert unsafe_markup("[x](JavaScript:alert(1))") == ["a javascript: URL"]
    assert unsafe_markup("`x`{=html}") == ["a raw block"]
    assert unsafe_markup("a\u202eb") == ["a bidirectional override character"]


def _edit(path, change):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_configuration_texts_with_markup_are_refused_with_file_and_key(project):
    wave_dir = project / "surveys" / "demo-2025"
    _edit(wave_dir / "population.yaml", lambda d: d["variables"]["status"]["categories"].update(asiel="<b>Asiel</b>"))
    with pytest.raises(PipelineError) as refused:
        load_wave(project, "demo-2025")
    message = str(refused.value)
    assert message.startswith("surveys/demo-2025/population.yaml: key 'variables.status.categories.asiel' holds an HTML tag")
    assert "allow_markup_in_texts" in message and "\n" not in message
    _edit(wave_dir / "wave.yaml", lambda d: d.update(allow_markup_in_texts=True))
    assert load_wave(project, "demo-2025").population.variables["status"].categories["asiel"] == "<b>Asiel</b>"


def test_markup_in_questionnaire_texts_is_refused(project):
    path = project / "surveys" / "demo-2025" / "questionnaire.yaml"
    _edit(path, lambda d: d["items"]["toestemming"]["text"].update(nl="{{< env LIMESURVEY_PASSWORD >}}"))
    with pytest.raises(PipelineError, match=re.escape("surveys/demo-2025/questionnaire.yaml: key 'items.toestemming.text.nl' "
                                                      "holds a Quarto shortcode")):
        load_wave(project, "demo-2025")


def test_markup_in_a_translation_is_refused(project):
    path = project / "surveys" / "demo-2025" / "translations" / "fa.yaml"
    _edit(path, lambda d: d["texts"]["items.toestemming.text"].update(text="<img src=x onerror=alert(1)>"))
    with pytest.raises(PipelineError, match=re.escape("surveys/demo-2025/translations/fa.yaml: key "
                                                      "'texts.items.toestemming.text.text' holds an HTML tag")):
        load_wave(project, "demo-2025")


def test_researcher_texts_keep_the_published_subset_and_say_what_was_removed():
    import pypandoc

    text = ("# Kop\n\nMet *nadruk*, **vet** en een [bron](https://www.utrecht.nl/inburgering).\n\n"
            "- een\n- twee {{< env LIMESURVEY_PASSWORD >}}\n\n1. eerst\n\n> citaat\n\n"
            "[klik](javascript:alert(1)) ![x](/etc/passwd) <script>alert(1)</script>\n\n"
            "```{=html}\n<iframe></iframe>\n```\n\n::: {.callout-note}\nbinnen\n:::\n\n| a |\n|---|\n| 1 |\n")
    clean, removed = sanitise_markdown(text)
    assert removed == ["a Quarto shortcode (1)", "a link to javascript:alert(1) (1)", "an image (1)",
                       "raw HTML (2)", "a div (its text is kept) (1)", "a table (1)"]
    page = pypandoc.convert_text(clean, "html", format="markdown", extra_args=["--wrap=none"])
    assert "<h3" in page and "<em>nadruk</em>" in page and "<strong>vet</strong>" in page
    assert '<a href="https://www.utrecht.nl/inburgering">bron</a>' in page
    assert "<ul>" in page and "<ol" in page and "<blockquote>" in page and "binnen" in page and "klik" in page
    for gone in ("<script", "<img", "<iframe", "javascript:", "/etc/passwd", "LIMESURVEY", "<table"):
        assert gone not in page, gone
    assert sanitise_markdown("Gewoon een zin.") == ("Gewoon een zin.", [])
