"""The figures: per domain and breakdown, one small panel per indicator with every group's
estimate and interval on its own labelled row, as SVG with an alt text that says every value and
why a group is not shown (WCAG 1.1.1).

The figures are drawn for a phone first: 342 points wide with 12-point text, so that on a
390-pixel screen, where the text column is 342 CSS pixels, the text is 12 pixels high; wider
screens show them somewhat larger (``reports/style.css``). Groups are told apart by their
label on the row, not by colour (WCAG 1.4.1): one dark colour for the groups and black for all
inburgeraars, each more than 3:1 against white (WCAG 1.4.11), and no legend to decode.
"""

from __future__ import annotations

import base64
import io

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.textpath import TextPath

from rapportage.questionnaire.spec import DOMAINS
from rapportage.report.data import OVERALL, ReportData, level_text
from rapportage.report.formatting import fmt_number, fmt_value
from rapportage.report.markup import attr, md

PALETTE = sns.color_palette("colorblind")
FONT = 12.0
"""Text size in points; the figure is WIDTH points wide (one point is one CSS pixel at 390 px)."""
WIDTH = 342.0
GROUP_COLOUR = "#0b5a8a"  # 7.0:1 on white
OVERALL_COLOUR = "#1a1a1a"  # 17:1 on white
REFERENCE_COLOUR = "#5a5a5a"  # 6.9:1 on white
HIDDEN_REASON = {"primary": "te weinig antwoorden",
                 "complementary": "verborgen, omdat het anders uit de andere cijfers te berekenen is"}
"""Why a cell is not shown, by its ``suppression`` (rapportage.statistics.disclosure)."""
ROW_NOTE = {"primary": "te weinig antwoorden", "complementary": "niet getoond (privacy)"}
"""What the figure's row says instead of a hidden estimate."""


def set_style() -> None:
    """One seaborn theme for every figure; labels are plain text ("$$…$$" is not a formula)."""
    sns.set_theme(style="whitegrid", palette=PALETTE, font_scale=0.95)
    plt.rcParams.update({"figure.dpi": 110, "savefig.dpi": 110, "svg.hashsalt": "rapportage",
                         "text.parse_math": False})


def domain_tabs(data: ReportData, domain: str) -> None:
    """Print (``#| output: asis``) a tabset with one figure per breakdown of the domain's
    indicators: by every group of ``estimation.groups``. Each figure is Markdown with an
    alt text generated from the numbers it shows."""
    lines = ["::: {.tabbladen}", ""]
    for group in data.wave.config.estimation.groups:
        lines += [f"### {md(data.group_label(group))}", "", figure_markdown(data, domain, group), ""]
    lines.append(":::")
    print("\n".join(lines))


def figure_markdown(data: ReportData, domain: str, group: str) -> str:
    """``![caption](data:…){#fig-<domain>-<group> fig-alt="…"}``: the figure, numbered and
    cross-referenceable on both render paths, its caption and alt text escaped."""
    name = md(data.group_label(group).lower())
    cells = _figure_cells(data, domain, group)
    if cells.suppressed.all():  # nothing to draw: say so instead of an empty figure
        return f"*{DOMAINS[domain]}, naar {name}: te weinig antwoorden om uitkomsten te publiceren.*"
    references = {i.id: found for i in data.indicators(domain) if (found := data.benchmarks(i.id))}
    svg = base64.b64encode(domain_plot(cells, references)).decode("ascii")
    caption = f"{DOMAINS[domain]}: uitkomsten naar {name}, met {data.level}-betrouwbaarheidsinterval"
    if references:
        caption += "; de gestreepte lijn is een cijfer ter vergelijking (zie Kerncijfers)"
    kinds = {i.id: i.kind for i in data.indicators(domain)}
    alt = figure_alt(cells) + "".join(
        f" Ter vergelijking bij {data.questionnaire_label(ind)}: {b.population} {fmt_number(b.value, kinds[ind])} "
        f"({b.source}, {b.year})." for ind, bs in references.items() for b in bs)
    return f'![{caption}](data:image/svg+xml;base64,{svg}){{#fig-{domain}-{group} fig-alt="{attr(alt)}"}}'


def _figure_cells(data: ReportData, domain: str, group: str) -> pd.DataFrame:
    inds = data.indicators(domain)
    e = data.estimates[data.estimates.indicator.isin([i.id for i in inds])
                       & data.estimates.group.isin([OVERALL, group])].copy()
    e["label"] = e.indicator.map({i.id: i.label for i in inds})
    e["Groep"] = [data.category_label(g, c) for g, c in zip(e.group, e.category)]
    return e


def text_width(text: str, size: float = FONT, bold: bool = False) -> float:
    """Width in points of a line of text in the figures' font (measured, not guessed)."""
    from matplotlib.font_manager import FontProperties

    return TextPath((0, 0), text, size=size, prop=FontProperties(weight="bold" if bold else "normal")).get_extents().width


def wrap_to(text: str, width: float, size: float = FONT, bold: bool = False) -> list[str]:
    """``text`` in lines no wider than ``width`` points (a word longer than a line is cut)."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(f"{lines[-1]} {word}", size, bold) <= width:
            lines[-1] += f" {word}"
            continue
        while text_width(word, size, bold) > width and len(word) > 1:
            cut = max(1, max(n for n in range(1, len(word)) if text_width(word[:n], size, bold) <= width or n == 1))
            lines.append(word[:cut])
            word = word[cut:]
        lines.append(word)
    return lines or [""]


def domain_plot(cells: pd.DataFrame, references: dict | None = None) -> bytes:
    """One panel per indicator, stacked: its label above, one row per group with the estimate
    and its interval (percent for proportions, 1–10 for marks), or the reason it is not shown.
    Reference figures are a dashed vertical line. Returns SVG."""
    pt = 1 / 72  # inch
    row_h, title_line, axis_h, gap, pad = 17.0, FONT * 1.25, FONT * 1.9, 12.0, 4.0
    blocks = [(ind, part) for ind, part in cells.groupby("indicator", sort=False)]
    names = {g: wrap_to(g, WIDTH * 0.45) for g in cells.Groep}  # a long group name takes two lines, not the plot's room
    label_w = max(text_width(line) for lines in names.values() for line in lines) + 8
    left = pad + label_w
    titles = [wrap_to(part.label.iloc[0], WIDTH - 2 * pad, bold=True) for _, part in blocks]
    row_hs = [row_h + FONT * 1.15 * (max(len(names[g]) for g in part.Groep) - 1) for _, part in blocks]
    heights = [len(t) * title_line + 4 + len(part) * rh + axis_h for t, (_, part), rh in zip(titles, blocks, row_hs)]
    height = sum(heights) + gap * (len(blocks) - 1) + pad
    fig = plt.figure(figsize=(WIDTH * pt, height * pt))
    top = height
    for (ind, part), title, h, rh in zip(blocks, titles, heights, row_hs):
        plot_h = len(part) * rh
        y0 = top - len(title) * title_line - 4 - plot_h
        ax = fig.add_axes((left / WIDTH, y0 / height, (WIDTH - left - 18) / WIDTH, plot_h / height))
        fig.text(pad / WIDTH, (top - FONT) / height, mpl("\n".join(title)), fontsize=FONT, fontweight="bold", va="baseline")
        kind = part.kind.iloc[0]
        scale, limits = (100, (0, 100)) if kind == "proportion" else (1, (1, 10))
        for i, (_, r) in enumerate(part.iterrows()):
            if r.suppressed:
                ax.text(limits[0] + 0.01 * (limits[1] - limits[0]), i, ROW_NOTE.get(str(r.suppression), ROW_NOTE["primary"]),
                        va="center", fontsize=FONT, style="italic", color=REFERENCE_COLOUR)
                continue
            overall = r.group == OVERALL
            ax.errorbar([r.estimate * scale], [i], xerr=[[(r.estimate - r.ci_low) * scale], [(r.ci_high - r.estimate) * scale]],
                        fmt="s" if overall else "o", color=OVERALL_COLOUR if overall else GROUP_COLOUR,
                        capsize=3, markersize=6, elinewidth=1.6, zorder=3)
        for b in (references or {}).get(ind, []):
            ax.axvline(b.value * scale, color=REFERENCE_COLOUR, linestyle=(0, (4, 2)), linewidth=1.6, zorder=2)
        ax.set_yticks(range(len(part)), [mpl("\n".join(names[g])) for g in part.Groep], fontsize=FONT)
        ax.set_ylim(len(part) - 0.5, -0.5)
        ax.set_xlim(*limits)
        ticks = [0, 25, 50, 75, 100] if kind == "proportion" else [1, 4, 7, 10]
        ax.set_xticks(ticks, [f"{t}%" if kind == "proportion" else str(t) for t in ticks], fontsize=FONT)
        plain_rows(ax)
        top -= h + gap
    return _svg(fig)


def plain_rows(ax) -> None:
    """A panel of labelled rows: no tick marks, no horizontal grid lines, only the bottom axis line."""
    ax.tick_params(length=0, pad=3)
    ax.grid(axis="y", visible=False)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)


def _svg(fig) -> bytes:
    """The figure as SVG, no date and stable ids, so the same numbers give the same bytes every
    run. Text stays text (Arial, Liberation Sans or DejaVu Sans, whichever the reader has: the
    layout is measured in DejaVu Sans, the widest of them), which makes a figure less than half
    the size of one with the letters drawn as outlines."""
    out = io.BytesIO()
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "rapportage"}):
        fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return out.getvalue()


def mpl(text: str) -> str:
    """A label as matplotlib text: dollar signs would start mathtext (and an unbalanced formula
    stops the render)."""
    return text.replace("$", r"\$")


def figure_alt(cells: pd.DataFrame) -> str:
    """The figure in words (WCAG 1.1.1): every plotted value, and each group not shown with the
    reason it is not."""
    parts = []
    for label, rows in cells.groupby("label", sort=False):
        shown = rows[~rows.suppressed]
        values = "; ".join(f"{g} {fmt_value(r, with_ci=False)}" for g, (_, r) in zip(shown.Groep, shown.iterrows()))
        hidden = [f"{g} niet getoond ({HIDDEN_REASON.get(str(r.suppression), 'te weinig antwoorden')})"
                  for g, (_, r) in zip(rows[rows.suppressed].Groep, rows[rows.suppressed].iterrows())]
        parts.append(f"{label}: {'; '.join(([values] if values else []) + hidden)}.")
    return f"Figuur met {level_text(cells.confidence.iloc[0])}-betrouwbaarheidsintervallen. " + " ".join(parts)
