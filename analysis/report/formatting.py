"""Dutch formatting of numbers, intervals and changes, and the way a table or a piece of Markdown
reaches the page (``show``, ``show_table``). Every text from configuration or data is escaped by
``rapportage.report.markup`` before it gets here.
"""

from __future__ import annotations

import html
import re

import great_tables as gt
import pandas as pd
from IPython.display import Markdown, display

from rapportage.report.data import SUPPRESSED
from rapportage.report.markup import html_text, raw_html


def nl_number(x: float, decimals: int = 1) -> str:
    """'2.623,5': a point between thousands and a comma before decimals, as the Dutch government
    writes numbers; no minus sign on a number that rounds to zero ('0,0', not '−0,0')."""
    text = f"{x:,.{decimals}f}".replace(",", "\u0001").replace(".", ",").replace("\u0001", ".")
    return text[1:] if text.startswith("-") and not any(c in "123456789" for c in text) else text


def nl_count(n: int) -> str:
    """'2.623': a whole number with a point between thousands."""
    return nl_number(n, 0)


MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
          "november", "december")


def nl_date(day) -> str:
    """'2 maart 2026'."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def nl_list(parts: list[str]) -> str:
    """'a', 'a en b', 'a, b en c'."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " en " + parts[-1]


def fmt_value(row: pd.Series, with_ci: bool = True) -> str:
    """'31% (28–34%)' for a proportion, '5,6 (5,5–5,7)' for a mean; '–' when suppressed."""
    if row["suppressed"] or pd.isna(row["estimate"]):
        return SUPPRESSED
    text = fmt_number(row["estimate"], row["kind"])
    return f"{text} ({fmt_ci(row)})" if with_ci else text


def fmt_number(x: float, kind: str) -> str:
    return f"{x * 100:.0f}%" if kind == "proportion" else nl_number(x)


def fmt_ci(row: pd.Series) -> str:
    if row["suppressed"] or pd.isna(row["estimate"]):
        return SUPPRESSED
    if row["kind"] == "proportion":
        return f"{row['ci_low'] * 100:.0f}–{row['ci_high'] * 100:.0f}%"
    return f"{nl_number(row['ci_low'])}–{nl_number(row['ci_high'])}"


def signed(x: float, decimals: int) -> str:
    """'+2,3', '−0,4'; a value that rounds to zero keeps its sign ('+0,0'), so an interval that
    excludes zero never reads as if it touched it."""
    text = nl_number(abs(x), decimals)
    return text if x == 0 else ("+" if x > 0 else "\u2212") + text


def fmt_change(row: pd.Series) -> str:
    """'+4,2 procentpunt (−0,9 tot +9,3)' / '+0,3 (−0,1 tot +0,6)'; 'niet vergelijkbaar' or '–'."""
    if not row.get("comparable", False):
        return "niet vergelijkbaar" if row.get("comparability_note") and not row["suppressed"] else SUPPRESSED
    scale, decimals, unit = (100, 1, " procentpunt") if row["kind"] == "proportion" else (1, 2, "")
    return (f"{signed(row['change'] * scale, decimals)}{unit} "
            f"({signed(row['change_ci_low'] * scale, decimals)} tot {signed(row['change_ci_high'] * scale, decimals)})")


def table_div(table: gt.GT, label: str) -> str:
    """The table as HTML, in a container that scrolls sideways on a narrow screen and that
    keyboard users can reach and scroll (``tabindex``, named region)."""
    markup = table.tab_options(quarto_disable_processing=True, container_overflow_x="visible",
                               container_overflow_y="visible").as_raw_html()
    # a heading of a group of rows heads those rows, not a group of columns (WCAG 1.3.1)
    markup = markup.replace('class="gt_group_heading" colspan', 'class="gt_group_heading" scope="rowgroup" colspan')
    markup = re.sub(r'(class="gt_group_heading" scope="rowgroup" colspan="\d+") scope="colgroup"', r"\1", markup)
    name = html_text(f"{label} (tabel)")
    return f'<div class="tabel" role="region" tabindex="0" aria-label="{name}">\n{markup}\n</div>'


def table_html(table: gt.GT, label: str) -> str:
    """The table (:func:`table_div`) as a raw HTML block of Markdown.

    Never a rich (text/html) cell output: that makes Quarto link require.js and jQuery from the
    web, which a self-contained report opened offline cannot load. Quarto's own table
    processing is switched off, so both renderers pass the great_tables markup on untouched.
    """
    return raw_html(table_div(table, label))


def show_table(table: gt.GT, label: str) -> None:
    show(table_html(table, label))


def show(markdown: str) -> None:
    """Put Markdown on the page (a Jupyter display; the render stages collect it)."""
    display(Markdown(markdown))


PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
"""The security policy of a page of our own beside the report: no script, nothing from elsewhere."""


def standalone_page(title: str, css: str, body: str) -> bytes:
    """A self-contained Dutch page beside the report (the codebook, the fieldwork monitor): the
    report's style and a policy that allows no script. ``title`` is plain text; ``body`` HTML."""
    shown = html.escape(title)
    return (f'<!DOCTYPE html>\n<html lang="nl">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{PAGE_POLICY}">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{shown}</title>\n'
            f"<style>\n{css}\n</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n").encode("utf-8")
