"""Text from configuration and data as data, never as markup, in the report's Markdown and HTML.

Labels, question wordings, answer options, group names and titles come from files many hands
touch (and from translators' spreadsheets). The report's helpers put every such text into the
page through one of these functions, each for the context it lands in:

- :func:`md` — running Markdown text: every ASCII punctuation character is backslash-escaped, so
  no emphasis, link, image (which pandoc would read from disk and embed), raw block or HTML tag,
  attribute, cross-reference or Quarto shortcode can start in it;
- :func:`attr` — the value of a double-quoted Markdown attribute (a figure's ``fig-alt``):
  quotes and backslashes escaped, and ``{{`` / ``}}`` broken by a zero-width space, because
  Quarto expands shortcodes inside attribute values whatever their escaping;
- :func:`html_text` — text inside HTML that goes into the page as a raw block: HTML-escaped, and
  braces, backticks and ``@`` as character references, because Quarto expands shortcodes inside
  raw blocks too and a backtick fence inside would end the block;
- :func:`raw_html` — an HTML fragment (from great_tables, which HTML-escapes the cell texts) as
  a raw block: braces and backticks outside ``<style>`` as character references, inside a fence
  no content can close.

All of them drop control characters and the bidirectional embedding, override and isolate
characters (U+202A–U+202E, U+2066–U+2069) that can make text read differently from what it is;
right-to-left scripts need none of them, and the joiners that Persian needs (U+200C, U+200D)
are kept. A line break becomes a space: a label is one line.

``unsafe_markup`` names what a configuration text holds that these functions would neutralise,
so that ``validate`` can refuse it with the file and key (see ``rapportage.config``).
"""

from __future__ import annotations

import html
import re
import unicodedata

PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
ZWSP = "\u200b"


def plain(text: object) -> str:
    """One line of text without control, bidirectional-override or isolate characters."""
    text = str(text).translate(BIDI_CONTROLS)
    text = re.sub(r"[\r\n\t\v\f\u0085\u2028\u2029]+", " ", text)
    return "".join(c for c in text if unicodedata.category(c) != "Cc")


def md(text: object) -> str:
    """Plain text as Pandoc Markdown inline content that renders as exactly that text.

    >>> md("**vet** [x](javascript:alert(1))")
    '\\\\*\\\\*vet\\\\*\\\\* \\\\[x\\\\]\\\\(javascript\\\\:alert\\\\(1\\\\)\\\\)'
    """
    return PUNCTUATION.sub(r"\\\1", plain(text))


def attr(text: object) -> str:
    """Plain text as the value of a double-quoted Markdown attribute (``fig-alt="…"``).

    >>> attr('a "b" {{< env X >}}')
    'a \\\\"b\\\\" {\\u200b{< env X >}\\u200b}'
    """
    text = plain(text).replace("\\", "\\\\").replace('"', '\\"')
    return text.replace("{{", "{" + ZWSP + "{").replace("}}", "}" + ZWSP + "}")


def html_text(text: object) -> str:
    """Plain text inside HTML of a raw block.

    >>> html_text('<script>x</script> {{< env X >}} ```')
    '&lt;script&gt;x&lt;/script&gt; &#123;&#123;&lt; env X &gt;&#125;&#125; &#96;&#96;&#96;'
    """
    return _neutral(html.escape(plain(text), quote=True))


def _neutral(markup: str) -> str:
    return markup.replace("{", "&#123;").replace("}", "&#125;").replace("`", "&#96;").replace("@", "&#64;")


def raw_html(markup: str) -> str:
    """An HTML fragment as a raw block of Markdown that passes through both renderers untouched.

    The fragment's own HTML is trusted (it comes from code); its texts must already be escaped
    (great_tables escapes cell and label texts); bidirectional controls are dropped here.
    """
    parts = re.split(r"(<style\b.*?</style>)", markup.translate(BIDI_CONTROLS), flags=re.S | re.I)
    safe = "".join(part if part.lower().startswith("<style") else _neutral(part) for part in parts)
    longest = max((len(run) for run in re.findall(r"`+", safe)), default=0)  # only inside <style>, if at all
    fence = "`" * max(3, longest + 1)
    return f"{fence}{{=html}}\n{safe}\n{fence}"


# --------------------------------------------------------------------------- checks
UNSAFE = [
    (re.compile(r"</?[A-Za-z!][^<>]*>"), "an HTML tag"),
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), "a Markdown image"),
    (re.compile(r"`\{=|\{=[A-Za-z]+\}|^\s*(```|~~~)", re.M), "a raw block"),
    (re.compile(r"\{\{[<%]"), "a Quarto shortcode"),
    (re.compile(r"(?i)\b(java|vb)script\s*:|\bdata\s*:\s*text/html"), "a javascript: URL"),
    (re.compile("[\u202a-\u202e\u2066-\u2069]"), "a bidirectional override character"),
]


def unsafe_markup(text: str) -> list[str]:
    """What ``text`` holds that is markup rather than wording ([] when nothing)."""
    return [what for pattern, what in UNSAFE if pattern.search(text)]


# --------------------------------------------------------------------------- researcher texts
SHORTCODE = re.compile(r"\{\{[<%].*?[>%]\}\}", re.S)
KEPT_INLINES = {"Emph", "Strong"}  # other emphasis (underline, superscript, …) becomes Emph
REMOVED = {"RawBlock": "raw HTML", "RawInline": "raw HTML", "Image": "an image", "Figure": "an image",
           "Table": "a table", "CodeBlock": "a code block", "Note": "a footnote", "Cite": "a citation",
           "Math": "a formula", "Div": "a div (its text is kept)", "Span": "a span (its text is kept)"}


def sanitise_markdown(text: str) -> tuple[str, list[str]]:
    """A researcher-written text (``surveys/<wave>/tekst/*.md``) reduced to what the report
    publishes: paragraphs, headings, emphasis, lists, quotations and links to ``http(s)://``.
    Everything else is removed: raw HTML, images (pandoc would embed a local file), tables,
    footnotes, formulas, attributes, shortcodes, links elsewhere (their text is kept).

    Returns the Markdown (written by pandoc, so every character is escaped as needed) and what
    was removed, one phrase each ("raw HTML (2)", "a link to javascript:… (1)").
    """
    import json
    from collections import Counter

    import pypandoc

    removed: Counter[str] = Counter()
    text, n = SHORTCODE.subn("", plain_lines(text))
    if n:
        removed["a Quarto shortcode"] += n
    ast = json.loads(pypandoc.convert_text(text, "json", format="markdown"))

    def inlines(items: list) -> list:
        out = []
        for item in items:
            kind = item["t"]
            if kind in ("Str", "Space", "SoftBreak", "LineBreak"):
                out.append(item)
            elif kind == "Code":  # shown as typed, without attributes
                out.append({"t": "Code", "c": [["", [], []], item["c"][1]]})
            elif kind in ("Emph", "Strong", "Underline", "Strikeout", "SmallCaps", "Superscript", "Subscript"):
                out.append({"t": kind if kind in KEPT_INLINES else "Emph", "c": inlines(item["c"])})
            elif kind == "Quoted":
                out.append({"t": "Quoted", "c": [item["c"][0], inlines(item["c"][1])]})
            elif kind == "Link":
                target = item["c"][2][0]
                if re.match(r"https?://[^\s]+$", target, re.I):
                    out.append({"t": "Link", "c": [["", [], []], inlines(item["c"][1]), [target, ""]]})
                else:
                    removed[f"a link to {target[:20]}{'…' if len(target) > 20 else ''}"] += 1
                    out.extend(inlines(item["c"][1]))
            elif kind == "Span":
                removed[REMOVED["Span"]] += 1 if item["c"][0] != ["", [], []] else 0
                out.extend(inlines(item["c"][1]))
            else:
                removed[REMOVED.get(kind, kind)] += 1
        return out

    def blocks(items: list) -> list:
        out = []
        for item in items:
            kind = item["t"]
            if kind in ("Para", "Plain"):
                out.append({"t": kind, "c": inlines(item["c"])})
            elif kind == "Header":
                out.append({"t": "Header", "c": [min(max(item["c"][0], 3), 4), ["", [], []], inlines(item["c"][2])]})
            elif kind == "BulletList":
                out.append({"t": kind, "c": [blocks(entry) for entry in item["c"]]})
            elif kind == "OrderedList":
                out.append({"t": kind, "c": [item["c"][0], [blocks(entry) for entry in item["c"][1]]]})
            elif kind == "BlockQuote":
                out.append({"t": kind, "c": blocks(item["c"])})
            elif kind == "HorizontalRule":
                out.append(item)
            elif kind == "Div":
                removed[REMOVED["Div"]] += 1
                out.extend(blocks(item["c"][1]))
            else:
                removed[REMOVED.get(kind, kind)] += 1
        return out

    ast["blocks"] = blocks(ast["blocks"])
    result = pypandoc.convert_text(json.dumps(ast), "markdown-raw_html-raw_attribute-native_divs-native_spans",
                                   format="json", extra_args=["--wrap=none"]).strip()
    result = result.replace("{{", "{" + ZWSP + "{")  # no shortcode can have been put back together
    return result, [f"{what} ({count})" for what, count in removed.items() if count]


def plain_lines(text: str) -> str:
    """Text of several lines without control or bidirectional-override characters."""
    text = str(text).translate(BIDI_CONTROLS).replace("\r\n", "\n")
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc")
